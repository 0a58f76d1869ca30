"""In-process wake-ups for callers waiting on an execution to finish (sync execute)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class ExecutionWaiters:
    """Lets request threads sleep until an execution they watch changes.

    Notification is best effort and local to this process; waiters also re-check on a
    short interval, so a missed wake-up only delays them, never hangs them.
    """

    def __init__(self, recheck_seconds: float = 0.5) -> None:
        self._condition = threading.Condition()
        self._version = 0
        self._recheck = recheck_seconds

    def notify(self) -> None:
        """Wake every waiter to re-check its execution."""
        with self._condition:
            self._version += 1
            self._condition.notify_all()

    def wait_until(self, done: Callable[[], bool], timeout: float) -> bool:
        """Block until ``done()`` is true or ``timeout`` passes; returns ``done()``."""
        deadline = time.monotonic() + timeout
        while True:
            with self._condition:
                seen = self._version
            if done():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._condition:
                if self._version == seen:
                    self._condition.wait(min(remaining, self._recheck))
