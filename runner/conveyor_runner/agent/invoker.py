"""Invoker: runs one execution at a time per calling thread, and stops it when asked.

``run(execution)`` blocks the calling (supervisor) thread while the user's function runs in
a worker of its own -- a daemon thread, or with ``runExecutionAsProcess`` a child process
(multiprocessing ``spawn``; the result comes back over a pipe) -- and returns its
``Outcome``. Worker threads are reused: an execution takes an idle one, and only starts a
new thread when none is idle (so a user's thread-local state may outlive one execution, as
in any worker pool); a thread whose execution was abandoned is never reused. The
supervisor watches two stop causes:

* ``executionTimeout``, measured from the start of the execution on this replica;
* a terminate request (``request_stop``, fed by the heartbeat's ``terminate`` list).

Thread mode: the worker thread is marked through ``conveyor.runtime.termination``, so the
user's next ``self.kill_event()`` raises ``InterruptedError``; if the worker has not
finished ``grace`` seconds later it is abandoned (a thread cannot be killed; its late
result is discarded and its slot freed). Process mode: the child is killed at once.
Either way the outcome is ``terminated`` (terminate) or ``failed`` with "execution timed
out after N s (executionTimeout)". Every execution's log ends with ``DONE_LINE``, queued
in the outbox before ``run`` returns (it leaves with the result). ``abandon_all`` (the
drain deadline) makes every ``run`` return None at once: those executions get no report
here; their redelivery follows ``onReset``.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import queue
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


@dataclass
class _Run:
    execution_id: str
    deadline: float
    started: float = field(default_factory=time.monotonic)
    reason: str | None = None  # "terminate" | "timeout" | "abandon"
    wake: threading.Event = field(default_factory=threading.Event)

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
        grace: seconds between marking a thread and abandoning it.
    """

    def __init__(self, loaded, reporter, router, client, child_spec: dict | None = None,
                 grace: float = GRACE) -> None:
        self.loaded, self.reporter, self.router, self.client = loaded, reporter, router, client
        self.timeout = float(loaded.service.get("executionTimeout") or 3600)
        self.process_mode = bool(loaded.service.get("runExecutionAsProcess"))
        self.child_spec, self.grace = child_spec, grace
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []  # worker threads waiting for an execution

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
        run.wake.set()
        return True

    def abandon_all(self) -> None:
        """Give up every running execution now (the drain deadline passed)."""
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.reason = "abandon"
            run.wake.set()

    def run(self, execution: dict, entities: dict[str, dict] | None = None) -> Outcome | None:
        """Run the execution to its outcome; None if it was abandoned by ``abandon_all``.

        ``entities``: ``{id: JSON}`` of input entities the claim answered with (built from
        that JSON instead of fetched).
        """
        run = _Run(execution["id"], time.monotonic() + self.timeout)
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
                self._runs.pop(run.execution_id, None)
        if outcome is not None:
            outbox.add(run.execution_id, "INFO", DONE_LINE)
        return outcome

    # -- thread mode ----------------------------------------------------------------------

    def _in_thread(self, run: _Run, execution: dict, entities: dict) -> Outcome | None:
        box: list[Outcome] = []
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        worker = worker or _Worker()
        finished = worker.run(lambda: self._work(run, execution, entities, box))
        try:
            outcome = self._supervise(run, worker, box)
        except BaseException:
            worker.retire()
            raise
        if box and finished.wait(5):  # its job has returned: the thread is free again
            termination.clear(worker.ident)  # a stop request it never consumed ends here
            with self._lock:
                self._idle.append(worker)
        else:  # abandoned: its thread ends once the function returns, if ever
            worker.retire()
        return outcome

    def _supervise(self, run: _Run, worker: _Worker, box: list[Outcome]) -> Outcome | None:
        marked_at = None
        while not box:
            run.wake.wait(run.next_check() if marked_at is None else 0.2)
            run.wake.clear()
            reason = run.stop_reason()
            if box or reason is None:
                continue
            if reason == "abandon":
                return None
            if marked_at is None:
                termination.request_stop(worker.ident)
                marked_at = time.monotonic()
            elif time.monotonic() - marked_at >= self.grace:
                self.router.outbox.add(run.execution_id, "WARNING", f"the execution did not "
                                       f"stop within {self.grace:g} s; its thread is abandoned")
                self.router.unbind(worker.ident)  # its later lines are not this execution's
                break
        if run.reason is not None:
            return stopped(run.reason, time.monotonic() - run.started, self.timeout)
        return box[0]

    def _work(self, run: _Run, execution: dict, entities: dict, box: list[Outcome]) -> None:
        self.router.bind(run.execution_id)
        try:
            box.append(perform(self.loaded, execution, self.client,
                               lambda body: self.router.outbox.progress(run.execution_id, body),
                               entities))
        finally:
            self.router.unbind()
            termination.clear(threading.get_ident())
            run.wake.set()

    def close(self) -> None:
        """End the idle worker threads; for when no execution runs any more (the thread of
        an abandoned one was retired already, and ends once its function returns)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.retire()

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


class _Worker:
    """One reusable daemon thread that runs the jobs given to it, one at a time."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        thread = threading.Thread(target=self._loop, daemon=True, name="conveyor-execution")
        thread.start()
        self.ident: int = thread.ident

    def run(self, job: Callable[[], None]) -> threading.Event:
        """Queue ``job``; the event is set once it has returned."""
        finished = threading.Event()
        self._jobs.put((job, finished))
        return finished

    def retire(self) -> None:
        """End the thread after the job it runs (if any)."""
        self._jobs.put(None)

    def _loop(self) -> None:
        while (entry := self._jobs.get()) is not None:
            job, finished = entry
            try:
                job()
            finally:
                finished.set()
