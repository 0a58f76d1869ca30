"""Heartbeat: the replica's report every 2 s, and the control plane's answer to it.

Body: ``{state, busy, revision, running, error?, pid, host}``; reply ``{terminate, drain}``.
Each id in ``terminate`` is handed to ``on_terminate`` (the invoker stops it); ``drain``
is handed to ``on_drain`` (the consumer stops taking work while it is true). A failed beat
is only logged: the next one, 2 s later, is the retry.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

from conveyor_runner.agent.errors import AgentError

log = logging.getLogger(__name__)

INTERVAL = 2.0


class Heartbeat:
    """Reports the replica's state periodically (and on demand).

    Args:
        reporter: sends the beats.
        revision: the service revision this replica runs.
        running: returns the ids of the executions running now.
        on_terminate: called with the ids the control plane wants stopped.
        on_drain: called with the reply's ``drain`` flag.
        interval: seconds between beats.
    """

    def __init__(self, reporter, revision: int, running: Callable[[], list[str]],
                 on_terminate: Callable[[list[str]], None] = lambda ids: None,
                 on_drain: Callable[[bool], None] = lambda drain: None,
                 interval: float = INTERVAL) -> None:
        self.reporter, self.revision, self.interval = reporter, revision, interval
        self.running, self.on_terminate, self.on_drain = running, on_terminate, on_drain
        self.state = "starting"
        self.error: str | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one beat at a time, so states arrive in order
        self._thread = threading.Thread(target=self._loop, name="conveyor-heartbeat",
                                        daemon=True)

    def start(self) -> None:
        """Beat now, then every ``interval`` seconds in a daemon thread."""
        self._thread.start()

    def beat(self) -> dict | None:
        """Send one beat and apply its reply; None if it did not get through."""
        with self._lock:
            running = self.running()
            body = {"state": self.state, "busy": len(running), "revision": self.revision,
                    "running": running, "pid": os.getpid(), "host": socket.gethostname()}
            if self.error is not None:
                body["error"] = self.error
            try:
                reply = self.reporter.heartbeat(body)
            except AgentError as exc:
                log.warning("heartbeat failed: %s", exc)
                return None
        terminate = [str(i) for i in reply.get("terminate") or []]
        if terminate:
            self.on_terminate(terminate)
        self.on_drain(bool(reply.get("drain")))
        return reply

    def fail(self, error: str, attempts: int = 5) -> bool:
        """Report ``state: failed`` with ``error`` (retried); True once it got through."""
        self.state, self.error = "failed", error
        for attempt in range(attempts):
            if self.beat() is not None:
                return True
            self._stop.wait(min(2.0 ** attempt, 8.0))
        return False

    def stop(self, final_state: str | None = None) -> None:
        """Stop beating; send one last beat with ``final_state`` if given."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)
        if final_state is not None:
            self.state = final_state
            self.beat()

    def _loop(self) -> None:
        while True:
            self.beat()
            if self._stop.wait(self.interval):
                return
