"""LoopThread: one control-plane loop in a daemon thread, from ``start`` to ``stop``.

The dispatcher, the janitor, the cron scheduler, the trigger engine and the reconciler each
run a loop of their own, each waiting on something of its own between passes. What they
share is the thread's life, which lives here: started once, told to stop through
``stopping`` (the loop's condition), woken from its wait by ``interrupt``, and joined with
a bound -- a loop stuck in a slow pass is a daemon thread, left behind rather than waited
for, so that shutting the control plane down never hangs on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class LoopThread:
    """Runs ``loop`` in a daemon thread named ``name``.

    Args:
        name: the thread's name (shown by py-spy, faulthandler and thread dumps).
        loop: runs until ``stopping`` is set; it must check it between passes and wait in
            a way that ``interrupt`` ends.
        interrupt: wakes the loop from its wait once ``stopping`` is set (set the event it
            waits on, close its bus); nothing by default, for a loop that waits on
            ``stopping`` itself.
        join_timeout: how long ``stop`` waits for the loop to end.
    """

    def __init__(self, name: str, loop: Callable[[], None], *,
                 interrupt: Callable[[], None] = lambda: None,
                 join_timeout: float = 30.0) -> None:
        self.name, self._loop = name, loop
        self._interrupt, self._join_timeout = interrupt, join_timeout
        #: Set by ``stop``: the loop ends once it sees it.
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def started(self) -> bool:
        """Whether ``start`` was called (the loop runs, or ran)."""
        return self._thread is not None

    def start(self) -> None:
        """Start the thread.

        Raises:
            RuntimeError: it was started before (a loop runs once).
        """
        if self._thread is not None:
            raise RuntimeError(f"{self.name} was already started")
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to end, wake it, and wait up to ``join_timeout`` for it.

        Idempotent, and harmless on a loop that never started.
        """
        self.stopping.set()
        self._interrupt()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self._join_timeout)
