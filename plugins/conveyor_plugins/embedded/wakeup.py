"""In-process wake-ups for receivers blocked on an embedded queue file.

All transports of one process that open the same file share one :class:`Signal`, so a
publish, requeue or settle through any of them wakes every receiver at once. Changes made
by other processes are not signalled; receivers notice them by polling.
"""

from __future__ import annotations

import threading
from pathlib import Path

_signals: dict[str, Signal] = {}
_signals_lock = threading.Lock()


class Signal:
    """A generation counter with a condition variable.

    A receiver reads :attr:`generation`, looks for a message, and if it found none waits
    with the generation it read: a change that happened in between makes the wait return
    at once instead of being missed.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self.generation = 0

    def notify(self) -> None:
        """Wake every waiter: something in the file may have changed."""
        with self._condition:
            self.generation += 1
            self._condition.notify_all()

    def wait(self, seen: int, timeout: float) -> None:
        """Block up to ``timeout`` seconds unless the generation moved past ``seen``."""
        with self._condition:
            if self.generation == seen:
                self._condition.wait(timeout)


def signal_for(path: Path) -> Signal:
    """The process-wide signal of the queue file at ``path``."""
    key = str(path.resolve())
    with _signals_lock:
        signal = _signals.get(key)
        if signal is None:
            signal = _signals[key] = Signal()
        return signal
