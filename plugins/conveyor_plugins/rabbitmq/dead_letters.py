"""Listing and redriving a queue's dead letters (``<queue>.dlq``), run on a Link's I/O thread.

AMQP 0-9-1 cannot peek, so listing takes every dead letter with ``basic.get`` on a
channel of its own without acking, reads them, and hands them all back with one
``basic.nack(multiple, requeue)``; a classic queue puts requeued messages back in their
original places, so the list stays oldest first. While a listing runs (milliseconds per
thousand messages) the messages it holds are invisible to a concurrent listing or
redrive, which then sees fewer. Redriving publishes each chosen dead letter back to its
queue with publisher confirms and only then acks it in the DLQ: a crash in between
leaves the message in both queues (a duplicate, never a loss).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import ChannelClosedByBroker

from conveyor_plugins.rabbitmq import topology
from conveyor_runner.queue import DeadLetter, QueueUnavailableError


def list_dead_letters(channel: BlockingChannel, queue: str) -> list[DeadLetter]:
    """The dead letters of ``queue``, oldest first ([] if it has no DLQ)."""
    letters: list[DeadLetter] = []
    with _side_channel(channel) as side:
        try:
            for _, properties, body in _take_all(side, topology.dlq_name(queue)):
                letters.append(_dead_letter(properties, body))
        except ChannelClosedByBroker as exc:
            if exc.reply_code == 404:
                return []
            raise
        _give_back(side, topology.dlq_name(queue))
    return letters


def redrive(channel: BlockingChannel, queue: str, message_id: str | None) -> int:
    """Move dead letters (all, or those with ``message_id``) back to ``queue``'s tail.

    A redriven message is a new message to the broker: its next delivery counts 1.

    Raises:
        QueueUnavailableError: ``queue`` itself does not exist (declare it first).
    """
    if not _exists(channel.connection, queue):
        raise QueueUnavailableError(
            f"cannot redrive into queue {queue!r}: it does not exist; declare it first")
    moved = 0
    with _side_channel(channel, confirm=True) as side:
        try:
            for method, properties, body in _take_all(side, topology.dlq_name(queue)):
                if message_id is not None and properties.message_id != message_id:
                    continue
                side.basic_publish("", queue, body, _restored(properties), mandatory=True)
                side.basic_ack(method.delivery_tag)
                moved += 1
        except ChannelClosedByBroker as exc:
            if exc.reply_code == 404:
                return moved  # no DLQ: nothing (more) to redrive
            raise
        _give_back(side, topology.dlq_name(queue))
    return moved


@contextmanager
def _side_channel(channel: BlockingChannel, confirm: bool = False
                  ) -> Iterator[BlockingChannel]:
    """A channel of its own: closing it returns anything it still holds."""
    side = channel.connection.channel()
    try:
        if confirm:
            side.confirm_delivery()
        yield side
    finally:
        if side.is_open:
            side.close()


def _take_all(side: BlockingChannel, dlq: str) -> Iterator[tuple]:
    while True:
        method, properties, body = side.basic_get(dlq, auto_ack=False)
        if method is None:
            return
        yield method, properties, body


def _give_back(side: BlockingChannel, dlq: str) -> None:
    """Requeue everything the side channel holds, and wait until the queue has done it."""
    side.basic_nack(delivery_tag=0, multiple=True, requeue=True)
    side.queue_declare(dlq, passive=True)  # a round trip after the requeue: it is done


def _exists(connection, queue: str) -> bool:
    probe = connection.channel()
    try:
        probe.queue_declare(queue, passive=True)
        return True
    except ChannelClosedByBroker as exc:
        if exc.reply_code == 404:
            return False
        raise
    finally:
        if probe.is_open:
            probe.close()


def _dead_letter(properties: pika.BasicProperties, body: bytes) -> DeadLetter:
    headers = properties.headers or {}
    reason = headers.get(topology.REASON_HEADER)
    dead_at = headers.get(topology.DEAD_AT_HEADER, "")
    return DeadLetter(
        message_id=properties.message_id or "", body=bytes(body),
        reason=_text(reason) if reason is not None else topology.broker_reason(headers),
        headers=topology.user_headers(headers), dead_at=_text(dead_at))


def _restored(properties: pika.BasicProperties) -> pika.BasicProperties:
    return pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent,
                                message_id=properties.message_id,
                                headers=topology.user_headers(properties.headers) or None)


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
