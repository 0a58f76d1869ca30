"""Consumers and deliveries of the embedded queue.

A consumer keeps its unsettled deliveries in memory, keyed by lease, to enforce its
prefetch and to return them to the queue on :meth:`EmbeddedConsumer.close`. The queue
file holds the truth: a delivery can settle its message only while the message still
carries the delivery's lease. A delivery whose lease was taken back (its delivery timeout
passed, or its consumer closed) settles as a no-op, so it can never remove or dead-letter
a redelivery that some other consumer now holds.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from conveyor_runner.queue import Consumer, Delivery

if TYPE_CHECKING:
    from conveyor_plugins.embedded.transport import EmbeddedTransport

log = logging.getLogger(__name__)


class EmbeddedDelivery(Delivery):
    """One delivery of a stored message; settle it once, from any thread."""

    def __init__(self, consumer: EmbeddedConsumer, *, seq: int, lease: str, message_id: str,
                 body: bytes, headers: dict[str, str], delivery_count: int) -> None:
        self.message_id = message_id
        self.body = body
        self.headers = headers
        self.delivery_count = delivery_count
        self.seq = seq
        self.lease = lease
        self._consumer = consumer
        super().__init__()

    def _apply(self, action: str, reason: str | None) -> bool:
        # ack deletes the row; nack puts it back at its original place; dead_letter moves
        # it to the dead letters -- each in one committed transaction.
        applied = self._consumer.transport._settle(self, action, reason)
        self._consumer._forget(self)
        return applied


class EmbeddedConsumer(Consumer):
    """Receives from one queue with at most ``prefetch`` unsettled deliveries.

    Thread-safe: any number of threads may call :meth:`receive` at once; the prefetch
    bound holds across all of them.
    """

    def __init__(self, transport: EmbeddedTransport, queue: str, prefetch: int) -> None:
        self.transport = transport
        self.queue = queue
        self._prefetch = _check_prefetch(prefetch)
        self._lock = threading.Lock()
        self._unsettled: dict[str, EmbeddedDelivery] = {}
        self._closed = False

    def receive(self, timeout: float) -> EmbeddedDelivery | None:
        """Wait up to ``timeout`` seconds for the next message in publish order.

        Wakes at once when this process publishes, requeues or settles, and polls the
        file every ``poll_interval`` for changes made by other processes. Returns None
        on timeout, and at once when the consumer is (or gets) closed.
        """
        deadline = time.monotonic() + max(float(timeout), 0.0)
        signal = self.transport.signal
        while True:
            seen = signal.generation
            delivery = self._try_receive()
            if delivery is not None or self._closed:
                return delivery
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            signal.wait(seen, min(remaining, self.transport.poll_interval))

    def _try_receive(self) -> EmbeddedDelivery | None:
        with self._lock:
            if self._closed or len(self._unsettled) >= self._prefetch:
                return None
            delivery = self.transport._claim(self)
            if delivery is not None:
                self._unsettled[delivery.lease] = delivery
                return delivery
        self.transport._reap_dead_owners(force=False)
        return None

    def set_prefetch(self, prefetch: int) -> None:
        """Change the bound; lowering it keeps current deliveries and only slows receives."""
        with self._lock:
            self._prefetch = _check_prefetch(prefetch)
        self.transport.signal.notify()

    def close(self) -> None:
        """Stop consuming and return every unsettled delivery to the queue. Idempotent.

        Returned deliveries keep their place in the queue; settling them afterwards is a
        no-op that logs a warning (it still counts as their one settle).
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            returned = list(self._unsettled.values())
            self._unsettled.clear()
        self.transport._release(returned, self)

    def _forget(self, delivery: EmbeddedDelivery) -> None:
        with self._lock:
            self._unsettled.pop(delivery.lease, None)
        self.transport.signal.notify()


def _check_prefetch(prefetch: int) -> int:
    if isinstance(prefetch, bool) or not isinstance(prefetch, int) or prefetch < 1:
        raise ValueError(f"prefetch must be an integer >= 1, not {prefetch!r}")
    return prefetch
