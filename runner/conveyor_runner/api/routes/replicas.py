"""Agent-facing endpoints: claims, heartbeats, log lines and results from replicas.

Each comes one execution at a time (``/executions/{id}/claim``, ``.../logs``, and
``.../progress`` in ``routes.executions``) and, for replicas under load, batched per
service: ``POST /services/{id}/exchange`` carries a replica's log lines, progress, results
and claims together, in one request and one transaction (``control.replica_batches``).
"""

from __future__ import annotations

import functools
import logging

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from conveyor_runner.api.bodies import read_body
from conveyor_runner.api.deps import BaseUrlDep, PrincipalDep, StateDep
from conveyor_runner.api.render import execution_json, item_json
from conveyor_runner.api.responses import json_response
from conveyor_runner.control import claim_entities, replica_batches
from conveyor_runner.control import executions as ledger
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.store import executions, services
from conveyor_runner.store.write_gate import WriteBusy

log = logging.getLogger(__name__)
router = APIRouter(tags=["replicas"])
MAX_LOG_LINES = 1000
#: Entries of one claim or report batch, and log lines of one report batch.
MAX_BATCH, MAX_BATCH_LOG_LINES = 1000, 10000
#: The largest exchange stored on the event loop itself (entries, and log lines): see
#: ``exchange``.
SMALL_EXCHANGE, SMALL_EXCHANGE_LINES = 4, 20


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
    with state.db.transaction(exclusive=True) as session:
        row = executions.visible_execution(session, execution_id, principal.user_id, lock=True)
        action, reason = replica_batches.claim_one(
            session, row, services.get(session, row.service_id), replica_id, dispatch_id, token)
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


@router.post("/services/{service_id}/exchange")
async def exchange(service_id: str, request: Request, principal: PrincipalDep,
                   state: StateDep, base: BaseUrlDep) -> Response:
    """A replica's batched exchange with the ledger, in one transaction: it reports log
    lines, progress and terminal results, and claims the deliveries it received.

    Body ``{replicaId, logs: [{executionId|null, timestamp, level, message}], progress:
    [{executionId, status?, percentComplete?, message?, ...}], results: [{executionId,
    claimToken?, status, output?, error?, message?, duration?, action?}], claims:
    [{executionId, dispatchId?, claimToken?, itemInputs?}]}`` (each list optional).
    Stored in that order -- lines, progress, results, then claims -- and answered
    ``{logs: {received, dropped}, progress: [{executionId, applied, reason}], results:
    [{executionId, stored, reason}], claims: [{executionId, action, reason, execution,
    entities?}]}``, each list in the order of the request's.

    A refused result or claim is an answer, not an HTTP error (see
    ``control.replica_batches``). In a claim's answer, ``execution`` is null for an
    execution that is not found, and ``entities``, on a claim to run, maps the id of each
    item under the claim's ``itemInputs`` to the item's JSON (``control.claim_entities``).

    A small exchange (at most ``SMALL_EXCHANGE`` entries and ``SMALL_EXCHANGE_LINES``
    lines: a sync execution's claim, then its result) is stored on the event loop itself
    when the ledger is SQLite and no other writer holds it; any other goes to a worker
    thread. Handing work to a thread and its answer back costs about 0.3 ms each
    way on a loaded 2-core machine -- as much as such an exchange's transaction, and a
    sync execution pays it twice per exchange (measured: 1.2 ms of a 19 ms sync round
    trip). Without the wait for another writer, the loop is held for no longer than that
    transaction.
    """
    body = await read_body(request)
    replica_id = _replica_id(body)
    results = _entries(body, "results", MAX_BATCH)
    progress = _entries(body, "progress", MAX_BATCH)
    claims = _entries(body, "claims", MAX_BATCH)
    logs = [line if isinstance(line, dict) else {"message": str(line)}
            for line in _entries(body, "logs", MAX_BATCH_LOG_LINES, objects=False)]
    for key, entries in (("results", results), ("progress", progress), ("claims", claims)):
        _execution_ids(entries, key)
    _execution_ids(logs, "logs", optional=True)
    _terminal_statuses(results)
    _item_inputs(claims)
    store = functools.partial(_exchange, state, principal, service_id, replica_id, base,
                              logs, progress, results, claims)
    if (state.db.writes_are_local and len(logs) <= SMALL_EXCHANGE_LINES
            and len(results) + len(progress) + len(claims) <= SMALL_EXCHANGE):
        try:
            return store(wait=False)
        except WriteBusy:
            pass  # another writer holds the ledger: wait for it on a worker thread, not here
    return await run_in_threadpool(store)


def _exchange(state, principal, service_id: str, replica_id: str, base: str,
              logs: list[dict], progress: list[dict], results: list[dict],
              claims: list[dict], wait: bool = True) -> Response:
    """Store the exchange and render its answer. ``wait=False``: raise ``WriteBusy``,
    having done nothing, if another writer holds the ledger (``Database.connection``)."""
    with state.db.connection(exclusive=True, wait=wait) as connection:
        outcome = replica_batches.exchange(connection, service_id, principal.user_id,
                                           replica_id, logs=logs, progress=progress,
                                           results=results, claims=claims)
    # Rendered after the commit: the rows keep their values, and the write lock is free.
    reply = [{"executionId": a.execution_id, "action": a.action, "reason": a.reason,
              "execution": execution_json(a.row, base) if a.row is not None else None}
             for a in outcome.claims]
    _add_items(state, principal, claims, reply, base)
    if outcome.ended:
        state.plane.waiters.notify(outcome.ended)
    return json_response({"logs": outcome.logs, "progress": outcome.progress,
                          "results": outcome.results, "claims": reply})


def _add_items(state, principal, claims: list[dict], reply: list[dict], base: str) -> None:
    """Give each claim to run the JSON of the items its replica asked for (``itemInputs``),
    read after the claims' commit. Best effort: the claims are already made, so a failure
    here must not fail their answer -- the replica then fetches the items itself."""
    wanted = {}
    for claim, entry in zip(claims, reply, strict=True):
        if entry["action"] == "run" and claim.get("itemInputs"):
            ids = claim_entities.item_ids(entry["execution"].get("input"), claim["itemInputs"])
            if ids:
                wanted[entry["executionId"]] = ids
    if not wanted:
        return
    try:
        with state.db.connection() as connection:
            items = claim_entities.visible_items(connection, principal.user_id, wanted)
            rendered = {execution_id: {row.id: item_json(row, base) for row in rows}
                        for execution_id, rows in items.items() if rows}
    except Exception:  # noqa: BLE001 - logged; the answer stands without the items
        log.exception("reading the items of %d claimed executions failed", len(wanted))
        return
    for entry in reply:
        if entry["executionId"] in rendered and entry["action"] == "run":
            entry["entities"] = rendered[entry["executionId"]]


def _replica_id(body: dict) -> str:
    replica_id = body.get("replicaId")
    if not isinstance(replica_id, str) or not replica_id:
        raise InvalidInputError("replicaId: required", "replicaId")
    return replica_id


def _entries(body: dict, key: str, limit: int, *, objects: bool = True) -> list:
    """``body[key]``: a list of at most ``limit`` entries (objects unless ``objects`` is
    False); missing means empty."""
    entries = body.get(key, [])
    if not isinstance(entries, list) or len(entries) > limit:
        raise InvalidInputError(f"{key}: a list of at most {limit} entries", key)
    for index, entry in enumerate(entries):
        if objects and not isinstance(entry, dict):
            raise InvalidInputError(f"{key}[{index}]: must be an object", f"{key}[{index}]")
    return entries


def _execution_ids(entries: list[dict], key: str, optional: bool = False) -> None:
    for index, entry in enumerate(entries):
        value = entry.get("executionId")
        if optional and value is None:
            continue
        if not isinstance(value, str) or not value:
            field = f"{key}[{index}].executionId"
            raise InvalidInputError(f"{field}: required, an execution id", field)


def _item_inputs(claims: list[dict]) -> None:
    for index, entry in enumerate(claims):
        names = entry.get("itemInputs", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InvalidInputError(f"claims[{index}].itemInputs: a list of input names",
                                    f"claims[{index}].itemInputs")


def _terminal_statuses(results: list[dict]) -> None:
    for index, entry in enumerate(results):
        field = f"results[{index}].status"
        try:
            status = ledger.normalize_status(entry.get("status"))
        except InvalidInputError:
            status = None
        if status not in ledger.TERMINAL:
            raise InvalidInputError(f"{field}: one of {', '.join(sorted(ledger.TERMINAL))}",
                                    field)
