"""LocalComputeBackend: service replicas as subprocesses of the control plane's process.

Guarantees (beyond the ``ComputeBackend`` contract):
    * ``apply`` spawns the processes it adds before it returns and signals the ones it
      retires; the supervisor thread does the rest (reaping, restarts, SIGKILL after drain).
    * A rolling change starts the new revision's replicas first, then SIGTERMs the old
      ones; both run side by side for at most the drain.
    * Surplus replicas are stopped newest first: this backend cannot see which replicas are
      busy, and the oldest ones are the likeliest to be warm.
    * Replicas die with the backend's process on Linux (PDEATHSIG: they get SIGTERM and
      drain); ``close()`` only stops supervision, the processes keep running as long as
      this process lives.
    * A new backend on the same ``data_dir`` stops replicas a previous one left behind.
    * Every public method is thread-safe and idempotent; one lock guards the state and is
      never held while sleeping.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from conveyor_plugins.local import logfiles
from conveyor_plugins.local.pidfile import stop_leftovers, write_pids
from conveyor_plugins.local.process import death_signal_supported
from conveyor_plugins.local.replica import Replica, SupervisionPolicy
from conveyor_plugins.local.supervisor import Supervisor
from conveyor_runner.compute import ComputeBackend, DeploymentSpec, ReplicaStatus

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass
class _Service:
    spec: DeploymentSpec
    #: Replicas that are not terminating, oldest first. Only ``apply`` adds to it (the
    #: supervisor restarts replicas in place), so a stopped replica is never replaced.
    replicas: list[Replica] = field(default_factory=list)


class LocalComputeBackend(ComputeBackend):
    """Runs each replica as a local process (``spec.command`` or the Conveyor agent).

    Layout under ``data_dir``: ``replicas/<service_id>/<replica_id>.log`` (stdout and
    stderr, appended across restarts) and ``replicas/<service_id>/pids.json``.

    Args:
        data_dir: where logs and pids files live.
    """

    name = "local"

    #: Supervision timings; a subclass may override them.
    policy = SupervisionPolicy()
    #: Seconds between supervision rounds.
    poll_interval = 0.1
    #: How long construction waits for a previous incarnation's replicas after SIGTERM.
    leftover_grace_seconds = 10.0
    #: How long replicas of a dead previous incarnation may drain before SIGKILL (the
    #: default drainTime plus a margin: they are finishing and reporting executions).
    leftover_drain_seconds = 660.0

    def __init__(self, data_dir: Path) -> None:
        super().__init__(Path(data_dir))
        self._root = self.data_dir / "replicas"
        self._lock = threading.Lock()
        self._services: dict[str, _Service] = {}
        self._draining: list[Replica] = []
        self._supervisor = Supervisor(self._tick, self.poll_interval,
                                      name="conveyor-local-supervisor")
        self._root.mkdir(parents=True, exist_ok=True)
        stop_leftovers(self._root, self.leftover_grace_seconds, self.leftover_drain_seconds,
                       death_signal=death_signal_supported())

    def apply(self, spec: DeploymentSpec) -> None:
        _validate(spec)
        now = time.monotonic()
        with self._lock:
            service = self._services.setdefault(spec.service_id, _Service(spec))
            service.spec = spec
            current = [r for r in service.replicas if r.revision == spec.revision]
            retired = [r for r in service.replicas if r.revision != spec.revision]
            retired += current[spec.replicas:][::-1]  # surplus: newest first
            for _ in range(spec.replicas - len(current)):
                service.replicas.append(self._start(spec, now))
            for replica in retired:
                service.replicas.remove(replica)
                self._retire(replica, now, spec.drain_seconds)
            self._write_pids(spec.service_id)
        self._supervisor.ensure_running()

    def stop_replica(self, service_id: str, replica_id: str, drain_seconds: float) -> None:
        now = time.monotonic()
        with self._lock:
            service = self._services.get(service_id)
            for replica in list(service.replicas if service else []):
                if replica.replica_id == replica_id:
                    service.replicas.remove(replica)
                    self._retire(replica, now, drain_seconds)
            for replica in self._draining:
                if replica.service_id == service_id and replica.replica_id == replica_id:
                    replica.terminate(now, drain_seconds)
            self._write_pids(service_id)
        self._supervisor.ensure_running()  # the SIGKILL after the drain needs it

    def remove(self, service_id: str, drain_seconds: float) -> None:
        now = time.monotonic()
        with self._lock:
            service = self._services.pop(service_id, None)
            for replica in service.replicas if service else []:
                self._retire(replica, now, drain_seconds)
            for replica in self._draining:
                if replica.service_id == service_id:
                    replica.terminate(now, drain_seconds)
            self._write_pids(service_id)
        self._supervisor.ensure_running()  # the SIGKILL after the drain needs it

    def replicas(self, service_id: str) -> list[ReplicaStatus]:
        with self._lock:
            service = self._services.get(service_id)
            live = list(service.replicas) if service else []
            live += [r for r in self._draining if r.service_id == service_id]
            return [replica.status() for replica in live]

    def logs(self, service_id: str, replica_id: str | None = None,
             tail: int = 200) -> list[str]:
        """Lines of one replica's log, or of all (including past) replicas of the service,
        each prefixed with ``[<replica id>] `` in the service-wide form."""
        folder = self._service_dir(service_id)
        if replica_id is None:
            return logfiles.service_logs(folder, tail)
        if not _SAFE_ID.match(replica_id):
            return []
        return logfiles.tail_lines(folder / f"{replica_id}.log", tail)

    def close(self) -> None:
        """Stop supervision (no more restarts, no SIGKILL after drains); the replica
        processes keep running while this process lives. A later ``apply`` resumes it."""
        self._supervisor.stop()

    # -- internals (called with the lock held unless said otherwise) -----------------

    def _start(self, spec: DeploymentSpec, now: float) -> Replica:
        replica_id = _new_replica_id(spec.service_name)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **spec.env,
               "CONVEYOR_REPLICA_ID": replica_id, "CONVEYOR_SERVICE_ID": spec.service_id}
        argv = spec.command or (sys.executable, "-m", "conveyor_runner", "agent")
        log_path = self._service_dir(spec.service_id) / f"{replica_id}.log"
        replica = Replica(replica_id, spec.service_id, spec.revision, tuple(argv), env,
                          log_path, self.policy)
        replica.start(now)
        return replica

    def _retire(self, replica: Replica, now: float, drain_seconds: float) -> None:
        replica.terminate(now, drain_seconds)
        if not replica.gone:
            self._draining.append(replica)

    def _tick(self) -> None:
        """One supervision round (supervisor thread; takes the lock)."""
        now = time.monotonic()
        with self._lock:
            dirty = set()
            for service in self._services.values():
                for replica in service.replicas:
                    if replica.tick(now):
                        dirty.add(replica.service_id)
            for replica in list(self._draining):
                if replica.tick(now):
                    dirty.add(replica.service_id)
                if replica.gone:
                    self._draining.remove(replica)
            for service_id in dirty:
                self._write_pids(service_id)

    def _write_pids(self, service_id: str) -> None:
        if not _SAFE_ID.match(service_id):
            return  # apply never accepted it, so no process of ours carries it
        service = self._services.get(service_id)
        owned = list(service.replicas) if service else []
        owned += [r for r in self._draining if r.service_id == service_id]
        pids = {r.replica_id: r.pid for r in owned if r.pid is not None}
        write_pids(self._service_dir(service_id), pids)

    def _service_dir(self, service_id: str) -> Path:
        if not _SAFE_ID.match(service_id):
            raise ValueError(f"service_id {service_id!r} is not a safe folder name")
        return self._root / service_id


def _validate(spec: DeploymentSpec) -> None:
    """Raise ValueError naming the field of ``spec`` that this backend cannot honour."""
    if not _SAFE_ID.match(spec.service_id or ""):
        raise ValueError(f"DeploymentSpec.service_id {spec.service_id!r}: use letters, "
                         "digits, '.', '_' and '-' only")
    if spec.replicas < 0:
        raise ValueError(f"DeploymentSpec.replicas must be >= 0, not {spec.replicas}")
    if spec.drain_seconds < 0:
        raise ValueError(f"DeploymentSpec.drain_seconds must be >= 0, not {spec.drain_seconds}")
    if spec.command is not None and not spec.command:
        raise ValueError("DeploymentSpec.command is empty; use None for the agent")


def _new_replica_id(service_name: str) -> str:
    """``<service name slug>-<8 hex>``: readable in ``ps`` and file names, unique."""
    slug = re.sub(r"[^a-z0-9]+", "-", service_name.lower()).strip("-")[:40] or "replica"
    return f"{slug}-{secrets.token_hex(4)}"
