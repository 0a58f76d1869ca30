"""ComputeBackendContract: what every compute backend (local, Docker, Kubernetes, yours) keeps.

Subclass it and provide two fixtures::

    from conveyor_runner.testing.contracts.compute import (
        ComputeBackendContract, python_replica_command)

    class TestMyBackend(ComputeBackendContract):
        @pytest.fixture
        def backend(self, tmp_path):
            backend = MyBackend(tmp_path / "backend")
            yield backend
            backend.close()

        @pytest.fixture
        def replica_command(self):
            return python_replica_command()   # (marker_dir) -> command tuple

The replica command must run :data:`REPLICA_SCRIPT` (any Python >= 3.8) with the marker
folder as its first argument; a container backend returns a command for its image and
mounts the folder (override the ``marker_dir`` fixture to place it). The trivial replica:

* appends one JSON line ``{"echo": $CONTRACT_ECHO}`` to ``<marker_dir>/<id>.started``
  per start, ``<id>`` being ``$CONVEYOR_REPLICA_ID``, and prints ``hello from <id>``;
* with ``CONTRACT_CRASH_ONCE`` set, exits with code 3 on its first start (``<id>.crashed``);
* on SIGTERM drains for 0.2 s, writes ``<id>.terminated`` and exits 0; otherwise sleeps.

Class attributes a subclass may set: ``real_processes = False`` for backends that run no
processes (the tests that need them skip, the rest check only ``replicas()``);
``timeout`` (seconds any single wait may take) for slow backends. A test that cannot apply
to a backend may be skipped only in the subclass, with a reason.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from conveyor_runner.compute import ComputeBackend, DeploymentSpec, ReplicaStatus
from conveyor_runner.ids import new_id
from conveyor_runner.testing.waiting import wait_until

REPLICA_SCRIPT = r"""
import json, os, signal, sys, time
folder, rid = sys.argv[1], os.environ["CONVEYOR_REPLICA_ID"]
def mark(suffix, text):
    with open(os.path.join(folder, rid + suffix), "a") as handle:
        handle.write(text)
def on_term(signum, frame):
    time.sleep(0.2)
    mark(".terminated", "1\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
mark(".started", json.dumps({"echo": os.environ.get("CONTRACT_ECHO")}) + "\n")
print("hello from " + rid, flush=True)
if os.environ.get("CONTRACT_CRASH_ONCE") and not os.path.exists(
        os.path.join(folder, rid + ".crashed")):
    mark(".crashed", "1\n")
    sys.exit(3)
while True:
    time.sleep(1)
"""


def python_replica_command(python: str = sys.executable) -> Callable[[Path], tuple[str, ...]]:
    """A ``replica_command`` factory running :data:`REPLICA_SCRIPT` with ``python``."""
    return lambda marker_dir: (python, "-c", REPLICA_SCRIPT, str(marker_dir))


def starts(marker_dir: Path) -> dict[str, list[dict]]:
    """Replica id -> one record per start, from the ``.started`` markers."""
    return {path.stem: [json.loads(line) for line in path.read_text().splitlines() if line]
            for path in marker_dir.glob("*.started")}


def terminated(marker_dir: Path) -> set[str]:
    """Ids of the replicas that handled SIGTERM."""
    return {path.stem for path in marker_dir.glob("*.terminated")}


class ComputeBackendContract:
    """The ``ComputeBackend`` guarantees, as tests. Needs ``backend`` and ``replica_command``."""

    #: False for backends that start no processes: marker checks are left out.
    real_processes: ClassVar[bool] = True
    #: Longest single wait, in seconds.
    timeout: ClassVar[float] = 20.0
    #: Drain given to replicas stopped on purpose (they drain in 0.2 s).
    drain_seconds: ClassVar[float] = 10.0

    @pytest.fixture
    def marker_dir(self, tmp_path: Path) -> Path:
        folder = tmp_path / "markers"
        folder.mkdir()
        return folder

    @pytest.fixture
    def service_id(self, backend: ComputeBackend):
        """A fresh service id; its replicas are removed (SIGKILL) after the test."""
        service_id = new_id()
        yield service_id
        backend.remove(service_id, 0)
        wait_until(lambda: not backend.replicas(service_id), self.timeout,
                   "the test's replicas to be gone")

    @pytest.fixture
    def make_spec(self, replica_command, marker_dir, service_id):
        command = tuple(replica_command(marker_dir))

        def make(replicas: int = 1, revision: str = "r1", **env: str) -> DeploymentSpec:
            return DeploymentSpec(service_id=service_id, service_name="contract test",
                                  revision=revision, replicas=replicas, env=env,
                                  drain_seconds=self.drain_seconds, command=command)
        return make

    # -- helpers --------------------------------------------------------------------

    def wait_running(self, backend: ComputeBackend, service_id: str, count: int,
                     revision: str, marker_dir: Path) -> list[ReplicaStatus]:
        """Wait until exactly ``count`` replicas exist, all running ``revision`` (and, with
        real processes, each has started, so it already handles SIGTERM)."""
        def settled():
            seen = backend.replicas(service_id)
            if len(seen) != count or any(
                    r.state != "running" or r.revision != revision for r in seen):
                return None
            if self.real_processes and not {r.replica_id for r in seen} <= set(
                    starts(marker_dir)):
                return None
            return seen or [None]
        seen = wait_until(settled, self.timeout,
                          f"{count} running replicas of revision {revision}")
        return [r for r in seen if r is not None]

    # -- the contract ---------------------------------------------------------------

    def test_apply_starts_the_replicas(self, backend, service_id, make_spec, marker_dir):
        backend.apply(make_spec(replicas=2))
        seen = self.wait_running(backend, service_id, 2, "r1", marker_dir)
        ids = {r.replica_id for r in seen}
        assert len(ids) == 2, f"replica ids are not unique: {seen}"
        if self.real_processes:
            # The replica id a backend reports is the CONVEYOR_REPLICA_ID the replica sees.
            assert set(starts(marker_dir)) == ids
            assert all(len(runs) == 1 for runs in starts(marker_dir).values())

    def test_apply_is_idempotent(self, backend, service_id, make_spec, marker_dir):
        backend.apply(make_spec(replicas=2))
        first = {r.replica_id for r in self.wait_running(backend, service_id, 2, "r1",
                                                         marker_dir)}
        backend.apply(make_spec(replicas=2))
        backend.apply(make_spec(replicas=2))
        again = {r.replica_id for r in self.wait_running(backend, service_id, 2, "r1",
                                                         marker_dir)}
        assert again == first, "re-applying the same spec replaced replicas"
        if self.real_processes:
            assert {rid: len(runs) for rid, runs in starts(marker_dir).items()} == dict.fromkeys(
                first, 1), "re-applying the same spec started processes"
            assert not terminated(marker_dir)

    def test_scale_up_then_down(self, backend, service_id, make_spec, marker_dir):
        backend.apply(make_spec(replicas=1))
        (original,) = self.wait_running(backend, service_id, 1, "r1", marker_dir)
        backend.apply(make_spec(replicas=3))
        up = {r.replica_id for r in self.wait_running(backend, service_id, 3, "r1", marker_dir)}
        assert original.replica_id in up, "scaling up replaced the existing replica"
        backend.apply(make_spec(replicas=1))
        (kept,) = self.wait_running(backend, service_id, 1, "r1", marker_dir)
        assert kept.replica_id in up, "scaling down started a new replica"
        if self.real_processes:
            stopped = up - {kept.replica_id}
            wait_until(lambda: terminated(marker_dir) == stopped, self.timeout,
                       "the two surplus replicas to get SIGTERM")
            assert len(starts(marker_dir)) == 3

    def test_new_revision_replaces_every_replica(self, backend, service_id, make_spec,
                                                 marker_dir):
        backend.apply(make_spec(replicas=2, revision="r1"))
        old = {r.replica_id for r in self.wait_running(backend, service_id, 2, "r1",
                                                       marker_dir)}
        backend.apply(make_spec(replicas=2, revision="r2"))
        new = {r.replica_id for r in self.wait_running(backend, service_id, 2, "r2",
                                                       marker_dir)}
        assert not old & new, "replicas of the old revision survived the change"
        if self.real_processes:
            wait_until(lambda: terminated(marker_dir) == old, self.timeout,
                       "every replica of the old revision to get SIGTERM")

    def test_stop_replica_stops_only_that_one(self, backend, service_id, make_spec,
                                              marker_dir):
        backend.apply(make_spec(replicas=2))
        first, second = self.wait_running(backend, service_id, 2, "r1", marker_dir)
        backend.stop_replica(service_id, first.replica_id, self.drain_seconds)
        (left,) = self.wait_running(backend, service_id, 1, "r1", marker_dir)
        assert left.replica_id == second.replica_id, "the wrong replica was stopped"
        backend.stop_replica(service_id, first.replica_id, self.drain_seconds)  # idempotent
        # The caller lowers the desired count alongside; that must not start or stop anything.
        backend.apply(make_spec(replicas=1))
        (still,) = self.wait_running(backend, service_id, 1, "r1", marker_dir)
        assert still.replica_id == second.replica_id
        if self.real_processes:
            wait_until(lambda: terminated(marker_dir) == {first.replica_id}, self.timeout,
                       "the stopped replica to get SIGTERM")
            assert set(starts(marker_dir)) == {first.replica_id, second.replica_id}, (
                "the stopped replica was replaced")

    def test_remove_stops_every_replica(self, backend, service_id, make_spec, marker_dir):
        backend.apply(make_spec(replicas=2))
        ids = {r.replica_id for r in self.wait_running(backend, service_id, 2, "r1",
                                                       marker_dir)}
        backend.remove(service_id, self.drain_seconds)
        backend.remove(service_id, self.drain_seconds)  # idempotent
        wait_until(lambda: not backend.replicas(service_id), self.timeout,
                   "replicas() to be empty after remove")
        backend.remove(new_id(), 0)  # an unknown service is not an error
        if self.real_processes:
            wait_until(lambda: terminated(marker_dir) == ids, self.timeout,
                       "every replica to get SIGTERM")

    def test_crashed_replica_is_restarted(self, backend, service_id, make_spec, marker_dir):
        self._need_processes()
        backend.apply(make_spec(replicas=1, CONTRACT_CRASH_ONCE="1"))
        (replica,) = self.wait_running(backend, service_id, 1, "r1", marker_dir)
        wait_until(lambda: len(starts(marker_dir).get(replica.replica_id, ())) >= 2,
                   self.timeout, "the crashed replica to start again")
        (replica,) = self.wait_running(backend, service_id, 1, "r1", marker_dir)
        assert replica.restarts >= 1, f"restart not counted: {replica}"
        assert (marker_dir / f"{replica.replica_id}.crashed").exists()

    def test_logs_return_replica_output(self, backend, service_id, make_spec, marker_dir):
        self._need_processes()
        backend.apply(make_spec(replicas=1))
        (replica,) = self.wait_running(backend, service_id, 1, "r1", marker_dir)
        greeting = f"hello from {replica.replica_id}"
        wait_until(lambda: any(greeting in line for line in
                               backend.logs(service_id, replica.replica_id)),
                   self.timeout, "the replica's output in logs(service, replica)")
        assert any(greeting in line for line in backend.logs(service_id))
        assert len(backend.logs(service_id, replica.replica_id, tail=1)) <= 1

    def test_env_reaches_the_replica(self, backend, service_id, make_spec, marker_dir):
        self._need_processes()
        backend.apply(make_spec(replicas=1, CONTRACT_ECHO="marmalade-42"))
        (replica,) = self.wait_running(backend, service_id, 1, "r1", marker_dir)
        assert starts(marker_dir)[replica.replica_id] == [{"echo": "marmalade-42"}]

    def _need_processes(self) -> None:
        if not self.real_processes:
            pytest.skip(f"{type(self).__name__} runs no processes (real_processes = False)")
