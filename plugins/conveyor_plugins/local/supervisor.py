"""Supervisor: the one background thread of a local backend.

It calls the backend's ``tick`` every ``interval`` seconds: reap exited replicas, restart
them when their backoff is over, SIGKILL drained ones, rewrite pids files. The thread is a
daemon, starts on demand and stops on :meth:`Supervisor.stop`; an exception in one tick is
logged and the next tick runs anyway, so a bug never silently ends supervision.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Supervisor:
    """Runs ``tick`` periodically on a daemon thread.

    Args:
        tick: the work of one round; called without any lock held by the supervisor.
        interval: seconds between rounds.
        name: the thread's name.
    """

    def __init__(self, tick: Callable[[], None], interval: float, name: str) -> None:
        self._tick = tick
        self._interval = interval
        self._name = name
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def ensure_running(self) -> None:
        """Start the thread unless it runs. Idempotent and thread-safe."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = threading.Event()
            self._thread = threading.Thread(target=self._run, args=(self._stopping,),
                                            name=self._name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and wait up to ``timeout`` seconds for it. Idempotent."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stopping.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self, stopping: threading.Event) -> None:
        while not stopping.wait(self._interval):
            try:
                self._tick()
            except Exception:
                log.exception("local compute backend: supervision round failed")
