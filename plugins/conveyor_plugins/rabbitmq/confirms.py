"""ConfirmedPublisher: many persistent messages, one wait for the broker's confirms.

pika's ``BlockingChannel`` in confirm mode waits for each message's ``basic.ack`` before
it sends the next one: publishing a group of executions costs one broker round trip (and
one fsync on the broker) per message. RabbitMQ confirms asynchronously and may ack many
messages with one ``multiple`` ack, so this publisher sends the whole group, then waits
once until every message of it is settled. It drives the asynchronous channel under the
``BlockingChannel`` (``channel._impl``, pika's documented ``Channel`` API), because the
blocking wrapper offers no way to publish without waiting.

Everything here runs on the Link's I/O thread (the only thread that touches the channel),
one group at a time.
"""

from __future__ import annotations

import dataclasses
import time

import pika
from pika.adapters.blocking_connection import BlockingChannel

#: Longest one ``process_data_events`` call blocks while a group waits for its confirms.
_TICK = 0.5


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """One message to publish to ``queue`` through the default exchange."""

    queue: str
    body: bytes
    properties: pika.BasicProperties


@dataclasses.dataclass
class GroupOutcome:
    """How the broker settled each message of a group (indexes into the group)."""

    stored: list[int] = dataclasses.field(default_factory=list)
    #: Returned as unroutable (the queue does not exist), then acked: not stored.
    unroutable: list[int] = dataclasses.field(default_factory=list)
    #: Nacked: the broker could not store it.
    refused: list[int] = dataclasses.field(default_factory=list)
    #: Not settled before the wait ended (timeout, channel closed): stored or not.
    unsettled: list[int] = dataclasses.field(default_factory=list)


class ConfirmedPublisher:
    """Publisher confirms on one channel, for whole groups of messages.

    Guarantees:
        * A message is reported ``stored`` only after the broker's ``basic.ack`` for it
          and no ``basic.return`` before it: a persistent message in a durable queue.
        * Every message of a group is reported in exactly one of the outcome's lists.
        * Confirms that arrive after their group stopped waiting are ignored; the
          messages were reported ``unsettled``.

    Args:
        channel: a fresh channel, not yet in confirm mode; this turns confirm mode on
            (waiting up to ``timeout`` seconds for the broker's ``confirm.select-ok``).

    Raises:
        TimeoutError: the broker did not answer ``confirm.select`` in time.
    """

    def __init__(self, channel: BlockingChannel, timeout: float = 30.0) -> None:
        self._channel = channel
        self._impl = channel._impl  # pika.channel.Channel: the non-blocking API
        self._next_tag = 1  # the broker numbers confirm-mode publishes from 1 on a channel
        self._waiting: dict[int, int] = {}  # delivery tag -> index in the current group
        self._returned: list[str | None] = []  # message ids of basic.return, in order
        self._outcome = GroupOutcome()
        self._group: list[Outgoing] = []
        self._selected = False
        self._impl.add_on_return_callback(self._on_return)
        self._impl.confirm_delivery(ack_nack_callback=self._on_confirm,
                                    callback=self._on_selected)
        self._wait_until(lambda: self._selected, timeout)
        if not self._selected:
            raise TimeoutError(f"RabbitMQ did not enable publisher confirms in {timeout:g} s")

    def publish(self, group: list[Outgoing], timeout: float) -> GroupOutcome:
        """Send every message of ``group``, then wait up to ``timeout`` s for all confirms."""
        self._group, self._outcome, self._returned = group, GroupOutcome(), []
        self._waiting = {}
        for index, message in enumerate(group):
            self._impl.basic_publish("", message.queue, message.body, message.properties,
                                     mandatory=True)
            self._waiting[self._next_tag] = index
            self._next_tag += 1
        self._wait_until(lambda: not self._waiting, timeout)
        outcome = self._outcome
        outcome.unsettled = sorted(self._waiting.values())
        self._waiting, self._group = {}, []
        return outcome

    # -- broker callbacks (run inside process_data_events, on the I/O thread) ---------

    def _on_selected(self, _frame) -> None:
        self._selected = True
        self._wake()

    def _on_return(self, _channel, _method, properties: pika.BasicProperties, _body) -> None:
        # RabbitMQ sends basic.return before the basic.ack of the same message.
        self._returned.append(properties.message_id)

    def _on_confirm(self, frame) -> None:
        method = frame.method
        tags = ([tag for tag in self._waiting if tag <= method.delivery_tag] if method.multiple
                else [method.delivery_tag] if method.delivery_tag in self._waiting else [])
        for tag in sorted(tags):
            index = self._waiting.pop(tag)
            if isinstance(method, pika.spec.Basic.Nack):
                self._outcome.refused.append(index)
            elif self._was_returned(self._group[index]):
                self._outcome.unroutable.append(index)
            else:
                self._outcome.stored.append(index)
        if not self._waiting:
            self._wake()

    def _was_returned(self, message: Outgoing) -> bool:
        message_id = message.properties.message_id
        if message_id in self._returned:
            self._returned.remove(message_id)
            return True
        return False

    # -- waiting ----------------------------------------------------------------------

    def _wake(self) -> None:
        # Callbacks of the non-blocking channel do not end process_data_events; a
        # threadsafe callback does (it counts as a ready event), so the wait ends at once.
        self._channel.connection.add_callback_threadsafe(_nothing)

    def _wait_until(self, done, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        connection = self._channel.connection
        while not done() and self._channel.is_open:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            connection.process_data_events(time_limit=min(remaining, _TICK))


def _nothing() -> None:
    """Ends a ``process_data_events`` wait; the caller looks at its condition again."""
