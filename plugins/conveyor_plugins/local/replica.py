"""One replica's life: spawn, watch, restart with backoff, drain, kill.

A :class:`Replica` is a small state machine the backend drives under its lock; nothing in
it sleeps. States as reported (``ReplicaStatus.state``):

    starting     spawned, not yet seen alive for ``starting_seconds`` by the supervisor
    running      alive and seen alive after ``starting_seconds``
    failed       exited unexpectedly (or could not be spawned), waiting out its backoff
    terminating  SIGTERM sent; SIGKILL follows at the end of the drain

A replica that exits while not terminating is restarted in place (same replica id, same
log file, ``restarts`` + 1) after a delay that starts at ``backoff_initial`` and doubles up
to ``backoff_max``; the delay resets once a run lasted ``backoff_reset_after`` seconds.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from conveyor_plugins.local.logfiles import append_note
from conveyor_plugins.local.process import (
    exit_reason,
    kill_stragglers,
    signal_group,
    spawn,
)
from conveyor_runner.compute import ReplicaStatus


@dataclass(frozen=True)
class SupervisionPolicy:
    """Timings of the supervision, in seconds."""

    starting_seconds: float = 0.5
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    backoff_reset_after: float = 60.0

    def after_exit(self, backoff: float, uptime: float) -> tuple[float, float]:
        """Return ``(delay before this restart, backoff kept for the next exit)``.

        ``backoff`` is what the previous exit left (0 for a first exit); ``uptime`` is how
        long the run that just ended lasted.
        """
        if backoff <= 0 or uptime >= self.backoff_reset_after:
            backoff = self.backoff_initial
        delay = min(backoff, self.backoff_max)
        return delay, min(delay * 2, self.backoff_max)


class Replica:
    """One replica process and what the backend knows about it. Not thread-safe by itself:
    the backend calls every method under its lock."""

    def __init__(self, replica_id: str, service_id: str, revision: str,
                 argv: tuple[str, ...], env: Mapping[str, str], log_path: Path,
                 policy: SupervisionPolicy) -> None:
        self.replica_id = replica_id
        self.service_id = service_id
        self.revision = revision
        self.argv = argv
        self.env = dict(env)
        self.log_path = log_path
        self.policy = policy
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self.confirmed = False
        self.restarts = 0
        self.message = ""
        self.backoff = 0.0
        self.retry_at: float | None = None
        self.kill_at: float | None = None
        self.killed = False

    @property
    def pid(self) -> int | None:
        """The live (or not yet reaped) process id, None while in backoff or gone."""
        return self.proc.pid if self.proc is not None else None

    @property
    def terminating(self) -> bool:
        return self.kill_at is not None

    @property
    def gone(self) -> bool:
        """Terminating and its process reaped: the backend forgets it."""
        return self.terminating and self.proc is None

    def start(self, now: float) -> None:
        """Spawn the process; a spawn error becomes an exit (failed, retried with backoff)."""
        self.confirmed = False
        self.retry_at = None
        self.started_at = now
        try:
            self.proc = spawn(self.argv, self.env, self.log_path)
        except (OSError, subprocess.SubprocessError, ValueError) as error:
            self.proc = None
            self._exited(now, f"could not start: {error}")

    def terminate(self, now: float, drain_seconds: float) -> None:
        """SIGTERM the process group now, SIGKILL at ``now + drain_seconds`` (at once if 0).

        Calling it again only brings the SIGKILL forward, never back.
        """
        drain_seconds = max(0.0, drain_seconds)
        if self.terminating:
            self.kill_at = min(self.kill_at, now + drain_seconds)
            return
        self.kill_at = now + drain_seconds
        self.retry_at = None
        if self.proc is not None:
            self.killed = drain_seconds == 0
            signal_group(self.proc.pid, signal.SIGKILL if self.killed else signal.SIGTERM)

    def tick(self, now: float) -> bool:
        """Observe the process and act: reap, restart when due, kill after the drain.

        Returns:
            True if the replica's pid changed (the pids file needs rewriting).
        """
        changed = False
        if self.proc is not None:
            code = self.proc.poll()
            if code is None:
                self._alive(now)
                return False
            # Children the replica left behind die with it. The group id stays reserved
            # while any of them lives; with none left the kill finds nothing (ESRCH).
            kill_stragglers(self.proc.pid)
            self.proc = None
            changed = True
            if self.terminating:
                return changed
            self._exited(now, exit_reason(code))
        if not self.terminating and self.retry_at is not None and now >= self.retry_at:
            self.restarts += 1
            self.start(now)
            changed = True
        return changed

    def status(self) -> ReplicaStatus:
        """What ``ComputeBackend.replicas`` reports for this replica."""
        if self.terminating:
            state = "terminating"
        elif self.proc is None:
            state = "failed"
        elif not self.confirmed:
            state = "starting"
        else:
            state = "running"
        return ReplicaStatus(replica_id=self.replica_id, revision=self.revision, state=state,
                             restarts=self.restarts, message=self.message)

    def _alive(self, now: float) -> None:
        if not self.confirmed and now - self.started_at >= self.policy.starting_seconds:
            self.confirmed = True
        if self.terminating and not self.killed and now >= self.kill_at:
            self.killed = True
            signal_group(self.proc.pid, signal.SIGKILL)

    def _exited(self, now: float, reason: str) -> None:
        delay, self.backoff = self.policy.after_exit(self.backoff, now - self.started_at)
        self.retry_at = now + delay
        self.message = reason
        append_note(self.log_path, f"replica {reason}; restarting in {delay:g} s")
