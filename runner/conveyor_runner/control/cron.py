"""CronScheduler: fires each cron trigger once per slot, across restarts and control planes.

Slot claiming: a cron trigger row holds ``next_fire_at``, the slot it fires next. For a
due slot the scheduler, in ONE transaction, moves it to the following slot with a
conditional ``UPDATE ... SET next_fire_at = :following WHERE id = :id AND next_fire_at =
:slot`` and, only if that updated the row, records the execution. Of two control planes
on one database only one updates the row (PostgreSQL makes the other wait for the row
lock, then re-check the condition; SQLite has one writer at a time), and because the claim
and the execution commit together, a crash loses neither half: before the commit the slot
is still due, after it the execution exists (the dispatcher publishes it).

Missed runs (the control plane was down through one or more slots): with the default
policy ``once`` the first pass after start-up runs the trigger ONCE for all of them
(``eventContext.body.missedSlots`` says how many more there were) and schedules the first
slot after now; ``skip`` runs nothing for a slot more than ``grace_seconds`` late.

Time comes from a :class:`Clock` (the system clock; tests pass a fake one and move it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Protocol

from conveyor_runner.control import cron_schedule, trigger_fire
from conveyor_runner.control.loop_thread import LoopThread
from conveyor_runner.control.trigger_index import TriggerView
from conveyor_runner.ids import parse_iso, to_iso
from conveyor_runner.store import triggers as trigger_store
from conveyor_runner.store.db import Database
from conveyor_runner.store.tables import ExecutionRow, ServiceRow, TriggerRow

log = logging.getLogger(__name__)

MISSED_RUNS = ("once", "skip")


class Clock(Protocol):
    """Where the scheduler reads the time and sleeps."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""

    def wait(self, wake: threading.Event, seconds: float) -> None:
        """Return after ``seconds`` of this clock's time, or earlier once ``wake`` is set."""


class SystemClock:
    """The real UTC clock."""

    def now(self) -> datetime:
        """``datetime.now(timezone.utc)``."""
        return datetime.now(timezone.utc)

    def wait(self, wake: threading.Event, seconds: float) -> None:
        """Sleep up to ``seconds``, ending early when ``wake`` is set."""
        wake.wait(seconds)


class CronScheduler:
    """Runs due cron triggers on a thread (or on demand through ``tick``).

    Args:
        db: the control plane's database.
        on_created: called with the executions each tick created (publish, wake).
        clock: the time source (default: the system clock).
        missed_runs: ``once`` (default) or ``skip``; see the module docstring.
        grace_seconds: lateness still counted as on time by ``skip``.
        max_sleep: longest sleep between two ticks (new triggers also ``wake`` it).
    """

    def __init__(self, db: Database, on_created: Callable[[list[ExecutionRow]], None],
                 clock: Clock | None = None, missed_runs: str = "once",
                 grace_seconds: float = 60.0, max_sleep: float = 30.0) -> None:
        if missed_runs not in MISSED_RUNS:
            raise ValueError(f"missed_runs: one of {', '.join(MISSED_RUNS)}")
        self.db, self.on_created = db, on_created
        self.clock: Clock = clock or SystemClock()
        self.missed_runs, self.grace_seconds = missed_runs, grace_seconds
        self.max_sleep = max_sleep
        self._wake = threading.Event()
        self._loop_thread = LoopThread("conveyor-cron", self._loop, interrupt=self._wake.set)

    def tick(self) -> list[ExecutionRow]:
        """Fire every trigger due at the clock's now; returns the executions created."""
        now = self.clock.now()
        with self.db.transaction() as session:
            due = [(t.id, t.next_fire_at) for t in
                   trigger_store.due_cron_triggers(session, to_iso(now))]
        created = []
        for trigger_id, slot in due:
            try:
                row = self._fire_slot(trigger_id, slot, now)
            except Exception:
                log.exception("cron trigger %s failed at slot %s", trigger_id, slot)
                continue
            if row is not None:
                created.append(row)
        if created:
            self.on_created(created)
        return created

    def _fire_slot(self, trigger_id: str, slot: str, now: datetime) -> ExecutionRow | None:
        with self.db.transaction() as session:
            trigger = session.get(TriggerRow, trigger_id)
            if trigger is None or trigger.next_fire_at != slot:
                return None  # claimed meanwhile by another control plane
            spec = trigger.doc["spec"]
            following = cron_schedule.slot_after(spec["cron"], now, spec["endAt"])
            if not trigger_store.claim_slot(session, trigger_id, slot, following):
                return None
            late = (now - parse_iso(slot)).total_seconds()
            if self.missed_runs == "skip" and late > self.grace_seconds:
                log.warning("cron trigger %s: skipped slot %s (%.0f s late)", trigger_id,
                            slot, late)
                return None
            service = session.get(ServiceRow, trigger.service_id)
            if service is None:
                return None  # deleted meanwhile; its triggers go with it
            slots = cron_schedule.slots_until(spec["cron"], slot, now)
            return trigger_fire.fire_cron(session, TriggerView.of(trigger), service, slot,
                                          slots)

    def next_slot(self) -> datetime | None:
        """The earliest upcoming slot of any active cron trigger."""
        with self.db.transaction() as session:
            slot = trigger_store.next_cron_slot(session)
        return parse_iso(slot) if slot else None

    # ---------------------------------------------------------------- thread
    def wake(self) -> None:
        """Re-read the schedule now (a cron trigger was created or changed)."""
        self._wake.set()

    def start(self) -> None:
        """Tick in a daemon thread until ``stop``; the first tick runs at once."""
        self._loop_thread.start()

    def stop(self) -> None:
        """Stop the thread."""
        self._loop_thread.stop()

    def _loop(self) -> None:
        while not self._loop_thread.stopping.is_set():
            self._wake.clear()  # a wake() during this tick makes the wait below return at once
            try:
                self.tick()
                upcoming = self.next_slot()
            except Exception:
                log.exception("cron tick failed")
                upcoming = None
            self.clock.wait(self._wake, self._sleep_for(upcoming))

    def _sleep_for(self, upcoming: datetime | None) -> float:
        if upcoming is None:
            return self.max_sleep
        return max(0.0, min(self.max_sleep, (upcoming - self.clock.now()).total_seconds()))
