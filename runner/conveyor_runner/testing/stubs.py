"""In-memory stand-ins for each plugin role, for tests of the code above them."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from conveyor_runner.compute import ComputeBackend, DeploymentSpec, ReplicaStatus
from conveyor_runner.queue import Consumer, DeadLetter, Delivery, QueueTransport

# -- Queue role ----------------------------------------------------------------------

#: Delivery timeout of queues declared without one (RabbitMQ's default consumer timeout).
STUB_DELIVERY_TIMEOUT = 1800.0


@dataclass
class _Message:
    seq: int
    message_id: str
    body: bytes
    headers: dict[str, str]
    delivery_count: int = 0


@dataclass
class _Queue:
    delivery_timeout: float
    waiting: list[tuple[int, _Message]] = field(default_factory=list)  # heap by seq
    leased: dict[int, tuple[_Message, float]] = field(default_factory=dict)  # lease -> deadline
    dead: list[DeadLetter] = field(default_factory=list)

    def expire_leases(self, now: float) -> None:
        for lease, (message, deadline) in list(self.leased.items()):
            if deadline <= now:
                del self.leased[lease]
                heapq.heappush(self.waiting, (message.seq, message))


class StubTransport(QueueTransport):
    """An in-memory ``QueueTransport`` (``memory://``) with the embedded one's semantics.

    Same guarantees as the durable transports except durability: FIFO per queue, requeued
    messages keep their original place, at-least-once delivery with per-consumer prefetch,
    delivery timeouts checked on receive, dead letters and redrive. Everything lives in
    this object; nothing is shared between instances. Thread-safe.

    Use :meth:`join` in tests to wait until the code under test has settled everything.
    """

    schemes = ("memory",)

    def __init__(self, url: str = "memory://") -> None:
        super().__init__(url)
        self._condition = threading.Condition()
        self._queues: dict[str, _Queue] = {}
        self._seq = itertools.count(1)
        self._leases = itertools.count(1)

    def _queue(self, name: str) -> _Queue:
        queue = self._queues.get(name)
        if queue is None:
            queue = self._queues[name] = _Queue(STUB_DELIVERY_TIMEOUT)
        return queue

    def declare(self, queue: str, *, delivery_timeout: float | None = None) -> None:
        """Create the queue or update its delivery timeout. Idempotent; keeps messages."""
        if delivery_timeout is not None and not delivery_timeout > 0:
            raise ValueError(f"delivery_timeout must be > 0 seconds, not {delivery_timeout!r}")
        with self._condition:
            self._queue(queue).delivery_timeout = delivery_timeout or STUB_DELIVERY_TIMEOUT

    def publish(self, queue: str, body: bytes, *, message_id: str,
                headers: dict[str, str] | None = None) -> None:
        """Append a message (queues need no declaration here; declare them anyway)."""
        message = _Message(next(self._seq), message_id, bytes(body), dict(headers or {}))
        with self._condition:
            heapq.heappush(self._queue(queue).waiting, (message.seq, message))
            self._condition.notify_all()

    def consume(self, queue: str, *, prefetch: int) -> StubConsumer:
        """A consumer of ``queue`` holding at most ``prefetch`` unsettled deliveries."""
        return StubConsumer(self, queue, prefetch)

    def depth(self, queue: str) -> int:
        """Messages waiting for delivery (expired leases count once noticed by a receive)."""
        with self._condition:
            return len(self._queues[queue].waiting) if queue in self._queues else 0

    def purge(self, queue: str) -> int:
        """Drop every waiting message; unsettled deliveries stay."""
        with self._condition:
            if queue not in self._queues:
                return 0
            dropped = len(self._queues[queue].waiting)
            self._queues[queue].waiting.clear()
            self._condition.notify_all()
            return dropped

    def delete_queue(self, queue: str) -> None:
        """Forget the queue and everything in it. Idempotent."""
        with self._condition:
            self._queues.pop(queue, None)
            self._condition.notify_all()

    def dead_letters(self, queue: str) -> list[DeadLetter]:
        """The queue's dead letters, oldest first."""
        with self._condition:
            return list(self._queues[queue].dead) if queue in self._queues else []

    def redrive(self, queue: str, message_id: str | None = None) -> int:
        """Append dead letters (all, or those with ``message_id``) to the queue's tail."""
        with self._condition:
            if queue not in self._queues:
                return 0
            target = self._queues[queue]
            moving = [d for d in target.dead if message_id in (None, d.message_id)]
            target.dead = [d for d in target.dead if d not in moving]
            for dead in moving:
                message = _Message(next(self._seq), dead.message_id, dead.body, dict(dead.headers))
                heapq.heappush(target.waiting, (message.seq, message))
            self._condition.notify_all()
            return len(moving)

    def join(self, queue: str, timeout: float = 10.0) -> None:
        """Block until ``queue`` has nothing waiting and nothing unsettled.

        Raises:
            TimeoutError: the queue did not drain within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._condition:
            while (target := self._queues.get(queue)) and (target.waiting or target.leased):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"queue {queue!r} did not drain in {timeout} s: {len(target.waiting)} "
                        f"waiting, {len(target.leased)} unsettled")
                self._condition.wait(remaining)

    # -- used by consumers and deliveries ---------------------------------------

    def _claim(self, consumer: StubConsumer) -> StubDelivery | None:
        # Called with self._condition held.
        target = self._queues.get(consumer.queue)
        if target is None:
            return None
        now = time.monotonic()
        target.expire_leases(now)
        if not target.waiting:
            return None
        _, message = heapq.heappop(target.waiting)
        message.delivery_count += 1
        lease = next(self._leases)
        target.leased[lease] = (message, now + target.delivery_timeout)
        return StubDelivery(consumer, lease, message)

    def _settle(self, delivery: StubDelivery, action: str, reason: str | None) -> bool:
        with self._condition:
            target = self._queues.get(delivery.queue)
            held = target.leased.pop(delivery.lease, None) if target else None
            if held is not None:
                message = held[0]
                if action == "nack":
                    heapq.heappush(target.waiting, (message.seq, message))
                elif action == "dead_letter":
                    target.dead.append(DeadLetter(message.message_id, message.body, reason or "",
                                                  dict(message.headers), _now_iso()))
            self._condition.notify_all()
            return held is not None


class StubDelivery(Delivery):
    """One in-memory delivery; settle it once, from any thread."""

    def __init__(self, consumer: StubConsumer, lease: int, message: _Message) -> None:
        self.message_id = message.message_id
        self.body = message.body
        self.headers = dict(message.headers)
        self.delivery_count = message.delivery_count
        self.queue = consumer.queue
        self.lease = lease
        self._consumer = consumer
        super().__init__()

    def _apply(self, action: str, reason: str | None) -> bool:
        # A no-op if the lease was taken back (the consumer closed or the timeout passed).
        self._consumer._forget(self)
        return self._consumer.transport._settle(self, action, reason)


class StubConsumer(Consumer):
    """Receives from one in-memory queue with at most ``prefetch`` unsettled deliveries."""

    def __init__(self, transport: StubTransport, queue: str, prefetch: int) -> None:
        self.transport = transport
        self.queue = queue
        self._prefetch = _check_prefetch(prefetch)
        self._unsettled: dict[int, StubDelivery] = {}
        self._closed = False

    def receive(self, timeout: float) -> StubDelivery | None:
        """Wait up to ``timeout`` seconds for the next message; None on timeout or close."""
        deadline = time.monotonic() + max(float(timeout), 0.0)
        condition = self.transport._condition
        with condition:
            while not self._closed:
                if len(self._unsettled) < self._prefetch:
                    delivery = self.transport._claim(self)
                    if delivery is not None:
                        self._unsettled[delivery.lease] = delivery
                        return delivery
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                # Bounded wait: delivery timeouts expire without anyone notifying.
                condition.wait(min(remaining, 0.05))
            return None

    def set_prefetch(self, prefetch: int) -> None:
        """Change how many deliveries may be unsettled at once (>= 1)."""
        with self.transport._condition:
            self._prefetch = _check_prefetch(prefetch)
            self.transport._condition.notify_all()

    def close(self) -> None:
        """Stop consuming; unsettled deliveries return to the queue. Idempotent."""
        with self.transport._condition:
            if self._closed:
                return
            self._closed = True
            returned = list(self._unsettled.values())
            self._unsettled.clear()
            target = self.transport._queues.get(self.queue)
            for delivery in returned:
                held = target.leased.pop(delivery.lease, None) if target else None
                if held is not None:
                    heapq.heappush(target.waiting, (held[0].seq, held[0]))
            self.transport._condition.notify_all()

    def _forget(self, delivery: StubDelivery) -> None:
        with self.transport._condition:
            self._unsettled.pop(delivery.lease, None)


def _check_prefetch(prefetch: int) -> int:
    if isinstance(prefetch, bool) or not isinstance(prefetch, int) or prefetch < 1:
        raise ValueError(f"prefetch must be an integer >= 1, not {prefetch!r}")
    return prefetch


def _now_iso() -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


# -- Compute role --------------------------------------------------------------------


class StubComputeBackend(ComputeBackend):
    """Records every call and pretends the replicas run, instantly and forever.

    ``replicas()`` lists one ``running`` replica per the last applied spec: re-applying
    keeps the ids, scaling up adds ids, scaling down drops the newest, a new revision gets
    all-new ids, ``stop_replica`` drops one (not replaced) and ``remove`` drops all, each at
    once. No process runs, so ``logs()`` returns only what a test put there with
    :meth:`add_log`. Thread-safe.

    Attributes:
        applied: every spec passed to ``apply``, in order.
        stopped: ``(service_id, replica_id, drain_seconds)`` per ``stop_replica`` call.
        removed: ``(service_id, drain_seconds)`` per ``remove`` call.
        closed: whether ``close`` was called.
    """

    name = "stub"

    def __init__(self, data_dir: Path | None = None) -> None:
        super().__init__(Path(data_dir or "."))
        self.applied: list[DeploymentSpec] = []
        self.stopped: list[tuple[str, str, float]] = []
        self.removed: list[tuple[str, float]] = []
        self.closed = False
        self._lock = threading.Lock()
        self._replicas: dict[str, list[ReplicaStatus]] = {}
        self._logs: dict[str, list[tuple[str, str]]] = {}
        self._ids = itertools.count(1)

    def apply(self, spec: DeploymentSpec) -> None:
        if spec.replicas < 0:
            raise ValueError(f"DeploymentSpec.replicas must be >= 0, not {spec.replicas}")
        with self._lock:
            self.applied.append(spec)
            kept = [r for r in self._replicas.get(spec.service_id, [])
                    if r.revision == spec.revision][:spec.replicas]
            while len(kept) < spec.replicas:
                kept.append(ReplicaStatus(f"{spec.service_id}-stub-{next(self._ids)}",
                                          spec.revision, "running"))
            self._replicas[spec.service_id] = kept

    def stop_replica(self, service_id: str, replica_id: str, drain_seconds: float) -> None:
        with self._lock:
            self.stopped.append((service_id, replica_id, drain_seconds))
            self._replicas[service_id] = [r for r in self._replicas.get(service_id, [])
                                          if r.replica_id != replica_id]

    def remove(self, service_id: str, drain_seconds: float) -> None:
        with self._lock:
            self.removed.append((service_id, drain_seconds))
            self._replicas.pop(service_id, None)

    def replicas(self, service_id: str) -> list[ReplicaStatus]:
        with self._lock:
            return list(self._replicas.get(service_id, []))

    def add_log(self, service_id: str, replica_id: str, line: str) -> None:
        """Make ``logs()`` return ``line`` as written by ``replica_id``."""
        with self._lock:
            self._logs.setdefault(service_id, []).append((replica_id, line))

    def logs(self, service_id: str, replica_id: str | None = None,
             tail: int = 200) -> list[str]:
        with self._lock:
            lines = [line for rid, line in self._logs.get(service_id, [])
                     if replica_id is None or rid == replica_id]
        return lines[-tail:] if tail > 0 else []

    def close(self) -> None:
        self.closed = True
