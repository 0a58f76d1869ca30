"""Invoker: runs one execution at a time per calling thread, and stops it when asked.

``run(execution)`` runs the user's function and returns its ``Outcome``. In thread mode
the function runs on the calling (handler) thread itself: handing it to a thread of its
own and waiting for it cost two thread hand-overs per execution, a third of the replica's
context switches. With ``runExecutionAsProcess`` it runs in a child process
(multiprocessing ``spawn``; the result comes back over a pipe) that the calling thread
watches. Two stop causes are watched:

* ``executionTimeout``, measured from the start of the execution on this replica;
* a terminate request (``request_stop``, fed by the heartbeat's ``terminate`` list).

Thread mode: one watchdog thread per invoker keeps the deadlines of all running
executions (it wakes only when one is due, or for a stop request). On a stop cause it
marks the execution's thread through ``conveyor.runtime.termination``, so the user's next
``self.kill_event()`` raises ``InterruptedError``; if the function has not returned
``grace`` seconds later, the watchdog **takes the execution over**: it gives the
``on_takeover`` callback of ``run`` the outcome, on a thread of its own, and the stuck
thread's ``run`` returns ``TAKEN_OVER`` whenever the function does return (its late result
is discarded; the caller does nothing more with it). Process mode: the child is killed at
once. Either way the outcome is ``terminated`` (terminate) or ``failed`` with "execution
timed out after N s (executionTimeout)". Every execution's log ends with ``DONE_LINE``,
queued in the outbox before its outcome is handed over (it leaves with the result).
``abandon_all`` (the drain deadline) ends every execution at once with the outcome None:
those executions get no report here; their redelivery follows ``onReset``. In thread mode
that is a takeover too.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from conveyor.runtime import termination
from conveyor_runner.agent import child
from conveyor_runner.agent.execution import Outcome, failure, perform, stopped
from conveyor_runner.agent.logs import DONE_LINE

#: Seconds a marked thread gets to notice ``kill_event()`` before it is abandoned.
GRACE = 5.0


#: What ``run`` returns in thread mode once the watchdog took its execution over.
TAKEN_OVER = object()


@dataclass(eq=False)
class _Run:
    execution_id: str
    deadline: float
    started: float = field(default_factory=time.monotonic)
    reason: str | None = None  # "terminate" | "timeout" | "abandon"
    thread: int | None = None  # thread mode: the thread running the function
    marked_at: float | None = None  # thread mode: when that thread was asked to stop
    on_takeover: Callable[[Outcome | None], None] | None = None
    #: "running" -> "returned" (the function did) or "taken over" (the watchdog did).
    state: str = "running"

    def stop_reason(self) -> str | None:
        if self.reason is None and time.monotonic() >= self.deadline:
            self.reason = "timeout"
        return self.reason

    def next_check(self) -> float:
        return max(min(self.deadline - time.monotonic(), 1.0), 0.0)


class Invoker:
    """Runs executions of one loaded service.

    Args:
        loaded: the ``LoadedService``.
        reporter: the ``Reporter`` (this replica's id).
        router: the ``LogRouter`` (threads are bound to their execution while they run);
            its ``outbox`` takes the lines and the progress reports.
        client: the SDK client inputs are fetched with.
        child_spec: what a child process needs to load the service (process mode only).
        grace: seconds between marking a thread and taking its execution over.
    """

    def __init__(self, loaded, reporter, router, client, child_spec: dict | None = None,
                 grace: float = GRACE) -> None:
        self.loaded, self.reporter, self.router, self.client = loaded, reporter, router, client
        self.timeout = float(loaded.service.get("executionTimeout") or 3600)
        self.process_mode = bool(loaded.service.get("runExecutionAsProcess"))
        self.child_spec, self.grace = child_spec, grace
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()
        self._watchdog = _Watchdog(self)

    def running(self) -> list[str]:
        """Ids of the executions running now."""
        with self._lock:
            return list(self._runs)

    def request_stop(self, execution_id: str, reason: str = "terminate") -> bool:
        """Stop a running execution; False if it is not running here."""
        with self._lock:
            run = self._runs.get(execution_id)
        if run is None:
            return False
        if run.reason is None:
            run.reason = reason
        self._watchdog.poke()
        return True

    def abandon_all(self) -> None:
        """Give up every running execution now (the drain deadline passed)."""
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.reason = "abandon"
        self._watchdog.poke()

    def run(self, execution: dict, entities: dict[str, dict] | None = None,
            on_takeover: Callable[[Outcome | None], None] | None = None) -> object:
        """Run the execution to its ``Outcome``; None if it was abandoned by
        ``abandon_all``; ``TAKEN_OVER`` (thread mode) if the watchdog gave the outcome to
        ``on_takeover`` instead, because the function did not stop in time.

        ``entities``: ``{id: JSON}`` of input entities the claim answered with (built from
        that JSON instead of fetched).
        """
        run = _Run(execution["id"], time.monotonic() + self.timeout, on_takeover=on_takeover)
        with self._lock:
            self._runs[run.execution_id] = run
        outbox = self.router.outbox
        outbox.add(run.execution_id, "INFO", f"Executing function "
                   f"{execution.get('functionName') or 'run'} (attempt "
                   f"{execution.get('attempts', 1)}, replica {self.reporter.replica_id})")
        try:
            supervise = self._in_process if self.process_mode else self._in_thread
            outcome = supervise(run, execution, entities or {})
        finally:
            with self._lock:
                if self._runs.get(run.execution_id) is run:
                    del self._runs[run.execution_id]
        if outcome is not None and outcome is not TAKEN_OVER:
            outbox.add(run.execution_id, "INFO", DONE_LINE)
        return outcome

    # -- thread mode ----------------------------------------------------------------------

    def _in_thread(self, run: _Run, execution: dict, entities: dict) -> object:
        run.thread = threading.get_ident()
        self._watchdog.watch(run)
        self.router.bind(run.execution_id)
        try:
            outcome = perform(self.loaded, execution, self.client,
                              lambda body: self.router.outbox.progress(run.execution_id, body),
                              entities)
        finally:
            with self._watchdog.lock:
                taken = run.state == "taken over"
                run.state = "returned"
                self._watchdog.forget(run)
            if not taken:  # else the watchdog unbound it already: its lines are not ours
                self.router.unbind()
            termination.clear(run.thread)  # a stop request it never consumed ends here
        if taken:
            return TAKEN_OVER
        if run.reason is not None:
            return None if run.reason == "abandon" else stopped(
                run.reason, time.monotonic() - run.started, self.timeout)
        return outcome

    def _take_over(self, run: _Run, outcome: Outcome | None) -> None:
        """The watchdog ends ``run`` without its thread (called once, with the thread still
        in the function)."""
        with self._lock:
            if self._runs.get(run.execution_id) is run:
                del self._runs[run.execution_id]
        if outcome is not None:
            self.router.outbox.add(run.execution_id, "WARNING", f"the execution did not stop "
                                   f"within {self.grace:g} s; its thread is abandoned")
            self.router.outbox.add(run.execution_id, "INFO", DONE_LINE)
        if run.on_takeover is not None:
            threading.Thread(target=run.on_takeover, args=(outcome,), daemon=True,
                             name=f"conveyor-takeover-{run.execution_id}").start()

    def close(self) -> None:
        """Stop the watchdog; for when no execution runs any more."""
        self._watchdog.stop()

    # -- process mode ---------------------------------------------------------------------

    def _in_process(self, run: _Run, execution: dict, entities: dict) -> Outcome | None:
        self.router.outbox.flush()  # the child ships its own lines: ours must come first
        context = multiprocessing.get_context("spawn")
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=child.main,
                                  args=(sender, self.child_spec, execution, entities),
                                  name=f"conveyor-execution-{run.execution_id}")
        process.start()
        sender.close()
        try:
            return self._watch(run, process, receiver)
        finally:
            if process.is_alive():
                process.kill()
            process.join(timeout=10)
            receiver.close()

    def _watch(self, run: _Run, process, receiver) -> Outcome | None:
        while True:
            ready = multiprocessing.connection.wait([receiver, process.sentinel],
                                                    timeout=min(run.next_check(), 0.2))
            if receiver in ready:
                try:
                    status, body = receiver.recv()
                    return Outcome(status, body)
                except (EOFError, OSError):
                    ready = [process.sentinel]
            if process.sentinel in ready:
                process.join(timeout=5)
                text = f"the execution's process ended without a result ({process.exitcode})"
                return failure(text, text, time.monotonic() - run.started)
            reason = run.stop_reason()
            if reason is not None:
                process.kill()
                return None if reason == "abandon" else stopped(
                    reason, time.monotonic() - run.started, self.timeout)


class _Watchdog:
    """The deadlines and stop requests of an invoker's thread-mode runs, on one thread
    (started with the first run). Registering a run wakes it only if that run is due
    before its next wake, so an execution costs it nothing in the common case."""

    def __init__(self, invoker: Invoker) -> None:
        self._invoker = invoker
        self.lock = threading.Lock()
        self._cond = threading.Condition(self.lock)
        self._runs: set[_Run] = set()
        self._wake_at = float("inf")
        self._thread: threading.Thread | None = None
        self._stopping = False

    def watch(self, run: _Run) -> None:
        with self._cond:
            self._runs.add(run)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, daemon=True,
                                                name="conveyor-watchdog")
                self._thread.start()
            elif run.deadline < self._wake_at:
                self._cond.notify()

    def forget(self, run: _Run) -> None:
        """Stop watching ``run`` (call with ``lock`` held)."""
        self._runs.discard(run)

    def poke(self) -> None:
        """Look at the runs now (a stop was requested)."""
        with self._cond:
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                due = self._due()
                if not due:
                    self._cond.wait(max(self._wake_at - time.monotonic(), 0.0))
                    continue
            for run, outcome in due:
                self._invoker._take_over(run, outcome)

    def _due(self) -> list[tuple[_Run, Outcome | None]]:
        """Mark the runs that must stop; take those whose grace is over (with the lock)."""
        now, grace, due = time.monotonic(), self._invoker.grace, []
        self._wake_at = now + 60.0
        for run in list(self._runs):
            reason = run.stop_reason()
            if reason == "abandon":
                due.append((run, None))
                continue
            if reason is None:
                self._wake_at = min(self._wake_at, run.deadline)
                continue
            if run.marked_at is None:
                termination.request_stop(run.thread)
                run.marked_at = now
            if now - run.marked_at >= grace:
                due.append((run, stopped(reason, now - run.started, self._invoker.timeout)))
            else:
                self._wake_at = min(self._wake_at, run.marked_at + grace)
        for run, _ in due:
            run.state = "taken over"
            self._runs.discard(run)
            # Before the thread can return and take other work: its later lines are not
            # this execution's.
            self._invoker.router.unbind(run.thread)
        return due
