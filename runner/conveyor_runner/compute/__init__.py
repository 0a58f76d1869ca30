"""The compute role: where and how service replicas run."""

from conveyor_runner.compute.backend import (
    ComputeBackend,
    DeploymentSpec,
    ReplicaStatus,
)

__all__ = ["ComputeBackend", "DeploymentSpec", "ReplicaStatus"]
