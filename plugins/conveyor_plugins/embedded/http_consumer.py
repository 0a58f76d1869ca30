"""The consumer and deliveries of :class:`EmbeddedHttpTransport` (the queue gateway client).

Receiving: one ``receive`` request in flight at a time; ``receive_many`` asks the gateway
for up to ``limit`` deliveries in that one request (the gateway long-polls for the first
and adds whatever else is ready, within the prefetch).

Settlement (``Delivery.ack`` blocks "until the backend agrees"): ``ack``/``nack``/
``dead_letter`` queue the settlement and return only after a gateway reply carried it; a
settlement is never merely buffered. Settlements never wait behind a receive long-poll:
they travel on requests of their own (``timeout 0, max 0``), one in flight at a time, and
each carries every settlement queued meanwhile -- so the acks of many threads settling at
once coalesce into one request. A receive that starts while settlements are queued takes
them along and then does not wait (``timeout 0``), so they come back at once; a settler
first gives such a receive ``SETTLE_GRACE`` seconds to come (a consumer that frees room
usually receives again right away), which saves a request per settle-and-receive.

A lost reply: every receive request carries a ``requestId``; if one that could take
deliveries gets no reply (connection cut, timeout, 5xx), the next request of this consumer
first repeats it as it was, until answered: the gateway answers a repeat with the
deliveries it took for the first (see ``control.queue_gateway``), which would otherwise
stay unsettled -- holding prefetch room -- until their consumer closed.

Liveness: the gateway closes a consumer silent for 15 s and returns its deliveries, so a
keep-alive thread calls ``prefetch`` when nothing was sent for ``KEEPALIVE`` seconds (an
agent busy with long executions or draining does not receive). If the gateway forgot the
consumer anyway (it restarted), the next call opens a new one; settling a delivery of the
lost consumer is then a logged no-op, its message having been returned to the queue.
"""

from __future__ import annotations

import base64
import collections
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conveyor_runner.queue import Consumer, Delivery, QueueUnavailableError

if TYPE_CHECKING:
    from conveyor_plugins.embedded.http_transport import EmbeddedHttpTransport

log = logging.getLogger(__name__)

#: Longest long-poll of one receive request, in seconds (bounds settlement latency).
POLL_CHUNK = 1.0
#: How long a settlement waits for a receive to take it along before sending it itself.
SETTLE_GRACE = 0.005
#: Send a keep-alive when the consumer has been silent this long (gateway closes at 15 s).
KEEPALIVE = 4.0


class ConsumerGone(Exception):
    """The gateway no longer knows the consumer (404 on a consumer path)."""


@dataclass
class _Settlement:
    tag: str
    kind: str  # "ack" | "nack" | "deadLetter": the gateway's body keys
    reason: str
    generation: int
    done: threading.Event = field(default_factory=threading.Event)
    error: Exception | None = None

    def finish(self, error: Exception | None = None) -> None:
        self.error = error
        self.done.set()


class GatewayDelivery(Delivery):
    """A delivery the gateway knows by ``tag``; settle it once, from any thread."""

    def __init__(self, consumer: GatewayConsumer, generation: int, wire: dict) -> None:
        self.tag = str(wire["tag"])
        self.message_id = str(wire["messageId"])
        self.body = base64.b64decode(wire.get("body") or "")
        self.headers = dict(wire.get("headers") or {})
        self.delivery_count = int(wire.get("deliveryCount", 1))
        self.generation = generation
        self._consumer = consumer
        super().__init__()

    def _apply(self, action: str, reason: str | None) -> bool:
        # The gateway's wire name for a dead letter is "deadLetter".
        kind = {"dead_letter": "deadLetter"}.get(action, action)
        return self._consumer.settle(self, kind, reason or "")


class GatewayConsumer(Consumer):
    """One gateway consumer. Thread-safe; ``receive`` may raise ``QueueUnavailableError``."""

    def __init__(self, transport: EmbeddedHttpTransport, queue: str, prefetch: int) -> None:
        self.transport, self.queue = transport, queue
        self._prefetch = _check_prefetch(prefetch)
        self._request_lock = threading.Lock()  # one receive (or prefetch) in flight
        self._settle_lock = threading.Lock()  # one settlement request in flight
        self._reopen_lock = threading.Lock()
        self._pending_lock = threading.Lock()
        self._pending: list[_Settlement] = []
        self._buffer: collections.deque[GatewayDelivery] = collections.deque()
        self._generation = 0
        #: A receive that got no reply (its body), repeated before any other request.
        self._unanswered: dict | None = None
        self._closed = threading.Event()
        self._last_call = time.monotonic()
        self._consumer_id = self._open()
        self._keepalive = threading.Thread(target=self._keepalive_loop, daemon=True,
                                           name=f"conveyor-gateway-keepalive-{queue}")
        self._keepalive.start()

    def receive(self, timeout: float) -> Delivery | None:
        """Up to ``timeout`` seconds for the next delivery, in long-polls of ``POLL_CHUNK``."""
        found = self.receive_many(timeout, 1)
        return found[0] if found else None

    def receive_many(self, timeout: float, limit: int) -> list[Delivery]:
        """Up to ``timeout`` seconds for deliveries, at most ``limit``, in one request each."""
        limit = max(int(limit), 1)
        deadline = time.monotonic() + max(float(timeout), 0.0)
        while not self._closed.is_set():
            with self._request_lock:
                if not self._buffer:
                    remaining = max(deadline - time.monotonic(), 0.0)
                    self._exchange(min(remaining, POLL_CHUNK), limit)
                if self._buffer:
                    return [self._buffer.popleft()
                            for _ in range(min(limit, len(self._buffer)))]
            if time.monotonic() >= deadline:
                return []
        return []

    def set_prefetch(self, prefetch: int) -> None:
        """Change the gateway consumer's bound (>= 1)."""
        self._prefetch = _check_prefetch(prefetch)
        with self._request_lock:
            self._call("prefetch", {"prefetch": self._prefetch}, 15.0)

    def close(self) -> None:
        """Close the gateway consumer; unsettled deliveries return to the queue. Idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        with self._request_lock:
            self._drop_pending()
            self._buffer.clear()
            try:
                self.transport.call(f"/queues/{self.queue}/consumers/{self._consumer_id}",
                                    None, timeout=15.0, method="delete")
            except Exception as exc:  # noqa: BLE001 - the gateway reaps it anyway
                log.info("closing gateway consumer %s: %s", self._consumer_id, exc)

    def settle(self, delivery: GatewayDelivery, kind: str, reason: str) -> bool:
        """Apply a settlement (any thread, no lock held); returns once the gateway did.

        False (nothing sent) if the delivery's consumer is gone: the gateway returned the
        message to the queue when it closed that consumer.
        """
        if delivery.generation != self._generation or self._closed.is_set():
            return False
        item = _Settlement(delivery.tag, kind, reason, delivery.generation)
        with self._pending_lock:
            self._pending.append(item)
        if not item.done.wait(SETTLE_GRACE):
            with self._settle_lock:  # whoever holds it sends everything queued meanwhile
                if not item.done.is_set():
                    self._exchange(0.0, 0)
        item.done.wait()  # a receive took it along (it does not wait when it carries some)
        if item.error is not None:
            raise item.error
        return True

    # -- internals --------------------------------------------------------------------------

    def _open(self) -> str:
        reply = self.transport.call(f"/queues/{self.queue}/consumers",
                                    {"prefetch": self._prefetch}, timeout=15.0)
        self._last_call = time.monotonic()
        return str(reply["consumerId"])

    def _call(self, action: str, body: dict, timeout: float) -> dict | None:
        """POST ``.../consumers/{id}/{action}``; None if the consumer had to be reopened.

        Called from the receiving and the settling side at once: the consumer is reopened
        only by the first call that finds it gone (and never after ``close``).
        """
        consumer_id = self._consumer_id
        try:
            return self.transport.call(
                f"/queues/{self.queue}/consumers/{consumer_id}/{action}", body, timeout)
        except ConsumerGone:
            with self._reopen_lock:
                if self._consumer_id == consumer_id and not self._closed.is_set():
                    log.warning("queue gateway forgot consumer %s of %s (its deliveries went "
                                "back to the queue); opening a new one", consumer_id,
                                self.queue)
                    self._generation += 1
                    self._buffer.clear()
                    self._unanswered = None  # its deliveries went back to the queue too
                    self._consumer_id = self._open()
            return None
        finally:
            self._last_call = time.monotonic()

    def _exchange(self, wait: float, limit: int) -> None:
        """Send pending settlements, then receive up to ``limit`` deliveries into the buffer.

        A request carrying settlements never long-polls: their settlers are waiting. A
        receive left unanswered is repeated first (raising, and staying unanswered, if the
        repeat fails too).
        """
        with self._pending_lock:  # taken by one caller: a settler may be exchanging too
            unanswered, self._unanswered = self._unanswered, None
        if unanswered is not None:
            self._send(unanswered, [])
            if self._buffer:  # deliveries recovered: ask no more now, send only settlements
                wait, limit = 0.0, 0
        with self._pending_lock:
            batch, self._pending = self._pending, []
        stale = [item for item in batch if item.generation != self._generation]
        batch = [item for item in batch if item.generation == self._generation]
        for item in stale:  # their consumer was replaced: the messages are back in the queue
            item.finish()
        if not batch and limit == 0:
            return  # a receive took this settler's items along: nothing left to send
        if batch:
            wait = 0.0
        body: dict = {"timeout": wait, "max": limit, "ack": [], "nack": [], "deadLetter": [],
                      "requestId": uuid.uuid4().hex}
        for item in batch:
            body[item.kind].append({"tag": item.tag, "reason": item.reason}
                                   if item.kind == "deadLetter" else item.tag)
        self._send(body, batch)

    def _send(self, body: dict, batch: list[_Settlement]) -> None:
        """One receive request; its deliveries go to the buffer, its settlers are answered.

        Unanswered (no reply at all: ``QueueUnavailableError``), a request that may have
        taken deliveries is kept to be repeated; a refusal is an answer, never repeated.
        """
        generation = self._generation
        try:
            reply = self._call("receive", body, body["timeout"] + 30.0)
        except Exception as exc:
            if (isinstance(exc, QueueUnavailableError) and body["max"] > 0
                    and generation == self._generation):
                self._unanswered = body
            for item in batch:
                item.finish(exc)
            raise
        for item in batch:
            item.finish()  # after a reopen (reply None) they were requeued: nothing to do
        if reply is not None and generation == self._generation:
            self._buffer.extend(GatewayDelivery(self, generation, wire)
                                for wire in reply.get("deliveries", []))

    def _drop_pending(self) -> None:
        with self._pending_lock:
            batch, self._pending = self._pending, []
        for item in batch:
            item.finish()

    def _keepalive_loop(self) -> None:
        while not self._closed.wait(KEEPALIVE / 4):
            if time.monotonic() - self._last_call < KEEPALIVE:
                continue
            if not self._request_lock.acquire(blocking=False):
                continue  # a request is in flight, which keeps the consumer alive
            try:
                if not self._closed.is_set():
                    self._call("prefetch", {"prefetch": self._prefetch}, 15.0)
            except Exception as exc:  # noqa: BLE001 - retried on the next tick
                log.warning("queue gateway keep-alive failed: %s", exc)
            finally:
                self._request_lock.release()


def _check_prefetch(prefetch: int) -> int:
    if isinstance(prefetch, bool) or not isinstance(prefetch, int) or prefetch < 1:
        raise ValueError(f"prefetch must be an integer >= 1, not {prefetch!r}")
    return prefetch
