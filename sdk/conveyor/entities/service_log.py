"""ServiceLog: a cursor over a service's log lines (``POST /services/logs`` pages)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

#: the line the agent writes last for every execution; log views stop at it
FUNCTION_END_LINE = "[Done] Executing function."


class ServiceLog:
    """Pages of log lines; iterating yields ``"<timestamp>: <message>"`` strings.

    Iteration yields the current page, then asks for the next one (echoing
    ``checkpoint``) until the server answers ``stop: true`` — with ``follow`` that happens
    only once the requested executions have finished and every line was read — or until
    ``cancel()`` is called (from any thread; checked before each request).

    Args:
        _json: the first page ``{logs, checkpoint, stop}``.
        fetch: called with a checkpoint, returns the next page's JSON.
        start: the ``start`` the pages were requested with (shown for lines without a
            timestamp).
    """

    def __init__(self, _json: dict, fetch: Any, start: str | None = None) -> None:
        self._fetch = fetch
        self.start = start
        self._cancelled = threading.Event()
        self._load(_json)

    def cancel(self) -> None:
        """Stop iterating before the next request (thread-safe)."""
        self._cancelled.set()

    def _load(self, _json: dict) -> None:
        _json = _json or {}
        self.logs: list = _json.get("logs") or []
        self.checkpoint = _json.get("checkpoint")
        self.stop: bool = bool(_json.get("stop", False))

    def get_next_log(self) -> None:
        """Replace the current page with the next one."""
        self._load(self._fetch(self.checkpoint))

    def __iter__(self) -> Iterator[str]:
        while True:
            for line in self.logs:
                yield f"{line.get('timestamp', self.start)}: {str(line.get('message', '')).strip()}"
            if self.stop or self._cancelled.is_set():
                return
            self.get_next_log()

    def view(self, until_completed: bool = True) -> None:
        """Print the lines; with ``until_completed`` stop after the ``[Done]`` line.

        Ctrl-C stops quietly.
        """
        try:
            for line in self:
                print(line)
                if until_completed and FUNCTION_END_LINE in line:
                    return
        except KeyboardInterrupt:
            return
