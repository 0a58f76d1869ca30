"""Agent-facing endpoints: claims, heartbeats and log lines from replicas."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from conveyor_runner.api.bodies import read_body
from conveyor_runner.api.deps import BaseUrlDep, PrincipalDep, StateDep
from conveyor_runner.api.render import execution_json
from conveyor_runner.control import executions as ledger
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.store import executions, services

router = APIRouter(tags=["replicas"])
MAX_LOG_LINES = 1000


@router.post("/executions/{execution_id}/claim")
async def claim(execution_id: str, request: Request, principal: PrincipalDep, state: StateDep,
                base: BaseUrlDep) -> dict:
    """Decide whether a delivered execution runs on this replica (see ``ledger.claim``)."""
    body = await read_body(request)
    replica_id = body.get("replicaId")
    if not isinstance(replica_id, str) or not replica_id:
        raise InvalidInputError("replicaId: required", "replicaId")
    return await run_in_threadpool(_claim, state, principal, execution_id, replica_id,
                                   body.get("dispatchId"), body.get("claimToken"), base)


def _claim(state, principal, execution_id: str, replica_id: str, dispatch_id, token,
           base: str) -> dict:
    with state.db.transaction() as session:
        row = executions.visible_execution(session, execution_id, principal.user_id)
        service = services.get(session, row.service_id)
        if service is None:
            action, reason = "skip", "the service was deleted"
            if row.status not in ledger.TERMINAL:
                ledger.finish(row, "canceled", message=reason)
        else:
            action, reason = ledger.claim(row, service, replica_id, dispatch_id, token)
        result = {"action": action, "reason": reason, "execution": execution_json(row, base)}
    if row.status in ledger.TERMINAL:
        state.plane.waiters.notify()
    return result


@router.post("/services/{service_id}/replicas/{replica_id}/heartbeat")
async def heartbeat(service_id: str, replica_id: str, request: Request, principal: PrincipalDep,
                    state: StateDep) -> dict:
    """Record a replica's state; answer which of its executions must stop."""
    body = await read_body(request)
    state_name = body.get("state", "ready")
    if state_name not in ("starting", "ready", "draining", "failed", "exited"):
        raise InvalidInputError("state: starting, ready, draining, failed or exited", "state")
    return await run_in_threadpool(_heartbeat, state, principal, service_id, replica_id,
                                   state_name, body)


def _heartbeat(state, principal, service_id, replica_id, state_name, body: dict) -> dict:
    with state.db.transaction() as session:
        service = services.visible_service(session, service_id, principal.user_id)
        info = {k: body[k] for k in ("error", "host", "pid", "running") if k in body}
        services.record_replica(session, service.id, replica_id, int(body.get("revision", 0)),
                                state_name, int(body.get("busy", 0)), info)
        running = [str(i) for i in body.get("running") or []][:1000]
        stopping = [r.id for r in executions.by_ids(session, service.id, running)
                    if r.to_terminate or r.status in ledger.TERMINAL
                    or r.replica_id != replica_id]
    return {"terminate": stopping, "drain": not service.active}


def _lines(body: dict) -> list[dict]:
    lines = body.get("lines")
    if not isinstance(lines, list) or len(lines) > MAX_LOG_LINES:
        raise InvalidInputError(f"lines: a list of at most {MAX_LOG_LINES} log lines", "lines")
    return [line if isinstance(line, dict) else {"message": str(line)} for line in lines]


@router.post("/executions/{execution_id}/logs")
async def execution_logs(execution_id: str, request: Request, principal: PrincipalDep,
                         state: StateDep) -> dict:
    """Append log lines an execution wrote."""
    body = await read_body(request)
    lines = _lines(body)
    with state.db.transaction() as session:
        row = executions.visible_execution(session, execution_id, principal.user_id)
        executions.add_logs(session, row.service_id, row.id, body.get("replicaId"), lines)
    return {"received": len(lines)}


@router.post("/services/{service_id}/logs/append")
async def service_logs(service_id: str, request: Request, principal: PrincipalDep,
                       state: StateDep) -> dict:
    """Append log lines a replica wrote outside any execution."""
    body = await read_body(request)
    lines = _lines(body)
    with state.db.transaction() as session:
        service = services.visible_service(session, service_id, principal.user_id)
        executions.add_logs(session, service.id, None, body.get("replicaId"), lines)
    return {"received": len(lines)}
