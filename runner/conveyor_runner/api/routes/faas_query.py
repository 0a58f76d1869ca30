"""``POST /query/faas``: DQL over packages, services, executions and triggers;
``POST /services/logs``."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from conveyor_runner.api.bodies import read_body
from conveyor_runner.api.deps import BaseUrlDep, PrincipalDep, StateDep
from conveyor_runner.api.render import execution_json, package_json, paged
from conveyor_runner.api.routes.services import render as render_service
from conveyor_runner.api.routes.triggers import trigger_json
from conveyor_runner.control import executions as ledger
from conveyor_runner.control.dql import parse_query
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.ids import parse_iso, to_iso
from conveyor_runner.store import executions, services
from conveyor_runner.store.executions import EXECUTION_FIELDS
from conveyor_runner.store.packages import PACKAGE_FIELDS
from conveyor_runner.store.query import run_query
from conveyor_runner.store.services import SERVICE_FIELDS
from conveyor_runner.store.tables import (
    ExecutionRow,
    MemberRow,
    PackageRow,
    ServiceRow,
    TriggerRow,
)
from conveyor_runner.store.triggers import TRIGGER_FIELDS

router = APIRouter(tags=["query"])

_RESOURCES = {
    "packages": (PackageRow, PACKAGE_FIELDS),
    "services": (ServiceRow, SERVICE_FIELDS),
    "executions": (ExecutionRow, EXECUTION_FIELDS),
    "triggers": (TriggerRow, TRIGGER_FIELDS),
}


@router.post("/query/faas")
async def query_faas(request: Request, principal: PrincipalDep, state: StateDep,
                     base: BaseUrlDep) -> dict:
    """Packages, services, executions or triggers of the caller's projects matching the
    DQL body."""
    body = await read_body(request)
    return await run_in_threadpool(_query, state, principal, body, base)


def _query(state, principal, body: dict, base: str) -> dict:
    resource = body.get("resource")
    if resource not in _RESOURCES:
        raise InvalidInputError(f"resource: one of {', '.join(_RESOURCES)}", "resource")
    table, fields = _RESOURCES[resource]
    query = parse_query(body)
    statement = (select(table).join(MemberRow, MemberRow.project_id == table.project_id)
                 .where(MemberRow.user_id == principal.user_id))
    with state.db.transaction() as session:
        rows, total = run_query(session, statement, query, fields)
        if resource == "packages":
            rendered = [package_json(r, base) for r in rows]
        elif resource == "services":
            rendered = [render_service(session, r, base) for r in rows]
        elif resource == "triggers":
            rendered = [trigger_json(r, base) for r in rows]
        else:
            rendered = [execution_json(r, base) for r in rows]
    return paged(rendered, total, query.page, query.page_size)


@router.post("/services/logs")
async def service_logs(request: Request, principal: PrincipalDep, state: StateDep) -> dict:
    """Log lines of a service (optionally of some executions), paged by ``checkpoint``.

    ``stop`` is true when nothing more will come: without ``follow`` once a page is short;
    with ``follow`` once the requested executions are finished and fully read.
    """
    body = await read_body(request)
    return await run_in_threadpool(_logs, state, principal, body)


def _logs(state, principal, body: dict) -> dict:
    service_id = body.get("serviceId")
    if not isinstance(service_id, str):
        raise InvalidInputError("serviceId: required", "serviceId")
    size = min(int(body.get("size") or 100), 1000)
    execution_ids = body.get("executionId") or None
    if isinstance(execution_ids, str):
        execution_ids = [execution_ids]
    checkpoint = body.get("checkpoint") or 0
    after = int(checkpoint) if str(checkpoint).isdigit() else 0
    start, end = _stamp(body.get("start"), "start"), _stamp(body.get("end"), "end")
    deadline = time.monotonic() + (5.0 if body.get("follow") else 0.0)
    while True:
        with state.db.transaction() as session:
            services.visible_service(session, service_id, principal.user_id)
            lines = executions.logs(session, service_id, execution_ids=execution_ids,
                                    after_id=after, text=body.get("text"),
                                    replica_id=body.get("replicaId"), start=start, end=end,
                                    limit=size)
            finished = bool(execution_ids) and all(
                executions.visible_execution(session, i, principal.user_id).status
                in ledger.TERMINAL for i in execution_ids)
        if lines or not body.get("follow") or finished or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    last = lines[-1].id if lines else after
    stop = (len(lines) < size) and (not body.get("follow") or finished)
    return {"logs": [{"timestamp": line.timestamp, "message": line.message,
                      "level": line.level, "executionId": line.execution_id,
                      "replicaId": line.replica_id} for line in lines],
            "checkpoint": str(last), "stop": stop}


def _stamp(value: object, field: str) -> str | None:
    """A client's ISO time as a stored timestamp; naive times are taken as UTC."""
    if value in (None, ""):
        return None
    try:
        return to_iso(parse_iso(str(value)))
    except ValueError:
        raise InvalidInputError(f"{field}: {value!r} is not an ISO-8601 time", field) from None
