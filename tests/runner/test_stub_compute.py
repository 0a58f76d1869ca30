"""The compute stub keeps the ComputeBackend contract wherever no real process is needed."""

from __future__ import annotations

import pytest

from conveyor_runner.compute import DeploymentSpec
from conveyor_runner.testing.contracts.compute import ComputeBackendContract
from conveyor_runner.testing.stubs import StubComputeBackend


class TestStubComputeBackend(ComputeBackendContract):
    real_processes = False

    @pytest.fixture
    def backend(self, tmp_path):
        backend = StubComputeBackend(tmp_path)
        yield backend
        backend.close()

    @pytest.fixture
    def replica_command(self):
        return lambda marker_dir: ("never-run", str(marker_dir))


def test_stub_records_calls_and_serves_added_logs(tmp_path):
    stub = StubComputeBackend(tmp_path)
    stub.apply(_spec(replicas=2))
    (first, second) = stub.replicas("svc")
    stub.stop_replica("svc", first.replica_id, 5)
    stub.add_log("svc", second.replica_id, "hello")
    stub.remove("svc", 7)
    assert [spec.replicas for spec in stub.applied] == [2]
    assert stub.stopped == [("svc", first.replica_id, 5)]
    assert stub.removed == [("svc", 7)]
    assert stub.logs("svc", second.replica_id) == ["hello"]
    assert stub.logs("svc", first.replica_id) == []
    assert stub.replicas("svc") == []


def _spec(replicas):
    return DeploymentSpec(service_id="svc", service_name="svc", revision="r1", replicas=replicas)
