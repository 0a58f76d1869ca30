"""RabbitmqTransport: durable execution queues on a RabbitMQ broker (pika, AMQP 0-9-1)."""

from __future__ import annotations

import functools
import logging
import threading
import time
import weakref
from datetime import datetime, timezone

import pika
from pika.exceptions import AMQPChannelError

from conveyor_plugins.rabbitmq import dead_letters, topology
from conveyor_plugins.rabbitmq.confirms import ConfirmedPublisher, GroupOutcome, Outgoing
from conveyor_plugins.rabbitmq.connection import Link
from conveyor_plugins.rabbitmq.consumer import RabbitmqConsumer
from conveyor_plugins.rabbitmq.errors import translate, translate_errors
from conveyor_plugins.rabbitmq.url import parse_url
from conveyor_runner.errors import ConfigurationError
from conveyor_runner.queue import (
    DeadLetter,
    Message,
    PartialPublishError,
    QueueTransport,
    QueueUnavailableError,
)

log = logging.getLogger(__name__)

#: RabbitMQ's default broker-wide consumer timeout (``consumer_timeout``), in seconds.
BROKER_DEFAULT_CONSUMER_TIMEOUT = 1800.0


class RabbitmqTransport(QueueTransport):
    """At-least-once execution queues on RabbitMQ.

    Guarantees:
        * ``publish`` returns only after the broker confirmed the persistent message
          (stored in a durable queue); through a broker outage it reconnects and retries
          for up to ``publish_timeout`` seconds, then raises ``QueueUnavailableError``.
          A publish retried after a connection loss may store the message twice (same
          ``message_id``); the ledger's claim makes the second copy a no-op.
        * A message leaves its queue only on ack or dead-letter; it returns when its
          delivery is nacked, when its consumer closes or loses its connection, and when
          the broker's consumer timeout for the queue passes.
        * Every method is thread-safe. The transport holds one connection (publishing and
          queue management, on its own I/O thread); each consumer holds another.

    After :meth:`close`, every method but ``close`` raises ``RuntimeError``.

    Args:
        url: ``amqp[s]://user:password@host:port/vhost`` plus settings, see
            :mod:`conveyor_plugins.rabbitmq`.

    Raises:
        ConfigurationError: the URL is malformed, or the broker cannot be reached or
            refuses the credentials or vhost; the message names the URL without its
            password and says what to check.
    """

    schemes = ("amqp", "amqps")

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.settings = parse_url(url)
        self.url_shown = self.settings.redacted_url
        # One ConfirmedPublisher per channel the link opens (a new one after a reconnect).
        self._publishers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._link = Link(self.settings.parameters, url=self.url_shown, name="publisher",
                          on_channel=self._on_channel)
        connection = self._link.start()
        self.features = topology.BrokerFeatures.from_server_properties(
            connection._impl.server_properties)
        if self.settings.queue_type == "quorum" and not self.features.quorum_queues:
            self._link.close()
            raise ConfigurationError(
                f"RabbitMQ {self.features.version_text} at {self.url_shown} has no quorum "
                "queues (3.8+); remove queue_type=quorum from CONVEYOR_QUEUE_URL")
        self._lock = threading.Lock()
        self._consumers: set[RabbitmqConsumer] = set()
        self._timeouts: dict[str, float | None] = {}
        self._warned_broker_timeout = False

    # -- queues --------------------------------------------------------------------

    def declare(self, queue: str, *, delivery_timeout: float | None = None) -> None:
        """Create the durable queue and its ``<queue>.dlq`` if needed. Idempotent.

        The delivery timeout becomes the queue's ``x-consumer-timeout`` (RabbitMQ 3.12+;
        older brokers apply only their broker-wide ``consumer_timeout``, and a warning
        says so when the requested timeout is longer than its default). RabbitMQ cannot
        change a queue's arguments: redeclaring an existing queue with another timeout
        or type keeps the queue as it is (messages included) and logs a warning.
        """
        topology.check_queue_name(queue)
        if delivery_timeout is not None and not delivery_timeout > 0:
            raise ValueError(f"delivery_timeout must be > 0 seconds, not {delivery_timeout!r}")
        self._check_open()
        with self._lock:
            self._timeouts[queue] = delivery_timeout
        self._warn_about_broker_timeout(delivery_timeout)
        qtype = self.settings.queue_type
        declare = functools.partial(topology.declare_pair, queue, topology.queue_arguments(
            queue, qtype, self.features, delivery_timeout), topology.dlq_arguments(qtype))
        for name, refusal in self._admin(declare, f"declaring queue {queue}"):
            log.log(logging.WARNING if delivery_timeout is not None else logging.INFO,
                    "queue %r already exists on RabbitMQ at %s with other arguments (%s); "
                    "it keeps them. To give it new ones (e.g. a longer delivery timeout), "
                    "delete it while it is empty: the next declare recreates it",
                    name, self.url_shown, refusal)

    def depth(self, queue: str) -> int:
        """Messages ready for delivery (unsettled deliveries excluded); 0 if no such queue."""
        return self._admin(functools.partial(topology.count, queue, purge=False), f"sizing {queue}")

    def purge(self, queue: str) -> int:
        """Drop every ready message; unsettled deliveries stay and may still settle."""
        return self._admin(functools.partial(topology.count, queue, purge=True), f"purging {queue}")

    def delete_queue(self, queue: str) -> None:
        """Remove the queue and its DLQ with their messages (unsettled ones too)."""
        def delete(channel, _generation):
            channel.queue_delete(queue)
            channel.queue_delete(topology.dlq_name(queue))

        self._admin(delete, f"deleting queue {queue}")
        with self._lock:
            self._timeouts.pop(queue, None)

    def dead_letters(self, queue: str) -> list[DeadLetter]:
        """The queue's dead letters, oldest first (see :mod:`.dead_letters`)."""
        return self._admin(lambda channel, _: dead_letters.list_dead_letters(channel, queue),
                           f"listing the dead letters of {queue}")

    def redrive(self, queue: str, message_id: str | None = None) -> int:
        """Move dead letters (all, or those with ``message_id``) to the queue's tail."""
        return self._admin(lambda channel, _: dead_letters.redrive(channel, queue, message_id),
                           f"redriving the dead letters of {queue}")

    # -- messages ------------------------------------------------------------------

    def publish(self, queue: str, body: bytes, *, message_id: str,
                headers: dict[str, str] | None = None) -> None:
        """Store a persistent message in ``queue``; returns once the broker confirmed it.

        A queue that does not exist is declared (with this process's last declared
        delivery timeout, else the default) rather than losing the message.

        Raises:
            QueueUnavailableError: not confirmed within ``publish_timeout`` seconds.
        """
        self.publish_many([Message(queue, body, message_id, headers)])

    def publish_many(self, messages: list[Message]) -> None:
        """Store persistent messages; returns once the broker confirmed every one.

        The whole group is sent, then its confirms are awaited together: one round trip
        for the group instead of one per message. Missing queues are declared as for
        :meth:`publish`; messages the broker did not confirm are sent again until
        ``publish_timeout`` seconds have passed.

        Raises:
            PartialPublishError: some were not confirmed in time; ``stored`` names those
                that were.
        """
        group = []
        for message in messages:
            properties = _properties(message)  # checks the fields first
            group.append(Outgoing(message.queue, bytes(message.body), properties))
        self._publish(group)

    def consume(self, queue: str, *, prefetch: int) -> RabbitmqConsumer:
        """A consumer of ``queue`` (own connection) with at most ``prefetch`` unsettled."""
        topology.check_queue_name(queue)
        self._check_open()
        consumer = RabbitmqConsumer(self, queue, prefetch)
        with self._lock:
            self._consumers.add(consumer)
        return consumer

    def close(self) -> None:
        """Close every consumer (their deliveries return) and the connection. Idempotent."""
        with self._lock:
            consumers, self._consumers = list(self._consumers), set()
        for consumer in consumers:
            consumer.close()
        self._link.close()

    # -- internals -----------------------------------------------------------------

    def _publish(self, group: list[Outgoing]) -> None:
        """Publish ``group`` until every message is confirmed or ``publish_timeout`` passed."""
        deadline = time.monotonic() + self.settings.publish_timeout
        delay, declared, last = 0.1, set(), None
        pending, stored = list(group), []
        while pending:
            self._check_open()
            try:
                outcome = self._link.call(
                    functools.partial(self._publish_group, pending, deadline),
                    timeout=max(deadline - time.monotonic(), 0.05))
            except (QueueUnavailableError, AMQPChannelError) as exc:
                translated = translate(exc, self.url_shown, f"publishing to {pending[0].queue}")
                if isinstance(translated, ConfigurationError):
                    raise translated from exc
                last = exc
            else:
                stored += [pending[i] for i in outcome.stored]
                missing = {pending[i].queue for i in outcome.unroutable}
                if missing & declared:
                    raise PartialPublishError(
                        f"RabbitMQ at {self.url_shown} keeps returning messages for queue "
                        f"{sorted(missing & declared)[0]!r} as unroutable", _ids(stored))
                try:
                    for queue in sorted(missing):
                        self._declare_missing(queue)
                except QueueUnavailableError as exc:
                    raise PartialPublishError(str(exc), _ids(stored)) from exc
                declared |= missing
                if outcome.refused or outcome.unsettled:
                    last = (f"{len(outcome.refused)} refused (nack), "
                            f"{len(outcome.unsettled)} not confirmed")
                pending = [pending[i] for i in sorted(
                    outcome.unroutable + outcome.refused + outcome.unsettled)]
                if pending and not (outcome.refused or outcome.unsettled):
                    continue  # only unroutable ones: their queues exist now
            if not pending:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                more = f" (and {len(pending) - 1} more)" if len(pending) > 1 else ""
                raise PartialPublishError(
                    f"message {pending[0].properties.message_id!r} was not stored in queue "
                    f"{pending[0].queue!r}{more}: RabbitMQ at {self.url_shown} did not confirm "
                    f"it within {self.settings.publish_timeout:g} s ({last})", _ids(stored))
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 2.0)

    def _publish_group(self, group: list[Outgoing], deadline: float, channel,
                       _generation) -> GroupOutcome:
        # On the I/O thread: the channel's publisher was made when the channel opened.
        return self._publishers[channel].publish(
            group, timeout=max(deadline - time.monotonic(), 0.05))

    def _on_channel(self, channel) -> None:
        self._publishers[channel] = ConfirmedPublisher(channel, self.settings.publish_timeout)

    def _publish_dead_letter(self, queue: str, delivery, reason: str) -> None:
        headers = dict(delivery.headers)
        headers[topology.REASON_HEADER] = reason
        headers[topology.DEAD_AT_HEADER] = _now_iso()
        self._publish([Outgoing(topology.dlq_name(queue), delivery.body, pika.BasicProperties(
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=delivery.message_id or None, headers=headers))])

    def _declare_missing(self, queue: str) -> None:
        log.warning("queue %r did not exist on RabbitMQ at %s when a message was published "
                    "to it; declaring it", queue, self.url_shown)
        if queue.endswith(topology.DLQ_SUFFIX):  # a dead letter: only the DLQ is missing
            arguments = topology.dlq_arguments(self.settings.queue_type)
            self._admin(lambda channel, _: topology.declare(channel.connection, queue, arguments),
                        f"declaring {queue}")
            return
        with self._lock:
            delivery_timeout = self._timeouts.get(queue)
        self.declare(queue, delivery_timeout=delivery_timeout)

    def _admin(self, operation, action: str):
        """Run a queue-management operation on the publisher link's I/O thread."""
        self._check_open()
        with translate_errors(self.url_shown, action):
            return self._link.call(operation, timeout=self.settings.publish_timeout)

    def _warn_about_broker_timeout(self, delivery_timeout: float | None) -> None:
        if (delivery_timeout is None or self.features.per_queue_consumer_timeout
                or delivery_timeout <= BROKER_DEFAULT_CONSUMER_TIMEOUT
                or self._warned_broker_timeout):
            return
        self._warned_broker_timeout = True
        log.warning(
            "RabbitMQ %s at %s has no per-queue consumer timeout (3.12+): deliveries may stay "
            "unacknowledged only as long as its broker-wide consumer_timeout (default 30 min). "
            "For executions that may run %.0f s, set consumer_timeout = %d (ms) or more in "
            "rabbitmq.conf, or upgrade RabbitMQ", self.features.version_text, self.url_shown,
            delivery_timeout, int(delivery_timeout * 1000))

    def _check_open(self) -> None:
        if self._link.closed:
            raise RuntimeError(f"queue transport for {self.url_shown} is closed")

    def _forget_consumer(self, consumer: RabbitmqConsumer) -> None:
        with self._lock:
            self._consumers.discard(consumer)


def _properties(message: Message) -> pika.BasicProperties:
    topology.check_queue_name(message.queue)
    if not isinstance(message.body, (bytes, bytearray, memoryview)):
        raise TypeError(f"body must be bytes, not {type(message.body).__name__}")
    if not isinstance(message.message_id, str) or not message.message_id:
        raise TypeError("message_id must be a non-empty string")
    return pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent,
                                message_id=message.message_id,
                                headers=_check_headers(message.headers) or None)


def _ids(messages: list[Outgoing]) -> list[str]:
    return [m.properties.message_id for m in messages]


def _check_headers(headers: dict[str, str] | None) -> dict[str, str]:
    headers = dict(headers or {})
    for key, value in headers.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"headers must map strings to strings; bad entry {key!r}: {value!r}")
    return headers


def _now_iso() -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
