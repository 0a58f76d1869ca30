"""Reconciler: makes each service's replicas match its desired state through its backend."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from conveyor_runner.compute.backend import ComputeBackend, DeploymentSpec
from conveyor_runner.control import autoscaler
from conveyor_runner.control.loop_thread import LoopThread
from conveyor_runner.control.services import desired_replicas
from conveyor_runner.errors import PluginError
from conveyor_runner.ids import now_iso
from conveyor_runner.store import executions, services
from conveyor_runner.store.db import Database
from conveyor_runner.store.tables import ServiceRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplicaEnvironment:
    """What every replica needs to reach the control plane and its queue."""

    control_url: str
    queue_url: str
    home_root: str
    token_for: Callable[[ServiceRow], str]


class Reconciler:
    """Applies desired replica counts to compute backends, on a timer and on demand.

    Args:
        db: the control plane's database.
        backend_for: returns the backend instance for a backend name.
        environment: replica environment settings.
        interval: seconds between two passes when nothing wakes it.
    """

    def __init__(self, db: Database, backend_for: Callable[[str], ComputeBackend],
                 environment: ReplicaEnvironment, interval: float = 2.0) -> None:
        self.db, self.backend_for, self.environment = db, backend_for, environment
        self._interval = interval
        self._wake = threading.Event()
        self._applied: dict[str, str] = {}  # service id -> backend name it was applied to
        self._observed: dict[str, dict] = {}  # last status written per service
        self._scalers: dict[str, autoscaler.ScalerState] = {}
        self._urgent: set[str] = set()  # services to evaluate now (e.g. woken from zero)
        self._autoscaled: set[str] = set()  # services with an autoscaler, as of the last pass
        self._loop_thread = LoopThread("conveyor-reconciler", self._loop,
                                       interrupt=self._wake.set)

    def wake(self, service_id: str | None = None) -> None:
        """Run a pass as soon as possible (after a deploy, update, pause or delete).

        With ``service_id``, that service's autoscaler is evaluated in this pass even if its
        polling interval has not passed (a queued execution for a service at zero replicas).
        """
        if service_id is not None:
            self._urgent.add(service_id)
        self._wake.set()

    def notice_queued(self, service_ids: set[str]) -> None:
        """New executions were queued: wake autoscaled services that have no replica.

        Cheap (memory only), so the dispatcher calls it on every publish.
        """
        for service_id in service_ids & self._autoscaled:
            if not self._observed.get(service_id, {}).get("replicas"):
                self.wake(service_id)

    def reconcile_once(self) -> None:
        """One pass over every service; a failing service never blocks the others."""
        with self.db.transaction() as session:
            rows = services.all_services(session)
            session.expunge_all()
        seen = set()
        for row in rows:
            seen.add(row.id)
            try:
                self._apply(row)
            except Exception as exc:  # noqa: BLE001 - one broken service must not stop the rest
                log.exception("reconciling service %s failed", row.id)
                self._record(row.id, {"error": f"{type(exc).__name__}: {exc}"})
        for service_id in set(self._applied) - seen:
            self._remove(service_id)

    def _apply(self, row: ServiceRow) -> None:
        runtime = row.doc.get("runtime", {})
        backend_name = runtime.get("backend", "local")
        previous = self._applied.get(row.id)
        if previous and previous != backend_name:
            self._remove(row.id)
        backend = self.backend_for(backend_name)
        spec = self.spec(row)
        scaling = runtime.get("autoscaler")
        (self._autoscaled.add if scaling else self._autoscaled.discard)(row.id)
        if scaling and row.active:
            spec = replace(spec, replicas=self._autoscale(row, backend, scaling))
        backend.apply(spec)
        self._applied[row.id] = backend_name
        replicas = [r.__dict__ for r in backend.replicas(row.id)]
        state = self._scalers.get(row.id)
        self._record(row.id, {"replicas": replicas, "desired": spec.replicas,
                              "backend": backend_name, "error": None,
                              "scaling": list(state.decisions) if state else []})

    def _autoscale(self, row: ServiceRow, backend: ComputeBackend, scaling: dict) -> int:
        """The replica count to apply; stops idle replicas itself when scaling in."""
        current = backend.replicas(row.id)
        state = self._scalers.setdefault(row.id, autoscaler.ScalerState())
        now = time.monotonic()
        if not autoscaler.due(scaling, state, now) and row.id not in self._urgent:
            return len(current)
        self._urgent.discard(row.id)
        state.last_evaluated = now
        with self.db.transaction() as session:
            queued, running = executions.load(session, row.id)
            busy = {r.id: r.busy for r in services.replicas(session, row.id)}
        decision = autoscaler.decide(scaling, autoscaler.Load(queued, running), len(current),
                                     state, now)
        if decision is None:
            return len(current)
        if decision.target > len(current):
            autoscaler.record(state, now_iso(), len(current), decision.target, decision.reason)
            return decision.target
        # Scale in only replicas that reported themselves idle: never a busy one.
        idle = [r for r in current if r.state == "running" and busy.get(r.replica_id) == 0]
        stopping = idle[:len(current) - decision.target]
        for replica in stopping:
            backend.stop_replica(row.id, replica.replica_id,
                                 float(row.doc.get("drainTime", 600)))
        if stopping:
            autoscaler.record(state, now_iso(), len(current), len(current) - len(stopping),
                              decision.reason + f"; stopped idle {len(stopping)} replica(s)")
        return len(current) - len(stopping)

    def spec(self, row: ServiceRow) -> DeploymentSpec:
        """The DeploymentSpec of a service as it should run now."""
        runtime, env = row.doc.get("runtime", {}), self.environment
        return DeploymentSpec(
            service_id=row.id, service_name=row.name, revision=str(row.revision),
            replicas=desired_replicas(row), image=runtime.get("runnerImage"),
            pod_type=runtime.get("podType", "regular-s"),
            drain_seconds=float(row.doc.get("drainTime", 600)),
            env={"CONVEYOR_URL": env.control_url, "CONVEYOR_TOKEN": env.token_for(row),
                 "CONVEYOR_SERVICE_ID": row.id, "CONVEYOR_SERVICE_REVISION": str(row.revision),
                 "CONVEYOR_QUEUE_URL": env.queue_url,
                 "CONVEYOR_HOME": f"{env.home_root}/{row.id}"},
            labels={"conveyor.io/service-id": row.id, "conveyor.io/project-id": row.project_id},
        )

    def _remove(self, service_id: str) -> None:
        name = self._applied.pop(service_id, None)
        self._observed.pop(service_id, None)
        self._scalers.pop(service_id, None)
        if name is None:
            return
        try:
            self.backend_for(name).remove(service_id, drain_seconds=30)
        except PluginError:
            log.warning("backend %s of removed service %s is gone", name, service_id)

    def _record(self, service_id: str, observed: dict) -> None:
        # Only changes are written: a pass every few seconds must not churn the database.
        if self._observed.get(service_id) == observed:
            return
        self._observed[service_id] = observed
        with self.db.transaction() as session:
            row = services.get(session, service_id)
            if row is not None:
                row.status = {**row.status, **observed, "observedAt": now_iso()}

    def start(self) -> None:
        """Reconcile in a daemon thread until ``stop``."""
        self._loop_thread.start()

    def stop(self) -> None:
        """Stop the thread (replicas keep running; the backends own them)."""
        self._loop_thread.stop()

    def _loop(self) -> None:
        while not self._loop_thread.stopping.is_set():
            try:
                self.reconcile_once()
            except Exception:  # noqa: BLE001 - keep reconciling after a database hiccup
                log.exception("reconcile pass failed")
            self._wake.wait(self._interval)
            self._wake.clear()

    def remove_all(self, timeout: float) -> None:
        """Stop every replica this reconciler started and wait (bounded) until they exit."""
        applied = dict(self._applied)
        for service_id, name in applied.items():
            self.backend_for(name).remove(service_id, drain_seconds=timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(self.backend_for(n).replicas(s) for s, n in applied.items()):
                break
            time.sleep(0.2)
        self._applied.clear()
