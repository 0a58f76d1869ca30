"""Consumers and deliveries of the RabbitMQ transport.

A consumer owns a :class:`~conveyor_plugins.rabbitmq.connection.Link` (its own
connection, channel and I/O thread, so heartbeats flow while executions run) and takes
messages **on demand**: ``receive`` first asks for one message with ``basic.get``
(``receive_many`` for as many as it may take, one ``basic.get`` each, all in one turn of
the I/O thread); if the queue is empty it subscribes with a per-consumer prefetch of 1,
waits for one message, and cancels the subscription (without waiting for the broker's
answer: see ``_subscribe_and_wait``). So no message ever waits in a client-side buffer:
every message not yet returned by ``receive`` is "ready" on the broker, visible to
``depth`` and ``purge``, and free for other replicas; the prefetch bound is enforced
exactly, here, counting deliveries handed out and not yet settled (``set_prefetch``
takes effect at once). A message that reaches a subscription in the very instant its
receive times out is rejected back to the queue by pika (and counts as a delivery).

Settling marshals onto the I/O thread and blocks until the frame is written (``nack``
then waits one more round trip, so that the broker has requeued the message before it
returns); ``ack_nowait`` only queues the ack there, behind what was queued before it, and
returns. A delivery belongs to the channel it came on: once that channel is gone
(connection lost, broker restart, broker consumer timeout, consumer closed), the broker
has already returned the message to the queue, and settling the old delivery is a
logged no-op -- it still counts as the delivery's one settle. The same holds for the
embedded transport when a delivery outlives its lease.
"""

from __future__ import annotations

import functools
import logging
import queue as queue_module
import threading
import time
from typing import TYPE_CHECKING, Any

from pika.exceptions import AMQPError, ChannelClosedByBroker

from conveyor_plugins.rabbitmq import topology
from conveyor_plugins.rabbitmq.connection import STALE, Link
from conveyor_runner.queue import Consumer, Delivery, QueueUnavailableError

if TYPE_CHECKING:
    from conveyor_plugins.rabbitmq.transport import RabbitmqTransport

log = logging.getLogger(__name__)

#: How long a settle may wait for the I/O thread (it is only ever busy for a round trip).
SETTLE_TIMEOUT = 10.0
#: A blocked receive re-checks the link and the closed flag at least this often.
_POLL = 0.5


class RabbitmqDelivery(Delivery):
    """One delivery of a message on one consumer channel; settle it once, from any thread."""

    queues_acks = True  # ack_nowait queues the frame on the channel's I/O thread

    def __init__(self, consumer: RabbitmqConsumer, generation: int, method: Any,
                 properties: Any, body: bytes) -> None:
        self.message_id = properties.message_id or ""
        self.body = bytes(body)
        self.headers = topology.user_headers(properties.headers)
        self.delivery_count = topology.delivery_count(properties.headers, method.redelivered)
        self.generation = generation
        self.delivery_tag = method.delivery_tag
        self._consumer = consumer
        super().__init__()

    def _apply(self, action: str, reason: str | None) -> bool:
        # ack: on the wire before returning; nack: back in the queue before returning;
        # dead_letter: a confirmed copy to <queue>.dlq, then an ack (a crash in between
        # leaves a duplicate in the DLQ, never a loss). False once the channel is gone.
        applied = self._consumer._settle(self, action, reason)
        self._consumer._forget(self)
        return applied

    def _apply_nowait(self, action: str) -> bool:
        # Queued on the I/O thread behind everything submitted before it on this channel;
        # dropped there if the channel is gone by then (the broker requeued the message).
        applied = self._consumer._settle_nowait(self, action)
        self._consumer._forget(self)
        return applied


class RabbitmqConsumer(Consumer):
    """Receives from one queue with at most ``prefetch`` unsettled deliveries.

    Thread-safe: receives from several threads are served one at a time, and the
    prefetch bound holds across all of them.
    """

    def __init__(self, transport: RabbitmqTransport, queue: str, prefetch: int) -> None:
        self.transport = transport
        self.queue = queue
        self._prefetch = _check_prefetch(prefetch)
        self._state = threading.Condition()
        self._unsettled: set[RabbitmqDelivery] = set()
        self._closed = False
        self._receiving = threading.Lock()
        self._arrivals: queue_module.SimpleQueue[tuple] = queue_module.SimpleQueue()
        self._link = Link(transport.settings.parameters, url=transport.url_shown,
                          name=f"consumer of {queue}",
                          on_channel=lambda channel: channel.basic_qos(prefetch_count=1))
        self._link.start(startup=False)

    def receive(self, timeout: float) -> RabbitmqDelivery | None:
        """Wait up to ``timeout`` seconds for the next message; None if none came.

        While the broker is away (restart, network) this waits for the reconnection
        within ``timeout`` and returns None; the consumer keeps reconnecting.

        Raises:
            QueueUnavailableError: the queue does not exist (declare it first).
        """
        found = self._receive(timeout, 1)
        return found[0] if found else None

    def receive_many(self, timeout: float, limit: int) -> list[RabbitmqDelivery]:
        """As ``Consumer.receive_many``, in one hand-over to the I/O thread: the messages
        waiting are taken there with one ``basic.get`` each. A first message that had to be
        waited for comes alone: the queue was empty a moment ago, and asking again would
        only add a round trip before it starts."""
        return self._receive(timeout, max(int(limit), 1))

    def _receive(self, timeout: float, limit: int) -> list[RabbitmqDelivery]:
        deadline = time.monotonic() + max(float(timeout), 0.0)
        if not self._receiving.acquire(timeout=max(float(timeout), 0.0)):
            return []
        try:
            room = self._wait_for_room(deadline)
            return self._take(deadline, min(limit, room)) if room else []
        finally:
            self._receiving.release()

    def set_prefetch(self, prefetch: int) -> None:
        """Change the bound; lowering it keeps current deliveries and only slows receives."""
        with self._state:
            self._prefetch = _check_prefetch(prefetch)
            self._state.notify_all()

    def close(self) -> None:
        """Stop consuming; the broker requeues every unsettled delivery. Idempotent.

        Settling one of them afterwards is a logged no-op (it still counts as its settle).
        """
        with self._state:
            if self._closed:
                return
            self._closed = True
            self._unsettled.clear()
            self._state.notify_all()
        self._link.close()
        self.transport._forget_consumer(self)

    # -- receiving -----------------------------------------------------------------

    def _wait_for_room(self, deadline: float) -> int:
        """How many more deliveries the prefetch bound allows, once it allows one (0: the
        deadline passed, or the consumer closed). Receives are serialised, so the room can
        only grow until this receive takes its part."""
        with self._state:
            while not self._closed and len(self._unsettled) >= self._prefetch:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return 0
                self._state.wait(remaining)
            return 0 if self._closed else self._prefetch - len(self._unsettled)

    def _take(self, deadline: float, limit: int) -> list[RabbitmqDelivery]:
        while not self._closed:
            found = self._get(deadline, limit)
            if found or time.monotonic() >= deadline:
                return found
            delivery = self._subscribe_and_wait(deadline)
            if delivery is not None or time.monotonic() >= deadline:
                return [delivery] if delivery is not None else []
        return []

    def _get(self, deadline: float, limit: int) -> list[RabbitmqDelivery]:
        """Up to ``limit`` waiting messages, by ``basic.get`` on the I/O thread until the
        queue is empty (one hand-over for all of them)."""
        def get(channel, generation):
            arrivals = []
            while len(arrivals) < limit:
                method, properties, body = channel.basic_get(self.queue, auto_ack=False)
                if method is None:
                    break
                arrivals.append((generation, method, properties, body))
            return arrivals

        found = (self._adopt(arrival) for arrival in self._call(get, deadline) or ())
        return [delivery for delivery in found if delivery is not None]

    def _subscribe_and_wait(self, deadline: float) -> RabbitmqDelivery | None:
        def subscribe(channel, generation):
            def arrived(_channel, method, properties, body):
                self._arrivals.put((generation, method, properties, body))
            return generation, channel.basic_consume(self.queue, arrived, auto_ack=False)

        subscription = self._call(subscribe, deadline)
        if subscription is None:
            return None
        generation, tag = subscription
        arrivals: list[tuple] = []
        while not arrivals and not self._closed and self._link.generation == generation:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                arrivals.append(self._arrivals.get(timeout=min(remaining, _POLL)))
            except queue_module.Empty:
                pass
        if arrivals and self._link.generation == generation:
            # With prefetch 1 and this delivery unsettled nothing more can come, and the
            # cancel is on the wire before the delivery's settle or any later receive (the
            # link keeps the order): the delivery need not wait for the cancel's answer.
            self._link.submit(functools.partial(_cancel_on, self.queue, tag),
                              generation=generation)
            return self._adopt(arrivals[0])
        # On timeout a message racing the cancel is rejected back by pika, or already in
        # _arrivals.
        self._cancel(generation, tag)
        while not self._arrivals.empty():
            arrivals.append(self._arrivals.get_nowait())
        current = [arrival for arrival in arrivals if arrival[0] == self._link.generation]
        for extra in current[1:]:  # not expected with prefetch 1; never strand a message
            self._link.call(lambda channel, _, tag=extra[1].delivery_tag:
                            channel.basic_nack(tag, requeue=True),
                            timeout=SETTLE_TIMEOUT, generation=extra[0])
        return self._adopt(current[0] if current else None)

    def _cancel(self, generation: int, tag: str) -> None:
        try:
            self._link.call(lambda channel, _: channel.basic_cancel(tag),
                            timeout=SETTLE_TIMEOUT, generation=generation)
        except Exception as exc:  # noqa: BLE001 - the channel is going away: so is the subscription
            log.debug("cancelling subscription %s on %s failed: %r", tag, self.queue, exc)

    def _call(self, operation, deadline: float):
        """Run a receive step; None when the broker is unreachable before the deadline."""
        try:
            return self._link.call(operation, timeout=max(deadline - time.monotonic(), 0.05))
        except ChannelClosedByBroker as exc:
            if exc.reply_code == 404:
                raise QueueUnavailableError(
                    f"queue {self.queue!r} does not exist on RabbitMQ at "
                    f"{self.transport.url_shown}; declare it first") from exc
            log.warning("receiving from %s: channel closed by RabbitMQ: %s", self.queue, exc)
        except (QueueUnavailableError, RuntimeError) as exc:
            log.debug("receiving from %s: %s", self.queue, exc)
        if self._closed:
            return None
        time.sleep(min(0.05, max(deadline - time.monotonic(), 0)))  # no busy loop on errors
        return None

    def _adopt(self, arrival: tuple | None) -> RabbitmqDelivery | None:
        if arrival is None or arrival[0] != self._link.generation:
            return None  # a delivery from a gone channel: the broker requeued it
        delivery = RabbitmqDelivery(self, *arrival)
        with self._state:
            if self._closed:
                return None
            self._unsettled.add(delivery)
        return delivery

    # -- settling ------------------------------------------------------------------

    def _settle(self, delivery: RabbitmqDelivery, action: str, reason: str | None) -> bool:
        """Apply ``action`` on the delivery's channel; False if that channel is gone."""
        generation = delivery.generation
        if action == "dead_letter":
            if self._closed or self._link.generation != generation:
                return False
            self.transport._publish_dead_letter(self.queue, delivery, reason)
            action = "ack"
        settle = functools.partial(_settle_on, self.queue, delivery.delivery_tag, action)
        try:
            result = self._link.call(settle, timeout=SETTLE_TIMEOUT, generation=generation)
        except ChannelClosedByBroker:
            return True  # the requeue frame was sent before the fence failed (queue deleted)
        except QueueUnavailableError:
            if self._link.generation != generation:
                return False  # the connection died under us: the broker requeues
            raise  # still connected but not answering: the caller may retry
        return result is not STALE

    def _settle_nowait(self, delivery: RabbitmqDelivery, action: str) -> bool:
        """Queue ``action`` on the delivery's channel; False if that channel is gone."""
        generation = delivery.generation
        if self._closed or self._link.generation != generation:
            return False
        self._link.submit(functools.partial(_settle_on, self.queue, delivery.delivery_tag,
                                            action), generation=generation)
        return True

    def _forget(self, delivery: RabbitmqDelivery) -> None:
        with self._state:
            self._unsettled.discard(delivery)
            self._state.notify_all()


def _cancel_on(queue: str, tag: str, channel, _generation) -> None:
    """Cancel a subscription on the I/O thread. Nobody waits for it, so a failure is only
    logged: the channel is failing, and its subscriptions go with it."""
    try:
        channel.basic_cancel(tag)
    except AMQPError as exc:
        log.debug("cancelling subscription %s on %s failed: %r", tag, queue, exc)


def _settle_on(queue: str, tag: int, action: str, channel, _generation) -> object:
    """Ack or nack on the I/O thread; STALE if the channel died first (the broker requeues)."""
    try:
        if action == "ack":
            channel.basic_ack(tag)
        else:
            channel.basic_nack(tag, requeue=True)
    except AMQPError:
        return STALE
    if action == "nack":
        # A synchronous round trip on the same channel: the queue has requeued the message
        # when the answer comes, so a following depth() counts it.
        channel.queue_declare(queue, passive=True)
    return True


def _check_prefetch(prefetch: int) -> int:
    if isinstance(prefetch, bool) or not isinstance(prefetch, int) or prefetch < 1:
        raise ValueError(f"prefetch must be an integer >= 1, not {prefetch!r}")
    return prefetch
