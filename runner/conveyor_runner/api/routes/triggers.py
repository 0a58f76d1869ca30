"""Triggers: create, get, update, delete, clone (dtlpy-contract §3.8, §4.7)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from conveyor_runner.api.bodies import read_body
from conveyor_runner.api.deps import BaseUrlDep, DbDep, PrincipalDep, StateDep
from conveyor_runner.api.render import ORG
from conveyor_runner.control import triggers as trigger_control
from conveyor_runner.store import triggers
from conveyor_runner.store.tables import TriggerRow

router = APIRouter(tags=["triggers"])


def trigger_json(row: TriggerRow, base: str) -> dict:
    """A Trigger (``type: Event``) or CronTrigger (``type: Cron``) entity.

    ``nextFireAt`` (cron) and ``lastError`` (why the last fire could not create its
    execution) are Conveyor's additions; dtlpy ignores them.
    """
    body = {
        "id": row.id, "url": f"{base}/triggers/{row.id}", "name": row.name,
        "type": row.type, "active": row.active, "projectId": row.project_id,
        "orgId": ORG["id"], "creator": row.creator, "createdAt": row.created_at,
        "updatedAt": row.updated_at, "updatedBy": row.updated_by,
        "scope": row.doc.get("scope", "project"), "global": False, "special": False,
        "spec": row.doc["spec"],
    }
    for key in ("templateTriggerId", "lastError"):
        if row.doc.get(key) is not None:
            body[key] = row.doc[key]
    if row.type == "Cron":
        body["nextFireAt"] = row.next_fire_at
    return body


@router.post("/triggers")
async def create_trigger(request: Request, principal: PrincipalDep, state: StateDep,
                         base: BaseUrlDep) -> dict:
    """Create an event or cron trigger for a service function."""
    body = await read_body(request)
    return await run_in_threadpool(_write, state, base, lambda session, now: (
        trigger_control.create(session, principal, body, now)))


@router.get("/triggers/{trigger_id}")
def get_trigger(trigger_id: str, principal: PrincipalDep, db: DbDep, base: BaseUrlDep) -> dict:
    """One trigger."""
    with db.transaction() as session:
        return trigger_json(triggers.visible_trigger(session, trigger_id, principal.user_id),
                            base)


@router.patch("/triggers/{trigger_id}")
async def update_trigger(trigger_id: str, request: Request, principal: PrincipalDep,
                         state: StateDep, base: BaseUrlDep) -> dict:
    """Full-object update (dtlpy's ``trigger.update()``): name, active, spec."""
    body = await read_body(request)
    return await run_in_threadpool(_write, state, base, lambda session, now: (
        trigger_control.update(session, principal, triggers.visible_trigger(
            session, trigger_id, principal.user_id), body, now)))


@router.post("/triggers/{trigger_id}/clone")
async def clone_trigger(trigger_id: str, request: Request, principal: PrincipalDep,
                        state: StateDep, base: BaseUrlDep) -> dict:
    """A copy of the trigger (``{projectId, name?}``), which remembers its original."""
    body = await read_body(request)
    return await run_in_threadpool(_write, state, base, lambda session, now: (
        trigger_control.clone(session, principal, triggers.visible_trigger(
            session, trigger_id, principal.user_id), body, now)))


@router.delete("/triggers/{trigger_id}")
def delete_trigger(trigger_id: str, principal: PrincipalDep, db: DbDep) -> dict:
    """Delete a trigger; executions it created stay in the ledger."""
    with db.transaction() as session:
        triggers.delete_trigger(session, triggers.visible_trigger(session, trigger_id,
                                                                  principal.user_id))
    return {"id": trigger_id, "deleted": True}


def _write(state, base: str, change) -> dict:
    """Run ``change(session, now)`` in one transaction; wake the cron scheduler after."""
    with state.db.transaction() as session:
        row = change(session, state.plane.cron.clock.now())
        result = trigger_json(row, base)
    if row.type == "Cron":
        state.plane.cron.wake()
    return result
