"""Stop requests for running executions: the agent asks, user code notices in ``kill_event()``.

An execution that runs in a thread cannot be killed from outside; instead the agent calls
``request_stop(thread_ident)`` for the thread running it, and the next
``BaseServiceRunner.kill_event()`` called *from that thread* raises ``InterruptedError``
(dtlpy-contract §5.2 ``toTerminate``). The agent calls ``clear(thread_ident)`` when the
execution ends, so a pooled thread that later runs another execution starts clean.

Guarantees: all functions are thread-safe and never raise; ids are ``threading.get_ident()``
values; a request stays pending until ``consume`` (called by ``kill_event``) or ``clear``.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_requested: set[int] = set()


def request_stop(thread_ident: int) -> None:
    """Ask the execution running in thread ``thread_ident`` to stop at its next ``kill_event()``."""
    with _lock:
        _requested.add(thread_ident)


def clear(thread_ident: int) -> None:
    """Forget any pending stop request for ``thread_ident`` (call when its execution ends)."""
    with _lock:
        _requested.discard(thread_ident)


def stop_requested(thread_ident: int | None = None) -> bool:
    """True if a stop was requested for ``thread_ident`` (default: the calling thread)."""
    ident = threading.get_ident() if thread_ident is None else thread_ident
    with _lock:
        return ident in _requested


def consume(thread_ident: int | None = None) -> bool:
    """Like ``stop_requested`` but also clears the request, so it is reported exactly once."""
    ident = threading.get_ident() if thread_ident is None else thread_ident
    with _lock:
        if ident in _requested:
            _requested.discard(ident)
            return True
        return False
