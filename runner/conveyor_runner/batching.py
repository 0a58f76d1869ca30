"""Natural batching: one request in flight, everything that queued meanwhile goes next.

A ``BatchSender`` owns a daemon thread that sends queued ``Ticket``\\ s. When nothing is in
flight a ticket leaves at once (low latency at low load); while a request is in flight new
tickets accumulate and leave together in the next one (large batches at high load, so
the control plane pays one request and one transaction for many executions). Callers that
need an answer block on ``Ticket.wait`` (or have ``Ticket.on_done`` call them back, as an
event loop needs); the others fire and forget.

Used on both sides: the agent's claims and outbox (one request per batch), and the control
plane's execution intake (one transaction and one publish round per batch).

Guarantees: tickets leave in submission order; every ticket taken is finished (answered,
or failed with the request's error), so no caller waits forever; after ``stop`` the
queued tickets are still sent, and later submissions fail at once.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class Ticket:
    """One entry of a batch: its ``payload``, then its answer or error.

    Args:
        payload: what the sender puts in the request for this entry.
        give_up: set when the caller no longer wants the answer (the sender stops
            retrying a request once every ticket in it gave up).
    """

    __slots__ = ("_callbacks", "_done", "_lock", "answer", "error", "give_up", "payload")

    def __init__(self, payload: Any, give_up: threading.Event | None = None) -> None:
        self.payload, self.give_up = payload, give_up
        self.answer: Any = None
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[Ticket], None]] = []

    def finish(self, answer: Any = None, error: BaseException | None = None) -> None:
        """Answer the ticket (first call wins), then run its ``on_done`` callbacks."""
        with self._lock:
            if self._done.is_set():
                return
            self.answer, self.error = answer, error
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def on_done(self, callback: Callable[[Ticket], None]) -> None:
        """Call ``callback(ticket)`` once it is finished: at once if it already is, else
        on the thread that finishes it (so the callback must only hand the answer over)."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback(self)

    @property
    def done(self) -> bool:
        """True once answered or failed."""
        return self._done.is_set()

    def wait(self) -> Any:
        """Block until finished; returns the answer or raises the error."""
        self._done.wait()
        if self.error is not None:
            raise self.error
        return self.answer


class BatchSender:
    """Sends submitted tickets in batches of at most ``max_batch`` from its own thread.

    Subclasses implement ``_send(tickets, extra)`` (answer every ticket, or raise: an error
    of the ``expected`` classes then fails the unanswered ones as it is, any other is logged
    as a bug and fails them as ``failure(message)``) and may add work that is not tickets:
    ``_take_extra`` takes it for the round (under the same lock as the tickets, so it is
    consistent with them), ``_due`` says it must leave now even without tickets,
    ``_idle_wait`` how long to sleep otherwise, and ``_has_work`` that some is queued.

    Args:
        name: the sending thread's name.
        max_batch: most tickets in one batch.
        expected: the error classes ``_send`` raises on purpose.
        failure: makes the error of tickets left unanswered (a bug, a shut-down sender).
    """

    def __init__(self, name: str, max_batch: int, *,
                 expected: tuple[type[BaseException], ...],
                 failure: Callable[[str], BaseException]) -> None:
        self.max_batch = max_batch
        self._expected, self._failure = expected, failure
        self._cond = threading.Condition()
        self._tickets: deque[Ticket] = deque()
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self.thread_ident: int | None = None

    def start(self) -> None:
        """Start the sending thread."""
        self._thread.start()
        self.thread_ident = self._thread.ident

    def submit(self, *tickets: Ticket) -> None:
        """Queue tickets (all at once, so they leave in one request if nothing is in flight)."""
        with self._cond:
            if not self._stopping:
                self._tickets.extend(tickets)
                self._cond.notify()
                return
        for ticket in tickets:
            ticket.finish(error=self._failure("the sender is shutting down"))

    def stop(self, timeout: float = 30.0) -> None:
        """Send what is queued, then stop the thread (or send it here if it never ran)."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
        elif self._thread.ident is None:
            self._loop()

    # -- hooks --------------------------------------------------------------------------

    def _send(self, tickets: list[Ticket], extra: Any) -> None:
        raise NotImplementedError

    def _take_extra(self) -> Any:
        """Take the non-ticket work of this round (called with the lock held)."""
        return None

    def _due(self) -> bool:
        """Something other than tickets must leave now (called with the lock held)."""
        return False

    def _has_work(self) -> bool:
        """Something other than tickets is queued (called with the lock held)."""
        return False

    def _idle_wait(self) -> float | None:
        """Seconds to sleep when nothing is due; None: until a submission."""
        return None

    # -- the thread ---------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not (self._tickets or self._due()):
                    if self._stopping:
                        break
                    self._cond.wait(self._idle_wait())
                if self._stopping and not self._tickets and not self._has_work():
                    return
                batch = [self._tickets.popleft()
                         for _ in range(min(len(self._tickets), self.max_batch))]
                extra = self._take_extra()
            self._send_safely(batch, extra)

    def _send_safely(self, batch: list[Ticket], extra: Any) -> None:
        try:
            self._send(batch, extra)
        except self._expected as exc:
            for ticket in batch:
                ticket.finish(error=exc)
        except Exception as exc:  # a bug here must not hang the callers
            log.exception("sending a batch failed")
            for ticket in batch:
                ticket.finish(error=self._failure(f"{type(exc).__name__}: {exc}"))
        for ticket in batch:
            ticket.finish(error=self._failure("no answer for this entry"))
