"""Link: one AMQP connection and channel, owned by an I/O thread that reconnects.

pika's ``BlockingConnection`` is not thread-safe, and it answers the broker's heartbeats
only while someone calls into it. A Link gives its connection a thread of its own that
loops on ``process_data_events``, so heartbeats keep flowing while user code runs for
hours, and it runs every AMQP operation on that thread: other threads submit a function
with :meth:`Link.call` and block until the I/O thread has run it (woken at once through
``add_callback_threadsafe``). Operations therefore never interleave on the wire.

Generations: each channel the Link opens gets the next generation number. A delivery
tag means something only on the channel that issued it, so a call bound to a generation
(settling a delivery) returns :data:`STALE` without touching the broker once that
channel is gone -- the broker has already put its unsettled deliveries back in the queue.

Reconnection: when the connection drops (broker restart, ``close_connection``, network),
the I/O thread reconnects with backoff (0.1 s doubling to 5 s) until the Link is closed.
Calls submitted meanwhile wait for the new connection, bounded by their own timeout.
"""

from __future__ import annotations

import collections
import copy
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

from conveyor_plugins.rabbitmq.errors import translate_errors
from conveyor_runner.queue import QueueUnavailableError

log = logging.getLogger(__name__)

#: Returned by a generation-bound call whose channel is gone.
STALE = object()
#: Longest the I/O thread sleeps in ``process_data_events`` before looking at its work.
TICK = 0.5
#: How long a caller whose timeout passed keeps waiting for an operation already running:
#: its effect on the broker (a message fetched, a subscription made) must reach the caller.
#: One round trip in practice; the bound only matters on a connection that is dying.
RUNNING_GRACE = 60.0
_BACKOFF = (0.1, 5.0)
#: Errors after which the connection cannot be used any more.
_CONNECTION_LOST = (pika.exceptions.AMQPConnectionError, pika.exceptions.StreamLostError,
                    pika.exceptions.ConnectionWrongStateError, OSError)

Operation = Callable[[BlockingChannel, int], Any]


class _Call:
    __slots__ = ("done", "error", "generation", "operation", "result", "state")

    def __init__(self, operation: Operation, generation: int | None) -> None:
        self.operation, self.generation = operation, generation
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.state = "queued"  # -> running | abandoned


class Link:
    """A self-healing AMQP connection + channel driven by a dedicated daemon thread.

    Args:
        parameters: pika connection parameters.
        url: the redacted broker URL, for messages.
        name: what the link is for (thread name, log lines).
        on_channel: run on the I/O thread for every new channel (``basic_qos``,
            ``confirm_delivery``); its errors count as a lost connection.
    """

    def __init__(self, parameters: pika.ConnectionParameters, *, url: str, name: str,
                 on_channel: Callable[[BlockingChannel], None] | None = None) -> None:
        self.parameters = copy.copy(parameters)
        # Shown by `rabbitmqctl list_connections client_properties` and the management UI.
        self.parameters.client_properties = {
            **(parameters.client_properties or {}),
            "connection_name": f"conveyor {name} (pid {os.getpid()})"}
        self.url, self.name = url, name
        self._on_channel = on_channel or (lambda channel: None)
        self._lock = threading.Lock()
        self._calls: collections.deque[_Call] = collections.deque()
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None
        self._generation = 0
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._down_since: float | None = None

    # -- caller side --------------------------------------------------------------

    def start(self, *, startup: bool = True) -> pika.BlockingConnection:
        """Connect once from the calling thread (failing fast), then start the I/O thread.

        Args:
            startup: report an unreachable broker as a configuration error (the first
                connection of a transport) rather than as unavailable (later ones).

        Raises:
            ConfigurationError: the broker refused the login or vhost (or, at start-up,
                cannot be reached).
            QueueUnavailableError: the broker cannot be reached (not at start-up).
        """
        with translate_errors(self.url, f"connecting the {self.name}", startup=startup):
            self._open_connection()
        self._thread = threading.Thread(target=self._run, name=f"conveyor-amqp-{self.name}",
                                        daemon=True)
        self._thread.start()
        return self._connection

    @property
    def generation(self) -> int:
        """The current channel's generation (0 while disconnected)."""
        with self._lock:
            return self._generation if self._channel is not None else 0

    @property
    def closed(self) -> bool:
        return self._closing.is_set()

    def call(self, operation: Operation, *, timeout: float, generation: int | None = None) -> Any:
        """Run ``operation(channel, generation)`` on the I/O thread; return its result.

        Args:
            timeout: seconds to wait, reconnection included.
            generation: if given, run only on that channel; else return :data:`STALE`.

        An operation the I/O thread has started when ``timeout`` passes is waited for (up
        to ``RUNNING_GRACE`` more): its result is the caller's. Giving up on it would lose
        what it did -- a ``basic.get`` answered after the caller left holds a message
        unacknowledged on a live channel, where no one will ever settle it.

        Raises:
            QueueUnavailableError: not started within ``timeout`` (it will not run later),
                or the connection was lost while it ran.
            RuntimeError: the link is closed (unless ``generation`` was given).
            Exception: whatever ``operation`` raised (pika channel errors included).
        """
        pending = _Call(operation, generation)
        with self._lock:
            if generation is not None and (self.closed or self._channel is None
                                           or generation != self._generation):
                return STALE
            if self.closed:
                raise RuntimeError(f"AMQP link {self.name!r} is closed")
            self._calls.append(pending)
        self._wake()
        if not pending.done.wait(max(timeout, 0.0)):
            with self._lock:
                if pending.state == "queued":
                    pending.state = "abandoned"
                running = pending.state == "running"
            if running:
                pending.done.wait(RUNNING_GRACE)
            if not pending.done.is_set():
                raise QueueUnavailableError(f"RabbitMQ at {self.url} did not answer within "
                                            f"{timeout:g} s ({self._status()})")
        return self._outcome(pending)

    def submit(self, operation: Operation, *, generation: int) -> None:
        """Queue ``operation(channel, generation)`` on the I/O thread and return at once.

        Operations run in the order they were queued, ``call``'s included: one submitted
        before a later call is on the wire before it. Nothing waits for its outcome, so it
        must handle its own errors; it is dropped if that channel is gone by then.
        """
        with self._lock:
            if self.closed or self._channel is None or generation != self._generation:
                return
            self._calls.append(_Call(operation, generation))
        self._wake()

    def _outcome(self, pending: _Call) -> Any:
        if pending.error is None:
            return pending.result
        if isinstance(pending.error, _CONNECTION_LOST):
            with translate_errors(self.url, f"serving the {self.name}"):
                raise pending.error
        raise pending.error

    def close(self, timeout: float = 5.0) -> None:
        """Close the channel and connection (unsettled deliveries return). Idempotent.

        Operations queued before the close still run first, on a connection that works (an
        ack queued by ``submit`` reaches the broker); later ones fail.
        """
        self._closing.set()
        self._wake()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        if thread is None:
            self._teardown()

    def _wake(self) -> None:
        connection = self._connection
        if connection is not None:
            try:
                connection.add_callback_threadsafe(_nothing)
            except Exception as exc:  # noqa: BLE001 - closed meanwhile: the loop notices
                log.debug("%s: waking the I/O thread failed: %r", self.name, exc)

    def _status(self) -> str:
        if self._down_since is None:
            return "connected, busy"
        return f"disconnected for {time.monotonic() - self._down_since:.1f} s, reconnecting"

    # -- I/O thread ---------------------------------------------------------------

    def _run(self) -> None:
        delay = _BACKOFF[0]
        while not self._closing.is_set():
            if self._channel is None and not self._reopen():
                self._fail_stale_calls()
                self._closing.wait(delay)
                delay = min(delay * 2, _BACKOFF[1])
                continue
            delay = _BACKOFF[0]
            if not self._channel.is_open:  # closed by the broker (consumer timeout, 404, ...)
                log.info("%s: channel closed by RabbitMQ (%s); opening a new one", self.name,
                         getattr(self._channel, "_closing_reason", None))
                with self._lock:
                    self._channel = None
                continue
            try:
                self._connection.process_data_events(time_limit=TICK)
                self._run_calls()
            except Exception as exc:  # noqa: BLE001 - any failure here means a lost connection
                self._lost(exc)
        try:
            self._run_calls()  # what was queued before the close still goes out
        except Exception as exc:  # noqa: BLE001 - closing anyway: the rest fail below
            log.debug("%s: running the calls queued before closing failed: %r", self.name, exc)
        self._fail_stale_calls(everything=True)
        self._teardown()

    def _reopen(self) -> bool:
        """Get a working channel (and connection); False if the broker is still away."""
        try:
            if self._connection is None or not self._connection.is_open:
                self._teardown()
                self._open_connection()
                log.info("%s: reconnected to RabbitMQ at %s", self.name, self.url)
            else:
                self._open_channel()
            return True
        except Exception as exc:  # noqa: BLE001 - retried with backoff
            log.debug("%s: reconnecting to %s failed: %r", self.name, self.url, exc)
            self._teardown()
            return False

    def _open_connection(self) -> None:
        self._connection = pika.BlockingConnection(self.parameters)
        self._open_channel()

    def _open_channel(self) -> None:
        channel = self._connection.channel()
        self._on_channel(channel)
        with self._lock:
            self._channel = channel
            self._generation += 1
        self._down_since = None

    def _run_calls(self) -> None:
        while True:
            with self._lock:
                if not self._calls or self._channel is None:
                    return
                pending = self._calls.popleft()
                if pending.state == "abandoned":
                    continue
                if pending.generation is not None and pending.generation != self._generation:
                    pending.result = STALE
                    pending.done.set()
                    continue
                pending.state = "running"
                channel, generation = self._channel, self._generation
            try:
                pending.result = pending.operation(channel, generation)
            except Exception as exc:  # noqa: BLE001 - handed to the caller
                pending.error = exc
            pending.done.set()
            if pending.error is not None and isinstance(pending.error, _CONNECTION_LOST):
                raise pending.error
            if not channel.is_open:  # closed by the broker (404, 406, ...): next one is new
                with self._lock:
                    self._channel = None

    def _lost(self, exc: BaseException) -> None:
        if not self._closing.is_set():
            log.warning("%s: lost the connection to RabbitMQ at %s (%s); reconnecting",
                        self.name, self.url, exc)
        self._down_since = time.monotonic()
        self._teardown()

    def _fail_stale_calls(self, everything: bool = False) -> None:
        """Answer calls that can never run: bound to a gone channel, or the link closed."""
        with self._lock:
            keep: collections.deque[_Call] = collections.deque()
            for pending in self._calls:
                if pending.generation is not None or everything:
                    pending.result = STALE if pending.generation is not None else None
                    if pending.generation is None:
                        pending.error = RuntimeError(f"AMQP link {self.name!r} is closed")
                    pending.done.set()
                elif pending.state != "abandoned":
                    keep.append(pending)
            self._calls = keep

    def _teardown(self) -> None:
        with self._lock:
            self._channel = None
            connection, self._connection = self._connection, None
        if self._down_since is None:
            self._down_since = time.monotonic()
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception as exc:  # noqa: BLE001 - it is going away either way
                log.debug("%s: closing the connection failed: %r", self.name, exc)


def _nothing() -> None:
    """Wakes ``process_data_events``; the loop then runs the queued calls."""
