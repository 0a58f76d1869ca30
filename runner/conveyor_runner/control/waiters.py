"""In-process wake-ups for requests waiting on an execution to finish (sync execute).

The long-polling ``GET /executions/{id}?wait=N`` waits on the server's event loop, not in
a thread of its own: a sync execute costs no worker thread while its function runs, and
is answered as soon as the ledger stored the result (one ``loop.call_soon_threadsafe``
from the committing thread, instead of a thread woken through a condition). A commit that
knows the rows it ended hands them over with the wake-up, so their waiters answer from
them without reading the record again.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any


class ExecutionWaiters:
    """Lets coroutines sleep until some execution may have ended.

    ``notify`` is called (from any thread) after a commit that ended executions; every
    subscription taken before it completes, with the ended rows it was given (by id).
    Rows handed over are committed and no longer changed by their writer. Notification is
    best effort and local to this process: waiters also re-check on a short interval, so
    a missed wake-up only delays them, never hangs them.
    """

    def __init__(self, recheck_seconds: float = 0.5) -> None:
        self._lock = threading.Lock()
        self._pending: dict[asyncio.Future, asyncio.AbstractEventLoop] = {}
        self.recheck = recheck_seconds

    def subscribe(self) -> asyncio.Future:
        """A future of the running loop, done at the next ``notify``.

        Subscribe *before* reading the state waited for: a notify between the read and
        the wait then still wakes the waiter.
        """
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._lock:
            self._pending[future] = loop
        return future

    async def wait(self, subscription: asyncio.Future, timeout: float) -> Mapping[str, Any]:
        """Until ``subscription`` is done, or ``min(timeout, recheck)`` seconds passed.

        Returns the rows the waking commit ended, by id (empty: re-read what you wait for).
        """
        try:
            return await asyncio.wait_for(asyncio.shield(subscription),
                                          max(0.0, min(timeout, self.recheck)))
        except asyncio.TimeoutError:  # the builtin only from Python 3.11 on
            self.discard(subscription)  # not woken: the caller subscribes anew
            return {}

    def discard(self, subscription: asyncio.Future) -> None:
        """Drop a subscription no longer waited on."""
        with self._lock:
            self._pending.pop(subscription, None)

    def notify(self, ended: Mapping[str, Any] | None = None) -> None:
        """Complete every subscription taken so far (thread-safe, never raises).

        ``ended``: the committed rows that became terminal, by id, when the caller has
        them (None: waiters re-read).
        """
        with self._lock:
            pending, self._pending = self._pending, {}
        for future, loop in pending.items():
            try:
                loop.call_soon_threadsafe(_complete, future, ended or {})
            except RuntimeError:  # that loop is closed: its server has stopped
                pass


def _complete(future: asyncio.Future, ended: Mapping[str, Any]) -> None:
    if not future.done():
        future.set_result(ended)
