"""Queue names, queue arguments and message headers the RabbitMQ transport relies on.

Every execution queue ``<queue>`` is a durable queue on the default exchange with a
durable dead-letter queue ``<queue>.dlq`` beside it. The execution queue names its DLQ
as dead-letter target (``x-dead-letter-exchange: ""``, ``x-dead-letter-routing-key:
<queue>.dlq``), so a message the *broker* gives up on (a quorum queue's delivery limit,
a TTL or length limit set by an operator policy) lands in the DLQ too instead of being
dropped. Messages the transport dead-letters itself carry the reason in a header.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pika.exceptions import ChannelClosedByBroker

#: Suffix of every queue's dead-letter queue.
DLQ_SUFFIX = ".dlq"
#: Headers the transport adds to dead-lettered copies (stripped when listed or redriven).
REASON_HEADER = "x-conveyor-dead-reason"
DEAD_AT_HEADER = "x-conveyor-dead-at"
#: Headers the broker adds; never part of the user's headers.
BROKER_HEADERS = ("x-delivery-count", "x-death")
_BROKER_PREFIXES = ("x-first-death-", "x-last-death-")
_MAX_NAME_BYTES = 255 - len(DLQ_SUFFIX)


def dlq_name(queue: str) -> str:
    """The dead-letter queue of ``queue``."""
    return queue + DLQ_SUFFIX


def check_queue_name(queue: str) -> None:
    """Raise if ``queue`` cannot name a RabbitMQ queue (with its ``.dlq`` beside it)."""
    if not isinstance(queue, str) or not queue:
        raise TypeError("queue must be a non-empty string")
    if len(queue.encode()) > _MAX_NAME_BYTES or queue.startswith("amq."):
        raise ValueError(f"queue name {queue!r} must be at most {_MAX_NAME_BYTES} bytes and "
                         "must not start with 'amq.'")


@dataclass(frozen=True)
class BrokerFeatures:
    """What the connected broker supports, from its version.

    Attributes:
        version: e.g. ``(3, 10, 8)``; ``(0,)`` when the broker did not say.
    """

    version: tuple[int, ...]

    @classmethod
    def from_server_properties(cls, properties: Mapping[str, Any]) -> BrokerFeatures:
        raw = properties.get("version", b"")
        text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        numbers = tuple(int(part) for part in re.findall(r"\d+", text)[:3])
        return cls(version=numbers or (0,))

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version)) if self.version != (0,) else "unknown"

    @property
    def per_queue_consumer_timeout(self) -> bool:
        """RabbitMQ >= 3.12 honours ``x-consumer-timeout`` (earlier: broker-wide only)."""
        return self.version >= (3, 12)

    @property
    def quorum_queues(self) -> bool:
        return self.version >= (3, 8)


def queue_arguments(queue: str, queue_type: str, features: BrokerFeatures,
                    delivery_timeout: float | None) -> dict[str, Any]:
    """Arguments of the execution queue ``queue``.

    ``x-consumer-timeout`` (milliseconds) is set whenever a delivery timeout is given and
    the queue type accepts it: brokers before 3.12 store it without effect (it takes
    effect after an upgrade); classic queues stopped accepting it in 4.3, where they
    have no consumer timeout at all.
    """
    arguments: dict[str, Any] = {"x-dead-letter-exchange": "",
                                 "x-dead-letter-routing-key": dlq_name(queue)}
    if queue_type == "quorum":
        arguments["x-queue-type"] = "quorum"
    if delivery_timeout is not None and (queue_type == "quorum" or features.version < (4, 3)):
        arguments["x-consumer-timeout"] = max(int(delivery_timeout * 1000), 1)
    return arguments


def dlq_arguments(queue_type: str) -> dict[str, Any]:
    """Arguments of a dead-letter queue (no dead-letter target of its own)."""
    return {"x-queue-type": "quorum"} if queue_type == "quorum" else {}


def user_headers(headers: Mapping[str, Any] | None) -> dict[str, str]:
    """The headers a publisher set: broker and transport headers removed, values as str."""
    result: dict[str, str] = {}
    for key, value in (headers or {}).items():
        if key in BROKER_HEADERS or key in (REASON_HEADER, DEAD_AT_HEADER) or \
                key.startswith(_BROKER_PREFIXES):
            continue
        result[key] = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    return result


def delivery_count(headers: Mapping[str, Any] | None, redelivered: bool) -> int:
    """1 for a first delivery; quorum queues count exactly, classic ones say 2 for "again"."""
    count = (headers or {}).get("x-delivery-count")
    if isinstance(count, int) and count >= 0:
        return count + 1 if count or not redelivered else 2
    return 2 if redelivered else 1


def broker_reason(headers: Mapping[str, Any] | None) -> str:
    """Why the broker dead-lettered a message, from its ``x-death`` header."""
    deaths = (headers or {}).get("x-death") or []
    if deaths and isinstance(deaths[0], Mapping):
        death = deaths[0]
        reason = death.get("reason", b"unknown")
        reason = reason.decode() if isinstance(reason, bytes) else str(reason)
        return f"dead-lettered by the broker ({reason}) from queue {death.get('queue', '?')}"
    return "dead-lettered without a reason"


# -- declaring and sizing, run on a Link's I/O thread ----------------------------------

def declare_pair(queue: str, arguments: dict, dlq_arguments: dict, channel,
                 _generation) -> list[tuple[str, str]]:
    """Declare the queue and its DLQ; returns (name, refusal) for each kept as it was."""
    kept = []
    for name, args in ((queue, arguments), (dlq_name(queue), dlq_arguments)):
        refusal = declare(channel.connection, name, args)
        if refusal is not None:
            kept.append((name, refusal))
    return kept


def declare(connection, name: str, arguments: dict) -> str | None:
    """Declare a durable queue; returns the broker's refusal if it exists with other arguments.

    RabbitMQ cannot change a queue's arguments, so an existing queue is kept as it is.
    """
    # On a side channel: a PRECONDITION_FAILED (406, other arguments) closes the channel
    # it happens on. The queue then exists: a passive declare proves it and we go on.
    side = connection.channel()
    try:
        side.queue_declare(name, durable=True, arguments=arguments)
        return None
    except ChannelClosedByBroker as exc:
        if exc.reply_code != 406:
            raise
        side = connection.channel()
        side.queue_declare(name, passive=True)
        return exc.reply_text
    finally:
        if side.is_open:
            side.close()


def count(queue: str, channel, _generation, *, purge: bool) -> int:
    """Ready messages of ``queue`` (purged if ``purge``); 0 if it does not exist."""
    try:
        if purge:
            return channel.queue_purge(queue).method.message_count
        return channel.queue_declare(queue, passive=True).method.message_count
    except ChannelClosedByBroker as exc:
        if exc.reply_code == 404:
            return 0  # no such queue: nothing waiting (the link opens a new channel)
        raise
