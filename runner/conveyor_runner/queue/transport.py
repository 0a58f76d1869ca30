"""QueueTransport: the contract every execution queue (embedded, RabbitMQ, ...) fulfils.

Messages are opaque bytes with a ``message_id`` (the execution id) and string headers.
Delivery is at-least-once: a message leaves the queue only when a consumer acks it, and
returns to the queue when its consumer nacks it, closes, disconnects or dies. Every
delivery of a message counts (``delivery_count`` starts at 1), which is how ``maxAttempts``
and ``onReset`` are enforced above this layer. A message that cannot be processed at all
(undecodable) goes to the queue's dead-letter list with a reason, never silently dropped.
"""

from __future__ import annotations

import abc
import logging
import threading
from dataclasses import dataclass, field
from typing import ClassVar

from conveyor_runner.errors import RunnerError

log = logging.getLogger(__name__)


class QueueUnavailableError(RunnerError):
    """The queue backend could not be reached within the bounded wait (retryable)."""


class PartialPublishError(QueueUnavailableError):
    """``publish_many`` stored only some of its messages; ``stored`` lists their ids."""

    def __init__(self, message: str, stored: list[str]) -> None:
        super().__init__(message)
        self.stored = stored


@dataclass(frozen=True)
class Message:
    """A message to publish: its queue, opaque body, id and string headers."""

    queue: str
    body: bytes
    message_id: str
    headers: dict[str, str] | None = None


@dataclass(frozen=True)
class DeadLetter:
    """A message set aside with the reason it could not be processed."""

    message_id: str
    body: bytes
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    dead_at: str = ""


class Delivery(abc.ABC):
    """One delivery of a message to a consumer. Settle it exactly once.

    ``ack``/``nack``/``dead_letter`` may be called from any thread and block until the
    backend applied them; ``ack_nowait`` queues the ack instead (see there). Settling twice
    raises ``RuntimeError``. A settle that fails (``QueueUnavailableError``) is not counted
    and may be retried. Settling a delivery the backend already took back (its consumer
    closed, its connection dropped, its delivery timeout passed: the message was requeued)
    changes nothing and is logged.

    Implementations set the four attributes, call ``super().__init__()`` and implement
    :meth:`_apply` (and :meth:`_apply_nowait` where the backend can queue an ack); this
    class keeps the exactly-once bookkeeping.
    """

    message_id: str
    body: bytes
    headers: dict[str, str]
    #: 1 for the first delivery, then +1 for every redelivery.
    delivery_count: int
    #: Whether ``ack_nowait`` returns without waiting for the backend (else it waits).
    queues_acks: ClassVar[bool] = False

    def __init__(self) -> None:
        self._settle_lock = threading.Lock()
        self._settled: str | None = None

    def ack(self) -> None:
        """Remove the message from the queue for good."""
        self._settle("ack", None)

    def ack_nowait(self) -> None:
        """``ack`` without waiting for the backend: the delivery counts as settled at once,
        and the ack reaches the backend after everything sent before it for this delivery's
        consumer. If the consumer's connection is lost first, the message returns to the
        queue, as for any unsettled delivery. Where the backend cannot queue an ack
        (``queues_acks`` is False, the default), this waits like ``ack``.

        For a caller that must not block on the broker (it has already recorded the
        outcome elsewhere, so a redelivery would be recognised).
        """
        self._settle("ack", None, wait=False)

    def nack(self) -> None:
        """Return the message to the queue for another delivery."""
        self._settle("nack", None)

    def dead_letter(self, reason: str) -> None:
        """Move the message to the queue's dead-letter list with ``reason``."""
        if not isinstance(reason, str):
            raise TypeError(f"reason must be a string, not {type(reason).__name__}")
        self._settle("dead_letter", reason)

    @abc.abstractmethod
    def _apply(self, action: str, reason: str | None) -> bool:
        """Apply ``action`` (``ack``, ``nack`` or ``dead_letter``) in the backend.

        Returns False if the backend had already taken the delivery back (nothing done).
        Called at most once successfully per delivery, under a per-delivery lock.
        """

    def _apply_nowait(self, action: str) -> bool:
        """Queue ``action`` (``ack``) in the backend without waiting; as ``_apply`` by
        default. Returns False if the backend had already taken the delivery back."""
        return self._apply(action, None)

    def _settle(self, action: str, reason: str | None, wait: bool = True) -> None:
        with self._settle_lock:
            if self._settled is not None:
                raise RuntimeError(
                    f"delivery of message {self.message_id!r} was already settled "
                    f"({self._settled}); settle each delivery exactly once")
            applied = self._apply(action, reason) if wait else self._apply_nowait(action)
            self._settled = action  # only after the backend agreed: a failure may be retried
        if not applied:
            log.warning("%s of message %r ignored: the delivery had been taken back and the "
                        "message requeued", action, self.message_id)


class Consumer(abc.ABC):
    """A subscription to one queue with a bounded number of unsettled deliveries."""

    @abc.abstractmethod
    def receive(self, timeout: float) -> Delivery | None:
        """Block up to ``timeout`` seconds for the next delivery; None when none came.

        Never returns more unsettled deliveries than the prefetch allows. Thread-safe.
        """

    def receive_many(self, timeout: float, limit: int) -> list[Delivery]:
        """Block up to ``timeout`` seconds for at least one delivery; take up to ``limit``.

        Returns at once with whatever is available after the first delivery (an empty list
        on timeout). The prefetch bound holds as for ``receive``. Thread-safe. This default
        calls ``receive``; transports that can fetch several messages in one round trip
        override it.
        """
        first = self.receive(timeout)
        if first is None:
            return []
        found = [first]
        while len(found) < limit:
            delivery = self.receive(0.0)
            if delivery is None:
                break
            found.append(delivery)
        return found

    @abc.abstractmethod
    def set_prefetch(self, prefetch: int) -> None:
        """Change how many deliveries may be unsettled at once (>= 1)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop consuming; unsettled deliveries return to the queue. Idempotent."""


class QueueTransport(abc.ABC):
    """Publishes and consumes execution messages on named, durable queues.

    Args:
        url: the queue URL whose scheme selected this transport.
    """

    #: URL schemes this transport serves (``("embedded",)``, ``("amqp", "amqps")``).
    schemes: ClassVar[tuple[str, ...]]

    def __init__(self, url: str) -> None:
        self.url = url

    @abc.abstractmethod
    def declare(self, queue: str, *, delivery_timeout: float | None = None) -> None:
        """Create the durable queue if needed. Idempotent.

        Args:
            delivery_timeout: seconds a delivery may stay unsettled before the backend may
                take it back (RabbitMQ's consumer timeout); None means the backend default.
        """

    @abc.abstractmethod
    def publish(self, queue: str, body: bytes, *, message_id: str,
                headers: dict[str, str] | None = None) -> None:
        """Durably enqueue a message; returns only once the backend has stored it.

        Raises:
            QueueUnavailableError: the backend did not confirm within the bounded wait.
        """

    def publish_many(self, messages: list[Message]) -> None:
        """Durably enqueue several messages; returns only once the backend stored them all.

        Messages are enqueued in order per queue. This default publishes them one by one
        and stops at the first that fails; transports that can have many messages stored
        in one round trip override it.

        Raises:
            PartialPublishError: some were not stored in the bounded wait; ``stored``
                names those that were (the rest may be published again).
        """
        stored: list[str] = []
        for message in messages:
            try:
                self.publish(message.queue, message.body, message_id=message.message_id,
                             headers=message.headers)
            except QueueUnavailableError as exc:
                raise PartialPublishError(f"{len(stored)} of {len(messages)} messages "
                                          f"stored: {exc}", stored) from exc
            stored.append(message.message_id)

    @abc.abstractmethod
    def consume(self, queue: str, *, prefetch: int) -> Consumer:
        """Start consuming ``queue`` (declared beforehand) with ``prefetch`` >= 1."""

    @abc.abstractmethod
    def depth(self, queue: str) -> int:
        """Messages waiting to be delivered (not counting unsettled deliveries)."""

    @abc.abstractmethod
    def purge(self, queue: str) -> int:
        """Drop every waiting message; returns how many. Unsettled deliveries are kept."""

    @abc.abstractmethod
    def delete_queue(self, queue: str) -> None:
        """Remove the queue and its messages. Idempotent."""

    @abc.abstractmethod
    def dead_letters(self, queue: str) -> list[DeadLetter]:
        """The queue's dead-lettered messages, oldest first."""

    @abc.abstractmethod
    def redrive(self, queue: str, message_id: str | None = None) -> int:
        """Move dead letters (one, or all) back to the queue; returns how many."""

    def close(self) -> None:  # noqa: B027 - optional hook: a transport may hold nothing
        """Release connections. Idempotent."""
