"""The embedded queue gateway: replicas consume their service's queue through the API.

Access to ``svc-<serviceId>`` is for members of the service's project. ``receive`` -- the
busiest route of the embedded default -- does not open a database transaction each time:
the membership was checked when the consumer opened (as an AMQP broker checks at
``basic.consume``), a receive must come from the user who opened the consumer, and the
membership is checked again once the last check is older than ``REAUTHORIZE_SECONDS``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from conveyor_runner.api.bodies import read_body
from conveyor_runner.api.deps import PrincipalDep, StateDep
from conveyor_runner.api.responses import json_response
from conveyor_runner.control.queue_gateway import QueueGateway
from conveyor_runner.errors import InvalidInputError, NotFoundError
from conveyor_runner.store import services

router = APIRouter(tags=["queues"])
#: Seconds a consumer's access stands before its next call checks the membership again.
REAUTHORIZE_SECONDS = 5.0


def _authorize(state, principal, queue: str) -> None:
    """Only members of the service's project may touch ``svc-<serviceId>``."""
    if not queue.startswith("svc-"):
        raise NotFoundError(f"queue {queue} not found")
    with state.db.transaction() as session:
        services.visible_service(session, queue[len("svc-"):], principal.user_id)


def _gateway(state) -> QueueGateway:
    if state.plane.gateway is None:
        raise NotFoundError("the queue gateway is not running")
    return state.plane.gateway


def _consumer(state, principal, queue: str, consumer_id: str) -> QueueGateway:
    """The gateway, once ``consumer_id`` is known to be the caller's consumer of ``queue``
    (``NotFoundError`` otherwise) and its access was checked recently enough."""
    gateway = _gateway(state)
    if gateway.authorization_age(consumer_id, queue, principal.user_id) > REAUTHORIZE_SECONDS:
        _authorize(state, principal, queue)
        gateway.authorized(consumer_id)
    return gateway


@router.post("/queues/{queue}/consumers")
async def open_consumer(queue: str, request: Request, principal: PrincipalDep,
                        state: StateDep) -> dict:
    """Start a remote consumer with ``prefetch`` unsettled deliveries at most."""
    body = await read_body(request)
    await run_in_threadpool(_authorize, state, principal, queue)
    return {"consumerId": _gateway(state).open(queue, body.get("prefetch", 1),
                                               owner=principal.user_id)}


@router.post("/queues/{queue}/consumers/{consumer_id}/receive")
async def receive(queue: str, consumer_id: str, request: Request, principal: PrincipalDep,
                  state: StateDep) -> Response:
    """Settle deliveries (``ack``, ``nack``, ``deadLetter``), then long-poll for more;
    a repeated ``requestId`` gets its first answer again (see ``control.queue_gateway``)."""
    body = await read_body(request)
    _gateway(state).authorization_age(consumer_id, queue, principal.user_id)
    ack, nack, dead = (body.get(k) or [] for k in ("ack", "nack", "deadLetter"))
    if not all(isinstance(v, list) for v in (ack, nack, dead)):
        raise InvalidInputError("ack/nack/deadLetter: must be lists", "ack")
    request_id = body.get("requestId")
    if request_id is not None and not (isinstance(request_id, str) and 0 < len(request_id) <= 64):
        raise InvalidInputError("requestId: must be a string of 1 to 64 characters",
                                "requestId")

    def settle_and_receive() -> list[dict]:
        gateway = _consumer(state, principal, queue, consumer_id)
        return gateway.receive(consumer_id, timeout=float(body.get("timeout", 10)),
                               limit=int(body.get("max", 1)), ack=ack, nack=nack, dead=dead,
                               request_id=request_id)

    return json_response({"deliveries": await run_in_threadpool(settle_and_receive)})


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
