"""ComputeBackend: the contract every replica runner (local, Docker, Kubernetes) fulfils.

A replica is one process running ``conveyor agent`` with the environment of its
``DeploymentSpec``. The control plane decides how many replicas of which revision a
service should have; a backend only makes reality match and reports what it sees.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar


@dataclass(frozen=True)
class DeploymentSpec:
    """The desired replicas of one service.

    Attributes:
        service_id: the service's id (backends key everything they own by it).
        service_name: human name, for process titles, container and object names.
        revision: changes whenever replicas must be replaced (new code or settings).
        replicas: how many replicas should run.
        env: environment of every replica (control-plane URL, token, queue URL, ids).
        image: container image for container backends (``runtime.runnerImage``).
        pod_type: size class (``runtime.podType``), mapped to resources by the backend.
        drain_seconds: how long a replica may finish work after SIGTERM before SIGKILL.
        labels: extra labels/annotations container backends attach.
        command: the replica's command line; None means the agent
            (``python -m conveyor_runner agent``). Container backends use it as the
            container command. Contract tests use it to run trivial replicas.
    """

    service_id: str
    service_name: str
    revision: str
    replicas: int
    env: dict[str, str] = field(default_factory=dict)
    image: str | None = None
    pod_type: str = "regular-s"
    drain_seconds: float = 600.0
    labels: dict[str, str] = field(default_factory=dict)
    command: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ReplicaStatus:
    """What a backend sees of one replica.

    Attributes:
        replica_id: unique and stable for the replica's life (also its ``CONVEYOR_REPLICA_ID``).
        revision: the ``DeploymentSpec.revision`` it was started with.
        state: ``starting``, ``running``, ``terminating``, ``exited`` or ``failed``.
        restarts: how many times the backend restarted it.
        message: the last exit reason or error, if any.
    """

    replica_id: str
    revision: str
    state: str
    restarts: int = 0
    message: str = ""


class ComputeBackend(abc.ABC):
    """Runs, replaces, scales and removes the replicas of services.

    Every method is idempotent and thread-safe. ``apply`` and ``remove`` return once the
    change is under way, not when it is finished; ``replicas`` reports progress.

    Args:
        data_dir: a folder the backend may keep state and logs in.
    """

    #: The name services select with ``runtime.backend`` ("local", "docker", "kubernetes").
    name: ClassVar[str]

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    @abc.abstractmethod
    def apply(self, spec: DeploymentSpec) -> None:
        """Converge the service to ``spec``: start missing replicas, replace replicas of
        another revision (a rolling change: the old ones get SIGTERM and ``drain_seconds``),
        and stop surplus replicas, idle-looking ones first."""

    @abc.abstractmethod
    def stop_replica(self, service_id: str, replica_id: str, drain_seconds: float) -> None:
        """SIGTERM one replica (the autoscaler picks drained ones), SIGKILL after the drain.

        The replica is not replaced; the caller lowers the desired count alongside.
        """

    @abc.abstractmethod
    def remove(self, service_id: str, drain_seconds: float) -> None:
        """Stop every replica of the service (SIGTERM, then SIGKILL after the drain)."""

    @abc.abstractmethod
    def replicas(self, service_id: str) -> list[ReplicaStatus]:
        """The service's replicas as the backend sees them now (terminated ones excluded)."""

    @abc.abstractmethod
    def logs(self, service_id: str, replica_id: str | None = None,
             tail: int = 200) -> list[str]:
        """The last ``tail`` lines the service's replicas (or one replica) wrote."""

    def close(self) -> None:  # noqa: B027 - optional hook: most backends hold nothing
        """Release clients and background threads; replicas keep running. Idempotent."""
