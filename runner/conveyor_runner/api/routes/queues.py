"""The embedded queue gateway: replicas consume their service's queue through the API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from conveyor_runner.api.bodies import read_body
from conveyor_runner.api.deps import PrincipalDep, StateDep
from conveyor_runner.errors import InvalidInputError, NotFoundError
from conveyor_runner.store import services

router = APIRouter(tags=["queues"])


def _authorize(state, principal, queue: str) -> None:
    """Only members of the service's project may touch ``svc-<serviceId>``."""
    if not queue.startswith("svc-"):
        raise NotFoundError(f"queue {queue} not found")
    with state.db.transaction() as session:
        services.visible_service(session, queue[len("svc-"):], principal.user_id)


def _gateway(state):
    if state.plane.gateway is None:
        raise NotFoundError("the queue gateway is not running")
    return state.plane.gateway


@router.post("/queues/{queue}/consumers")
async def open_consumer(queue: str, request: Request, principal: PrincipalDep,
                        state: StateDep) -> dict:
    """Start a remote consumer with ``prefetch`` unsettled deliveries at most."""
    body = await read_body(request)
    _authorize(state, principal, queue)
    return {"consumerId": _gateway(state).open(queue, body.get("prefetch", 1))}


@router.post("/queues/{queue}/consumers/{consumer_id}/receive")
async def receive(queue: str, consumer_id: str, request: Request, principal: PrincipalDep,
                  state: StateDep) -> dict:
    """Settle deliveries (``ack``, ``nack``, ``deadLetter``), then long-poll for more."""
    body = await read_body(request)
    gateway = _gateway(state)
    if gateway.queue_of(consumer_id) != queue:
        raise NotFoundError(f"consumer {consumer_id} not found")
    _authorize(state, principal, queue)
    ack, nack, dead = (body.get(k) or [] for k in ("ack", "nack", "deadLetter"))
    if not all(isinstance(v, list) for v in (ack, nack, dead)):
        raise InvalidInputError("ack/nack/deadLetter: must be lists", "ack")
    deliveries = await run_in_threadpool(
        gateway.receive, consumer_id, timeout=float(body.get("timeout", 10)),
        limit=int(body.get("max", 1)), ack=ack, nack=nack, dead=dead)
    return {"deliveries": deliveries}


@router.post("/queues/{queue}/consumers/{consumer_id}/prefetch")
async def prefetch(queue: str, consumer_id: str, request: Request, principal: PrincipalDep,
                   state: StateDep) -> dict:
    """Change a consumer's prefetch."""
    body = await read_body(request)
    _authorize(state, principal, queue)
    _gateway(state).set_prefetch(consumer_id, body.get("prefetch"))
    return {"prefetch": body.get("prefetch")}


@router.delete("/queues/{queue}/consumers/{consumer_id}")
def close_consumer(queue: str, consumer_id: str, principal: PrincipalDep,
                   state: StateDep) -> dict:
    """Close a consumer; its unsettled deliveries return to the queue."""
    _authorize(state, principal, queue)
    _gateway(state).close(consumer_id)
    return {"closed": True}
