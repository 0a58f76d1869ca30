"""Execution logs: capture what each execution logs and prints, ship it in batches.

Routing: a thread is *bound* to an execution while it runs it. Log records (any logger,
through a handler on the root logger) and ``print`` output (through a thread-aware
``sys.stdout`` wrapper, which still echoes to the real stdout) of a bound thread go to
``POST /executions/{id}/logs``; records of unbound threads at INFO or above go to the
replica's lines, ``POST /services/{id}/logs/append``. The shipper's own HTTP chatter is
never captured, so shipping cannot feed itself.

Batching: lines are queued without blocking and shipped every ``interval`` seconds or as
soon as a target has ``batch_size`` lines. ``flush(execution_id)`` ships an execution's
lines synchronously and in order (the agent calls it after writing ``DONE_LINE`` and
before the terminal report, so a log follower sees the Done line before the result).
A batch the control plane keeps refusing is dropped with a warning on stderr: logs never
block or fail an execution.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
import time
from collections import defaultdict
from datetime import datetime, timezone

from conveyor_runner.agent.errors import AgentError

#: The last line of every execution (dtlpy's log follower stops at it).
DONE_LINE = "[Done] Executing function."
#: Loggers whose records are never captured (the HTTP stack the shipper itself uses).
_QUIET = ("urllib3", "requests", "conveyor_runner.agent.reporter")


def iso(timestamp: float) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class LogShipper:
    """Queues lines per target (an execution id, or None for the replica) and ships them.

    Args:
        reporter: sends the batches (``execution_logs``/``service_logs``).
        interval: seconds between two shipping rounds.
        batch_size: ship a target as soon as it has this many lines.
    """

    def __init__(self, reporter, interval: float = 0.5, batch_size: int = 100) -> None:
        self.reporter, self.interval, self.batch_size = reporter, interval, batch_size
        self._lines: dict[str | None, list[dict]] = defaultdict(list)
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()  # keeps each target's batches in order
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._loop, name="conveyor-log-shipper",
                                        daemon=True)
        self.thread_ident: int | None = None

    def start(self) -> None:
        """Ship in a daemon thread until ``stop``."""
        self._thread.start()
        self.thread_ident = self._thread.ident

    def add(self, target: str | None, level: str, message: str,
            timestamp: float | None = None) -> None:
        """Queue one line (never blocks on the network, never raises)."""
        line = {"timestamp": iso(timestamp or time.time()), "level": level, "message": message}
        with self._lock:
            self._lines[target].append(line)
            full = len(self._lines[target]) >= self.batch_size
        if full:
            self._wake.set()

    def flush(self, target: str | None) -> None:
        """Ship ``target``'s queued lines now, from the calling thread."""
        with self._send_lock:
            with self._lock:
                lines = self._lines.pop(target, [])
            self._ship(target, lines)

    def stop(self) -> None:
        """Ship everything queued, then stop the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self._ship_all()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            self._ship_all()

    def _ship_all(self) -> None:
        with self._send_lock:
            with self._lock:
                pending, self._lines = self._lines, defaultdict(list)
            for target, lines in pending.items():
                self._ship(target, lines)

    def _ship(self, target: str | None, lines: list[dict]) -> None:
        for start in range(0, len(lines), self.batch_size):
            batch = lines[start:start + self.batch_size]
            try:
                if target is None:
                    self.reporter.service_logs(batch)
                else:
                    self.reporter.execution_logs(target, batch)
            except AgentError as exc:
                sys.__stderr__.write(f"conveyor agent: dropped {len(batch)} log lines of "
                                     f"{target or 'the replica'}: {exc}\n")


class LogRouter:
    """Binds threads to executions and routes their records and prints to a shipper."""

    def __init__(self, shipper: LogShipper, default: str | None = None) -> None:
        self.shipper = shipper
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
            self.shipper.add(execution_id, "INFO", rest)

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
                threading.get_ident() == self.router.shipper.thread_ident):
            return
        target = self.router.target()
        if target is None and record.levelno < logging.INFO:
            return
        try:
            message = self.format(record)
        except Exception:  # noqa: BLE001 - a bad format string must not break the caller
            message = str(record.msg)
        self.router.shipper.add(target, record.levelname, message, record.created)


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
                self.router.shipper.add(target, "INFO", line)
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
