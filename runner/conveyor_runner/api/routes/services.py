"""Services: deploy, get, update, delete, status, pause/resume/restart, revisions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from conveyor_runner.api.bodies import read_body
from conveyor_runner.api.deps import BaseUrlDep, DbDep, PrincipalDep, StateDep
from conveyor_runner.api.render import service_json
from conveyor_runner.control import executions as ledger
from conveyor_runner.control import services as service_control
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.queue.messages import queue_name
from conveyor_runner.store import executions, services, users
from conveyor_runner.store.tables import ServiceRow

router = APIRouter(tags=["services"])


def render(session, row: ServiceRow, base: str) -> dict:
    """Service JSON with its bot's e-mail."""
    bot = users.get_user(session, row.bot_id) if row.bot_id else None
    return service_json(row, base, bot.email if bot else None)


def _declare_queue(state, row: ServiceRow) -> None:
    # The broker may hold a delivery for the execution's whole run plus the drain.
    timeout = float(row.doc.get("executionTimeout", 3600)) + float(row.doc.get("drainTime", 600))
    state.plane.queue.declare(queue_name(row.id), delivery_timeout=timeout + 60)


@router.post("/services")
async def deploy(request: Request, principal: PrincipalDep, state: StateDep,
                 base: BaseUrlDep) -> dict:
    """Deploy a package module as a service; replicas start in the background."""
    body = await read_body(request)
    return await run_in_threadpool(_deploy, state, principal, body, base)


def _deploy(state, principal, body: dict, base: str) -> dict:
    with state.db.transaction() as session:
        row = service_control.deploy(session, principal, body, state.plane.backend_names())
        _declare_queue(state, row)
        result = render(session, row, base)
    state.plane.reconciler.wake()
    return result


@router.get("/services/{service_id}")
def get_service(service_id: str, principal: PrincipalDep, db: DbDep, base: BaseUrlDep) -> dict:
    """One service."""
    with db.transaction() as session:
        return render(session, services.visible_service(session, service_id, principal.user_id),
                      base)


@router.patch("/services/{service_id}")
async def update_service(service_id: str, request: Request, principal: PrincipalDep,
                         state: StateDep, base: BaseUrlDep) -> dict:
    """Full-object update; code or settings changes roll the replicas over."""
    body = await read_body(request)
    return await run_in_threadpool(_update, state, principal, service_id, body, base)


def _update(state, principal, service_id: str, body: dict, base: str) -> dict:
    with state.db.transaction() as session:
        row = services.visible_service(session, service_id, principal.user_id)
        service_control.update(session, principal, row, body, state.plane.backend_names())
        _declare_queue(state, row)
        result = render(session, row, base)
    state.plane.reconciler.wake()
    return result


@router.delete("/services/{service_id}")
def delete_service(service_id: str, principal: PrincipalDep, state: StateDep) -> dict:
    """Delete a service: replicas stop, its unfinished executions end ``canceled``."""
    with state.db.transaction() as session:
        row = services.visible_service(session, service_id, principal.user_id)
        for execution in executions.unfinished(session, row.id):
            ledger.finish(execution, "canceled", message="the service was deleted")
        services.delete_service(session, row)
    state.plane.queue.delete_queue(queue_name(service_id))
    state.plane.reconciler.wake()
    state.plane.waiters.notify()
    return {"id": service_id, "deleted": True}


@router.get("/services/{service_id}/status")
def service_status(service_id: str, principal: PrincipalDep, state: StateDep) -> dict:
    """What runs now: desired and observed replicas, their reports, errors, queue depth."""
    with state.db.transaction() as session:
        row = services.visible_service(session, service_id, principal.user_id)
        reports = {r.id: r for r in services.replicas(session, row.id)}
        observed = dict(row.status)
        queued, running = executions.load(session, row.id)
    replicas = []
    for replica in observed.get("replicas", []):
        report = reports.get(replica["replica_id"])
        replicas.append({**replica, "reported": report.state if report else None,
                         "busy": report.busy if report else 0,
                         "error": report.info.get("error") if report else None})
    # Errors of replicas reporting for the current revision, whoever started them.
    errors = [r.info["error"] for r in reports.values()
              if r.revision == row.revision and r.state == "failed" and r.info.get("error")]
    errors += [observed["error"]] if observed.get("error") else []
    return {"id": service_id, "status": "active" if row.active else "paused",
            "desired": service_control.desired_replicas(row), "replicas": replicas,
            "queued": queued, "running": running,
            "queueDepth": state.plane.queue.depth(queue_name(row.id)),
            "error": errors[0] if errors else None, "scaling": observed.get("scaling", [])}


def _set_active(state, principal, service_id: str, active: bool) -> dict:
    with state.db.transaction() as session:
        row = services.visible_service(session, service_id, principal.user_id)
        service_control.set_active(row, active, principal.email)
    state.plane.reconciler.wake()
    return {"id": service_id, "active": active}


@router.post("/services/{service_id}/stop")
def pause(service_id: str, principal: PrincipalDep, state: StateDep) -> dict:
    """Pause: replicas drain and stop; queued executions wait for ``resume``."""
    return _set_active(state, principal, service_id, False)


@router.post("/services/{service_id}/resume")
def resume(service_id: str, principal: PrincipalDep, state: StateDep) -> dict:
    """Resume a paused service."""
    return _set_active(state, principal, service_id, True)


@router.post("/services/{service_id}/restart")
def restart(service_id: str, principal: PrincipalDep, state: StateDep) -> dict:
    """Replace every replica (a rolling restart)."""
    with state.db.transaction() as session:
        row = services.visible_service(session, service_id, principal.user_id)
        service_control.restart(row, principal.email)
    state.plane.reconciler.wake()
    return {"id": service_id, "restarted": True}


@router.get("/services/{service_id}/revisions")
def revisions(service_id: str, principal: PrincipalDep, db: DbDep, base: BaseUrlDep) -> list:
    """The service as it is now (revision history is not kept yet)."""
    with db.transaction() as session:
        return [render(session, services.visible_service(session, service_id,
                                                         principal.user_id), base)]


@router.post("/services/{service_id}/notify")
def notify(service_id: str, principal: PrincipalDep, db: DbDep) -> dict:
    """Accept a service notification (recorded nowhere yet; dtlpy sends them rarely)."""
    with db.transaction() as session:
        services.visible_service(session, service_id, principal.user_id)
    return {}


@router.get("/services/{service_id}/dead-letters")
def dead_letters(service_id: str, principal: PrincipalDep, state: StateDep) -> list[dict]:
    """Messages of the service's queue that could not be processed, with their reasons."""
    with state.db.transaction() as session:
        services.visible_service(session, service_id, principal.user_id)
    return [{"messageId": letter.message_id, "reason": letter.reason,
             "deadAt": letter.dead_at, "headers": letter.headers,
             "body": letter.body.decode("utf-8", "replace")}
            for letter in state.plane.queue.dead_letters(queue_name(service_id))]


@router.post("/services/{service_id}/dead-letters/redrive")
async def redrive(service_id: str, request: Request, principal: PrincipalDep,
                  state: StateDep) -> dict:
    """Move dead letters (one by ``messageId``, or all) back to the service's queue."""
    body = await read_body(request)
    message_id = body.get("messageId")
    if message_id is not None and not isinstance(message_id, str):
        raise InvalidInputError("messageId: must be a string", "messageId")
    with state.db.transaction() as session:
        services.visible_service(session, service_id, principal.user_id)
    moved = state.plane.queue.redrive(queue_name(service_id), message_id)
    return {"redriven": moved}
