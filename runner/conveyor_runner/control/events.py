"""The in-process event bus between committing requests and the trigger engine.

Events themselves are rows of the outbox table (``store.events`` writes them in the
transaction of the change; the trigger engine deletes them in the transaction that records
their executions). The bus carries only the wake-up: a commit that wrote events calls
``notify``; the engine's worker thread ``wait``s on it. Many notifications while the
worker is busy collapse into one, so the bus is bounded (one pending signal) and a
request never blocks on it or does trigger work. Events committed by another control
plane on the same database are found by the engine's periodic poll.
"""

from __future__ import annotations

import threading


class EventBus:
    """A coalescing wake-up signal from committing threads to one worker thread."""

    def __init__(self) -> None:
        self._signal = threading.Event()
        self.notified = 0

    def notify(self, count: int = 1) -> None:
        """Say that ``count`` events were committed. Never blocks; safe from any thread."""
        self.notified += count  # statistics only; a lost increment under a race is harmless
        self._signal.set()

    def wait(self, timeout: float) -> bool:
        """Block until notified or ``timeout`` seconds passed; True if notified.

        The signal is cleared before returning, so a notification that arrives while the
        caller works makes the next ``wait`` return at once.
        """
        notified = self._signal.wait(timeout)
        self._signal.clear()
        return notified

    def close(self) -> None:
        """Wake the waiting worker (used when stopping)."""
        self._signal.set()
