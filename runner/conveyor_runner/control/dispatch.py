"""Dispatcher: publishes committed executions to their service queues, and re-publishes any
whose publish was never confirmed (the record is always written first)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

from conveyor_runner.control.loop_thread import LoopThread
from conveyor_runner.ids import new_id, now_iso, parse_iso, to_iso
from conveyor_runner.queue.messages import ExecutionMessage, queue_name
from conveyor_runner.queue.transport import (
    Message,
    PartialPublishError,
    QueueTransport,
    QueueUnavailableError,
)
from conveyor_runner.store import executions
from conveyor_runner.store.db import Database
from conveyor_runner.store.tables import ExecutionRow

log = logging.getLogger(__name__)


class Dispatcher:
    """Turns ledger records into queue messages.

    Args:
        db: the ledger database.
        queue: the transport executions travel on.
        sweep_seconds: how often unconfirmed executions are looked for.
        grace_seconds: how old an unconfirmed execution must be before it is re-published.
        mark_every: longest wait of a confirmed publish for others to be marked with it.
    """

    def __init__(self, db: Database, queue: QueueTransport, sweep_seconds: float = 5.0,
                 grace_seconds: float = 10.0,
                 on_published: Callable[[set[str]], None] = lambda ids: None,
                 mark_every: float = 0.1) -> None:
        self.db, self.queue = db, queue
        #: Called with the service ids of every published batch (wakes scale-from-zero).
        self._on_published = on_published
        self._sweep_seconds, self._grace = sweep_seconds, grace_seconds
        # Confirmed publishes are marked in the ledger in batches by the dispatcher thread,
        # at most every ``mark_every`` seconds (one small write transaction per publish cost
        # more than the publish): a mark lost to a crash, or not written yet, only means
        # a re-publish after the grace, whose older message is then skipped.
        self._mark_every = mark_every
        self._confirmed: list[str] = []
        self._confirmed_lock = threading.Lock()
        self._confirmed_ready = threading.Event()
        self._loop_thread = LoopThread("conveyor-dispatcher", self._loop, join_timeout=10,
                                       interrupt=self._confirmed_ready.set)

    def publish(self, rows: Iterable[ExecutionRow]) -> None:
        """Publish committed executions and mark them published.

        A failure leaves them unpublished; the sweeper retries them, so callers may ignore it.
        """
        rows = list(rows)
        messages = [Message(queue_name(row.service_id), ExecutionMessage(
            row.id, row.service_id, row.function_name, row.dispatch_id).encode(), row.id)
            for row in rows]
        try:
            self.queue.publish_many(messages)
            done = [row.id for row in rows]
        except QueueUnavailableError as exc:
            # The queue is down: the sweeper publishes the rest once it is back.
            done = exc.stored if isinstance(exc, PartialPublishError) else []
            log.warning("publishing %d execution(s) failed; %d left for the sweeper: %s",
                        len(rows), len(rows) - len(done), exc)
        if done:
            with self._confirmed_lock:
                self._confirmed.extend(done)
            self._confirmed_ready.set()
            if not self._loop_thread.started:  # not started (tests, tools): mark right away
                self.flush_confirmed()
            self._on_published({row.service_id for row in rows})

    def flush_confirmed(self) -> int:
        """Mark every confirmed publish in the ledger now; returns how many."""
        with self._confirmed_lock:
            done, self._confirmed = self._confirmed, []
        if done:
            with self.db.transaction() as session:
                executions.mark_published(session, done)
        return len(done)

    def sweep(self) -> int:
        """Re-publish executions left unconfirmed longer than the grace; returns how many.

        Each gets a new ``dispatch_id`` first, so a message that was in fact published before a
        crash becomes a stale duplicate and is skipped at claim.
        """
        cutoff = to_iso(parse_iso(now_iso()) - timedelta(seconds=self._grace))
        with self.db.transaction(exclusive=True) as session:
            rows = executions.unpublished(session, cutoff)
            for row in rows:
                row.dispatch_id = new_id()
        self.publish(rows)
        return len(rows)

    def start(self) -> None:
        """Mark confirmed publishes and run ``sweep`` periodically, in a daemon thread."""
        self._loop_thread.start()

    def stop(self) -> None:
        """Stop the thread after marking what was confirmed."""
        self._loop_thread.stop()
        self.flush_confirmed()

    def _loop(self) -> None:
        next_sweep = time.monotonic() + self._sweep_seconds
        while not self._loop_thread.stopping.is_set():
            if self._confirmed_ready.wait(max(0.0, next_sweep - time.monotonic())):
                # Let more publishes join this mark.
                self._loop_thread.stopping.wait(self._mark_every)
            self._confirmed_ready.clear()
            try:
                self.flush_confirmed()
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + self._sweep_seconds
                    self.sweep()
            except Exception:  # noqa: BLE001 - the dispatcher must survive a bad cycle
                log.exception("dispatcher cycle failed")
