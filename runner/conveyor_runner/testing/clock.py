"""FakeClock: a time source tests move by hand, for the cron scheduler (``control.cron``).

    clock = FakeClock(datetime(2031, 1, 1, tzinfo=timezone.utc))
    prepared.state.plane.cron.clock = clock   # before the server starts
    clock.set(datetime(2031, 1, 1, 0, 1, tzinfo=timezone.utc))  # the scheduler wakes now
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta


class FakeClock:
    """A clock that only moves when told to; ``wait`` ends when it is moved far enough.

    Args:
        start: the initial time (timezone-aware).
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start: must be timezone-aware")
        self._now = start
        self._moved = threading.Condition()

    def now(self) -> datetime:
        """The current fake time."""
        with self._moved:
            return self._now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (forwards or backwards) and wake every waiter."""
        with self._moved:
            self._now = moment
            self._moved.notify_all()

    def advance(self, **delta: float) -> datetime:
        """Move forwards by ``timedelta(**delta)``; returns the new time."""
        with self._moved:
            self._now += timedelta(**delta)
            self._moved.notify_all()
            return self._now

    def wait(self, wake: threading.Event, seconds: float) -> None:
        """Return once the fake time moved ``seconds`` ahead, or ``wake`` is set."""
        with self._moved:
            deadline = self._now + timedelta(seconds=seconds)
            while self._now < deadline and not wake.is_set():
                # A short real wait so that ``wake`` (set without this lock) is noticed.
                self._moved.wait(0.05)
