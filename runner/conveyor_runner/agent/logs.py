"""Execution logs: capture what each execution logs and prints, as lines for the outbox.

Routing: a thread is *bound* to an execution while it runs it. Log records (any logger,
through a handler on the root logger) and ``print`` output (through a thread-aware
``sys.stdout`` wrapper, which still echoes to the real stdout) of a bound thread become
lines of that execution; records of unbound threads at INFO or above become the
replica's lines. Lines are queued without blocking in the ``Outbox``, which ships them
in batches (with the results: see ``outbox``). The outbox's own chatter and the HTTP
stack it uses are never captured, so shipping cannot feed itself.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
from datetime import datetime, timezone

from conveyor_runner.ids import to_iso

#: The last line of every execution (dtlpy's log follower stops at it).
DONE_LINE = "[Done] Executing function."
#: Loggers whose records are never captured (the outbox and the HTTP stack it uses).
_QUIET = ("urllib3", "requests", "conveyor_runner.agent.reporter",
          "conveyor_runner.agent.outbox", "conveyor_runner.batching")


def iso(timestamp: float) -> str:
    """A POSIX timestamp as a wire timestamp (``ids.to_iso``: UTC, milliseconds, ``Z``)."""
    return to_iso(datetime.fromtimestamp(timestamp, tz=timezone.utc))


class LogRouter:
    """Binds threads to executions and routes their records and prints to the outbox.

    Args:
        outbox: takes the lines (``add(target, level, message, timestamp)``; its sending
            thread is ``outbox.thread_ident``).
        default: the target of unbound threads (a child process runs one execution).
    """

    def __init__(self, outbox, default: str | None = None) -> None:
        self.outbox = outbox
        self.default = default  # a child process runs one execution: everything is its
        self._bound: dict[int, str] = {}
        self._handler = _RoutingHandler(self)
        self._stdout: _ThreadAwareStdout | None = None

    def bind(self, execution_id: str, thread_ident: int | None = None) -> None:
        """Route the thread's output (default: the calling thread) to ``execution_id``."""
        self._bound[thread_ident or threading.get_ident()] = execution_id

    def unbind(self, thread_ident: int | None = None) -> None:
        """Stop routing the thread's output; a last unterminated printed line is kept."""
        ident = thread_ident or threading.get_ident()
        execution_id = self._bound.pop(ident, None)
        rest = self._stdout.take_partial(ident) if self._stdout is not None else ""
        if execution_id is not None and rest:
            self.outbox.add(execution_id, "INFO", rest)

    def target(self) -> str | None:
        """The execution the calling thread writes to, or ``default``."""
        return self._bound.get(threading.get_ident(), self.default)

    def install(self) -> None:
        """Attach the handler to the root logger and wrap ``sys.stdout``."""
        logging.getLogger().addHandler(self._handler)
        if not isinstance(sys.stdout, _ThreadAwareStdout):
            self._stdout = _ThreadAwareStdout(self, sys.stdout)
            sys.stdout = self._stdout

    def uninstall(self) -> None:
        """Undo ``install``."""
        logging.getLogger().removeHandler(self._handler)
        if self._stdout is not None and sys.stdout is self._stdout:
            sys.stdout = self._stdout.original


class _RoutingHandler(logging.Handler):
    def __init__(self, router: LogRouter) -> None:
        super().__init__(logging.DEBUG)
        self.router = router
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(_QUIET) or (
                threading.get_ident() == self.router.outbox.thread_ident):
            return
        target = self.router.target()
        if target is None and record.levelno < logging.INFO:
            return
        try:
            message = self.format(record)
        except Exception:  # noqa: BLE001 - a bad format string must not break the caller
            message = str(record.msg)
        self.router.outbox.add(target, record.levelname, message, record.created)


class _ThreadAwareStdout(io.TextIOBase):
    """``sys.stdout`` that also turns a bound thread's printed lines into log lines."""

    def __init__(self, router: LogRouter, original) -> None:
        self.router, self.original = router, original
        self._partial: dict[int, str] = {}

    def write(self, text: str) -> int:
        self.original.write(text)
        target = self.router.target()
        if target is not None:
            ident = threading.get_ident()
            *lines, rest = (self._partial.pop(ident, "") + text).split("\n")
            for line in lines:
                self.router.outbox.add(target, "INFO", line)
            if rest:
                self._partial[ident] = rest
        return len(text)

    def take_partial(self, ident: int) -> str:
        """The thread's printed text since its last newline (removed)."""
        return self._partial.pop(ident, "")

    def flush(self) -> None:
        self.original.flush()

    def fileno(self) -> int:
        return self.original.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self.original, "encoding", "utf-8")

    def isatty(self) -> bool:
        return False
