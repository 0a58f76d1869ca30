"""QueueGateway: remote consumers of the control plane's queue transport, over the API.

Replicas of the embedded default cannot open the queue file themselves; they consume through
the control plane. Each remote consumer is a real ``Consumer`` held here with its unsettled
deliveries; one that stops calling for ``idle_seconds`` (its replica died) is closed, which
returns its deliveries to the queue, exactly as a dead AMQP connection would.

A consumer belongs to the principal that opened it (``owner``): the API authorizes the
queue when a consumer opens, as an AMQP broker does at ``basic.consume``, and later calls
need the same owner; ``authorized_at`` lets it re-check now and then.

A receive may name itself (``request_id``): a repeat of it -- the client resending a
request whose reply it never got -- gets that reply again (the same deliveries, its
settlements not applied twice), so deliveries taken for a lost reply are not stranded,
unsettled, until their consumer closes. The last ``REMEMBERED`` receives of a consumer
are remembered.
"""

from __future__ import annotations

import base64
import collections
import logging
import threading
import time
from dataclasses import dataclass, field

from conveyor_runner.errors import InvalidInputError, NotFoundError
from conveyor_runner.ids import new_id
from conveyor_runner.queue.transport import Consumer, Delivery, QueueTransport

log = logging.getLogger(__name__)
MAX_WAIT = 30.0
#: Named receives remembered per consumer (a client repeats only its latest).
REMEMBERED = 4


@dataclass
class _Answer:
    """A named receive's outcome, once ``done``: its deliveries, or the error it raised."""

    done: threading.Event = field(default_factory=threading.Event)
    deliveries: list[dict] | None = None
    error: Exception | None = None


@dataclass
class _Remote:
    queue: str
    consumer: Consumer
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    last_seen: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Receives in progress: a consumer waiting for messages is alive, not silent.
    receiving: int = 0
    #: The user id that opened it, and when its access to the queue was last checked.
    owner: str | None = None
    authorized_at: float = field(default_factory=time.monotonic)
    #: Named receives, oldest first.
    answers: collections.OrderedDict[str, _Answer] = field(
        default_factory=collections.OrderedDict)


class QueueGateway:
    """Remote consumers keyed by id.

    Args:
        transport: the control plane's queue transport.
        idle_seconds: a consumer silent this long is closed and its deliveries returned.
    """

    def __init__(self, transport: QueueTransport, idle_seconds: float = 15.0) -> None:
        self.transport = transport
        self._idle = idle_seconds
        self._remotes: dict[str, _Remote] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap_loop, name="conveyor-queue-reaper",
                                        daemon=True)
        self._reaper.start()

    def open(self, queue: str, prefetch: int, owner: str | None = None) -> str:
        """Start a consumer on ``queue`` for ``owner`` (a user id); returns its id."""
        _check_prefetch(prefetch)
        self.transport.declare(queue)
        remote = _Remote(queue, self.transport.consume(queue, prefetch=prefetch), owner=owner)
        consumer_id = new_id()
        with self._lock:
            self._remotes[consumer_id] = remote
        return consumer_id

    def queue_of(self, consumer_id: str) -> str:
        """The queue a consumer reads. ``NotFoundError`` if it is closed or unknown."""
        return self._get(consumer_id).queue

    def authorization_age(self, consumer_id: str, queue: str, owner: str) -> float:
        """Seconds since the consumer's access was checked, if it reads ``queue`` and
        belongs to ``owner``; else ``NotFoundError`` (another user's consumer is unknown)."""
        remote = self._get(consumer_id)
        if remote.queue != queue or remote.owner != owner:
            raise NotFoundError(f"consumer {consumer_id} not found")
        return time.monotonic() - remote.authorized_at

    def authorized(self, consumer_id: str) -> None:
        """Record that the consumer's access was checked just now."""
        self._get(consumer_id).authorized_at = time.monotonic()

    def receive(self, consumer_id: str, *, timeout: float, limit: int, ack: list[str],
                nack: list[str], dead: list[dict], request_id: str | None = None) -> list[dict]:
        """Settle the given tags, then wait up to ``timeout`` for up to ``limit`` deliveries.

        The wait holds no lock, so settlements sent meanwhile (another request of the same
        replica) are applied at once instead of queueing behind the long poll. A repeated
        ``request_id`` answers as its first request did (waiting for it if it still runs).
        """
        remote = self._get(consumer_id)
        remote.last_seen = time.monotonic()
        if request_id is None:
            return self._receive(remote, timeout, limit, ack, nack, dead)
        with remote.lock:
            answer = remote.answers.get(request_id)
            first = answer is None
            if first:
                answer = remote.answers[request_id] = _Answer()
                while len(remote.answers) > REMEMBERED:
                    remote.answers.popitem(last=False)
        if not first:
            if not answer.done.wait(MAX_WAIT + 5.0):
                raise InvalidInputError(f"requestId: request {request_id} is still running",
                                        "requestId")
            if answer.error is not None:
                raise answer.error
            return answer.deliveries
        try:
            answer.deliveries = self._receive(remote, timeout, limit, ack, nack, dead)
            return answer.deliveries
        except Exception as exc:
            answer.error = exc
            raise
        finally:
            answer.done.set()

    def _receive(self, remote: _Remote, timeout: float, limit: int, ack: list[str],
                 nack: list[str], dead: list[dict]) -> list[dict]:
        with remote.lock:
            self._settle(remote, ack, nack, dead)
            remote.receiving += 1
        found: list[dict] = []
        wait = min(max(timeout, 0.0), MAX_WAIT)
        try:
            while len(found) < limit:
                delivery = remote.consumer.receive(wait if not found else 0.0)
                if delivery is None:
                    break
                tag = new_id()
                with remote.lock:
                    remote.deliveries[tag] = delivery
                found.append(_wire(tag, delivery))
        finally:
            with remote.lock:
                remote.receiving -= 1
            remote.last_seen = time.monotonic()
        return found

    def set_prefetch(self, consumer_id: str, prefetch: int) -> None:
        """Change a consumer's prefetch."""
        _check_prefetch(prefetch)
        remote = self._get(consumer_id)
        remote.last_seen = time.monotonic()
        remote.consumer.set_prefetch(prefetch)

    def close(self, consumer_id: str) -> None:
        """Close a consumer; its unsettled deliveries return to the queue. Idempotent."""
        with self._lock:
            remote = self._remotes.pop(consumer_id, None)
        if remote is not None:
            remote.consumer.close()

    def shutdown(self) -> None:
        """Close every consumer and stop the reaper."""
        self._stop.set()
        for consumer_id in list(self._remotes):
            self.close(consumer_id)

    def _get(self, consumer_id: str) -> _Remote:
        with self._lock:
            remote = self._remotes.get(consumer_id)
        if remote is None:
            raise NotFoundError(f"consumer {consumer_id} not found (closed after "
                                f"{self._idle:.0f} s of silence?)")
        return remote

    def _settle(self, remote: _Remote, ack: list[str], nack: list[str], dead: list[dict]) -> None:
        for tag in ack:
            self._pop(remote, tag).ack()
        for tag in nack:
            self._pop(remote, tag).nack()
        for entry in dead:
            self._pop(remote, str(entry.get("tag"))).dead_letter(str(entry.get("reason", "")))

    @staticmethod
    def _pop(remote: _Remote, tag: str) -> Delivery:
        delivery = remote.deliveries.pop(tag, None)
        if delivery is None:
            raise InvalidInputError(f"tag: unknown or already settled delivery {tag}", "tag")
        return delivery

    def _reap_loop(self) -> None:
        while not self._stop.wait(self._idle / 3):
            cutoff = time.monotonic() - self._idle
            with self._lock:
                stale = [cid for cid, r in self._remotes.items()
                         if r.last_seen < cutoff and r.receiving == 0]
            for consumer_id in stale:
                log.warning("closing silent queue consumer %s; its deliveries return", consumer_id)
                self.close(consumer_id)


def _wire(tag: str, delivery: Delivery) -> dict:
    return {"tag": tag, "messageId": delivery.message_id,
            "body": base64.b64encode(delivery.body).decode(), "headers": delivery.headers,
            "deliveryCount": delivery.delivery_count}


def _check_prefetch(prefetch: object) -> None:
    if isinstance(prefetch, bool) or not isinstance(prefetch, int) or not 1 <= prefetch <= 1000:
        raise InvalidInputError("prefetch: must be an integer from 1 to 1000", "prefetch")
