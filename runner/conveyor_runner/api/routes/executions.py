"""Executions: create (one or a batch), get (with long-poll), progress, terminate, rerun."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from conveyor_runner.api.bodies import read_body
from conveyor_runner.api.deps import BaseUrlDep, PrincipalDep, StateDep
from conveyor_runner.api.render import command_json, execution_json
from conveyor_runner.api.responses import json_response
from conveyor_runner.control import batches
from conveyor_runner.control import executions as ledger
from conveyor_runner.control.intake import Creation
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.store import executions

router = APIRouter(tags=["executions"])
MAX_WAIT = 60.0


@router.post("/executions/rerun")
async def rerun_batch(request: Request, principal: PrincipalDep, state: StateDep,
                      base: BaseUrlDep) -> dict:
    """Rerun the finished executions ``query`` selects; answers a Command.

    Registered before ``/executions/{service_id}`` so "rerun" is never taken for an id.
    """
    body = await read_body(request)
    command = await run_in_threadpool(batches.start_rerun, state, principal, body.get("query"))
    return command_json(command, base)


@router.post("/executions/{service_id}")
async def create_execution(service_id: str, request: Request, principal: PrincipalDep,
                           state: StateDep, base: BaseUrlDep, wait: float = 0.0) -> Response:
    """Record an execution, then publish it; or start a batch (answers a Command).

    ``?wait=N`` (<= 60; a Conveyor extension, ignored for a batch): answer once the new
    execution is terminal or N s passed, as ``GET /executions/{id}?wait=N`` would -- a sync
    execute in one round trip.
    """
    body = await read_body(request)
    function_name = body.get("functionName") or "run"
    if not isinstance(function_name, str):
        raise InvalidInputError("functionName: must be a string", "functionName")
    if body.get("batch") is not None:
        command = await run_in_threadpool(batches.start_batch, state, principal, service_id,
                                          function_name, body["batch"])
        return json_response(command_json(command, base))
    deadline = _deadline(wait)
    subscription = state.plane.waiters.subscribe() if wait > 0 else None
    try:
        row = await state.plane.intake.create(Creation(
            principal.user_id, principal.email, service_id, function_name, body.get("input")))
    except BaseException:
        if subscription is not None:
            state.plane.waiters.discard(subscription)
        raise
    if subscription is not None:
        ended = await state.plane.waiters.wait(subscription, deadline - time.monotonic())
        return await _answer_when_final(state, principal, row.id, deadline, base,
                                        ended.get(row.id))
    return json_response(execution_json(row, base))


@router.get("/executions/{execution_id}")
async def get_execution(execution_id: str, principal: PrincipalDep, state: StateDep,
                        base: BaseUrlDep, wait: float = 0.0) -> Response:
    """One execution; with ``?wait=N`` (<= 60) answers once it is terminal or N s passed."""
    return await _answer_when_final(state, principal, execution_id, _deadline(wait), base)


def _deadline(wait: float) -> float:
    return time.monotonic() + min(max(wait, 0.0), MAX_WAIT)


async def _answer_when_final(state, principal, execution_id: str, deadline: float,
                             base: str, ended=None) -> Response:
    """The execution's JSON once it is terminal or ``deadline`` (monotonic) passed.

    The wait is spent on the event loop (``control.waiters``), woken by the commits that
    end executions. A wake-up that hands over the execution's ended row answers from it
    (the caller has seen the execution already); any other re-reads the record.
    ``ended``: that row, if the caller was handed it already.
    """
    def load():
        with state.db.transaction() as session:
            return executions.visible_execution(session, execution_id, principal.user_id)

    waiters = state.plane.waiters
    while ended is None:
        # Subscribed before the read, so a wake-up between the two counts; not at all
        # when there is no time left to wait (a plain GET).
        subscription = waiters.subscribe() if deadline > time.monotonic() else None
        try:
            row = await run_in_threadpool(load)
        except BaseException:
            if subscription is not None:
                waiters.discard(subscription)
            raise
        left = deadline - time.monotonic()
        if row.status in ledger.TERMINAL or left <= 0 or subscription is None:
            if subscription is not None:
                waiters.discard(subscription)
            return json_response(execution_json(row, base))
        ended = (await waiters.wait(subscription, left)).get(execution_id)
    return json_response(execution_json(ended, base))


def _mutate(state, principal, execution_id: str, change, base: str) -> dict:
    """Apply ``change(session, row)`` in one transaction; wake waiters; return the JSON."""
    with state.db.transaction(exclusive=True) as session:
        row = executions.visible_execution(session, execution_id, principal.user_id, lock=True)
        change(session, row)
        result = execution_json(row, base)
    state.plane.waiters.notify()
    return result


@router.post("/executions/{execution_id}/terminate")
def terminate(execution_id: str, principal: PrincipalDep, state: StateDep,
              base: BaseUrlDep) -> dict:
    """Stop an execution: a queued one ends ``terminated`` now, a running one is signalled."""
    return _mutate(state, principal, execution_id, lambda s, row: ledger.terminate(row), base)


@router.post("/executions/{execution_id}/rerun")
def rerun(execution_id: str, principal: PrincipalDep, state: StateDep, base: BaseUrlDep) -> dict:
    """Queue a finished execution again."""
    rows = []

    def change(_session, row):
        ledger.rerun(row)
        rows.append(row)

    result = _mutate(state, principal, execution_id, change, base)
    state.plane.dispatcher.publish(rows)
    return result


@router.post("/executions/{execution_id}/attempts")
def attempts(execution_id: str, principal: PrincipalDep, state: StateDep) -> int:
    """Count one more attempt; 400 once ``maxAttempts`` is reached."""
    counted = []
    _mutate(state, principal, execution_id,
            lambda s, row: counted.append(ledger.increment_attempts(row)), "")
    return counted[0]


@router.post("/executions/{execution_id}/progress")
async def progress(execution_id: str, request: Request, principal: PrincipalDep,
                   state: StateDep, base: BaseUrlDep) -> dict:
    """Report progress or a result (dtlpy's progress_update, and the agent's reports)."""
    body = await read_body(request)
    replica_id = body.get("replicaId")
    return await run_in_threadpool(
        _mutate, state, principal, execution_id,
        lambda s, row: ledger.report(row, body, replica_id), base)


@router.patch("/executions/{execution_id}")
async def update_execution(execution_id: str, request: Request, principal: PrincipalDep,
                           state: StateDep, base: BaseUrlDep) -> dict:
    """dtlpy's ``execution.update()``: the ledger is not editable, so the record is returned."""
    await read_body(request)
    with state.db.transaction() as session:
        return execution_json(executions.visible_execution(session, execution_id,
                                                           principal.user_id), base)
