"""Service runtime settings: pod size, replicas, concurrency, autoscaler, compute backend.

JSON shape (dtlpy-contract §4.5, plus Conveyor's ``backend``)::

    {"podType": "regular-s", "numReplicas": 1, "concurrency": 10, "backend": "local",
     "autoscaler": null | {"type": "rabbitmq", "minReplicas": 0, "maxReplicas": 1,
                           "queueLength": 1000, "cooldownPeriod"?, "pollingInterval"?}
                        | {"type": "rps", ..., "threshold": 10, "rateSeconds": 30},
     "runnerImage"?, "proxyImage"?, "singleAgent"?, "preemptible"?,
     "dynamicConcurrency"?, "dynamicConcurrencyConfig"?}
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class InstanceCatalog(str, Enum):
    """Replica sizes (``runtime.podType``); any other string is passed through too."""

    REGULAR_XS = "regular-xs"
    REGULAR_S = "regular-s"
    REGULAR_M = "regular-m"
    REGULAR_L = "regular-l"
    HIGHMEM_XS = "highmem-xs"
    HIGHMEM_S = "highmem-s"
    HIGHMEM_M = "highmem-m"
    HIGHMEM_L = "highmem-l"
    HIGHCPU_XS = "highcpu-xs"
    GPU_K80_S = "gpu-k80-s"
    GPU_K80_M = "gpu-k80-m"
    GPU_T4_S = "gpu-t4"
    GPU_T4_M = "gpu-t4-m"


class KubernetesAutoscalerType(str, Enum):
    """Autoscaler kinds; the server accepts ``rabbitmq`` (queue length) and ``rps``."""

    RABBITMQ = "rabbitmq"
    CPU = "cpu"
    RPS = "rps"


#: dtlpy's historical spelling, kept as an alias
KubernetesAutuscalerType = KubernetesAutoscalerType


class OnResetAction(str, Enum):
    """What happens to a running execution when its replica is reset."""

    RERUN = "rerun"
    FAILED = "failed"


class RuntimeType(str, Enum):
    """Runtime family (only ``kubernetes``-style runtimes exist)."""

    KUBERNETES = "kubernetes"


class ServiceType(str, Enum):
    """Service type."""

    SYSTEM = "system"
    REGULAR = "regular"


class ServiceModeType(str, Enum):
    """Service mode."""

    REGULAR = "regular"
    DEBUG = "debug"


class ServiceScope(str, Enum):
    """Deployment scope of a service."""

    SYSTEM = "system"
    PROJECT = "project"
    ORGANIZATION = "organization"


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


class KubernetesAutoscaler:
    """Base autoscaler: scale between ``min_replicas`` and ``max_replicas``.

    camelCase keyword arguments (``minReplicas`` ...) from the JSON override the
    snake_case ones, so ``cls(**json)`` rebuilds an autoscaler.
    """

    MIN_REPLICA_DEFAULT = 0
    MAX_REPLICA_DEFAULT = 1
    AUTOSCALER_TYPE_DEFAULT = KubernetesAutoscalerType.RABBITMQ

    def __init__(self, autoscaler_type=AUTOSCALER_TYPE_DEFAULT, min_replicas=MIN_REPLICA_DEFAULT,
                 max_replicas=MAX_REPLICA_DEFAULT, cooldown_period=None, polling_interval=None,
                 **kwargs: Any) -> None:
        self.autoscaler_type = kwargs.get("type", autoscaler_type)
        self.min_replicas = kwargs.get("minReplicas", min_replicas)
        self.max_replicas = kwargs.get("maxReplicas", max_replicas)
        self.cooldown_period = kwargs.get("cooldownPeriod", cooldown_period)
        self.polling_interval = kwargs.get("pollingInterval", polling_interval)

    def to_json(self) -> dict:
        """``{type, minReplicas, maxReplicas}`` plus the optional periods when set."""
        out = {"type": _plain(self.autoscaler_type), "minReplicas": self.min_replicas,
               "maxReplicas": self.max_replicas}
        if self.cooldown_period is not None:
            out["cooldownPeriod"] = self.cooldown_period
        if self.polling_interval is not None:
            out["pollingInterval"] = self.polling_interval
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_json()})"


class KubernetesRabbitmqAutoscaler(KubernetesAutoscaler):
    """Scale by queue length: about ``queue_length`` pending executions per replica."""

    QUEUE_LENGTH_DEFAULT = 1000

    def __init__(self, min_replicas=KubernetesAutoscaler.MIN_REPLICA_DEFAULT,
                 max_replicas=KubernetesAutoscaler.MAX_REPLICA_DEFAULT,
                 queue_length=QUEUE_LENGTH_DEFAULT, cooldown_period=None, polling_interval=None,
                 **kwargs: Any) -> None:
        kwargs.pop("type", None)
        super().__init__(KubernetesAutoscalerType.RABBITMQ, min_replicas, max_replicas,
                         cooldown_period, polling_interval, **kwargs)
        self.queue_length = kwargs.get("queueLength", queue_length)

    def to_json(self) -> dict:
        """The base keys plus ``queueLength``."""
        return {**super().to_json(), "queueLength": self.queue_length}


class KubernetesRPSAutoscaler(KubernetesAutoscaler):
    """Scale by requests per second: ``threshold`` requests per ``rate_seconds`` window."""

    THRESHOLD_DEFAULT = 10
    RATE_SECONDS_DEFAULT = 30

    def __init__(self, min_replicas=KubernetesAutoscaler.MIN_REPLICA_DEFAULT,
                 max_replicas=KubernetesAutoscaler.MAX_REPLICA_DEFAULT,
                 threshold=THRESHOLD_DEFAULT, rate_seconds=RATE_SECONDS_DEFAULT,
                 cooldown_period=None, polling_interval=None, **kwargs: Any) -> None:
        kwargs.pop("type", None)
        super().__init__(KubernetesAutoscalerType.RPS, min_replicas, max_replicas,
                         cooldown_period, polling_interval, **kwargs)
        self.threshold = kwargs.get("threshold", threshold)
        self.rate_seconds = kwargs.get("rateSeconds", rate_seconds)

    def to_json(self) -> dict:
        """The base keys plus ``threshold`` and ``rateSeconds``."""
        return {**super().to_json(), "threshold": self.threshold,
                "rateSeconds": self.rate_seconds}


def load_autoscaler(value: Any) -> KubernetesAutoscaler | None:
    """An autoscaler from its JSON (entities pass through).

    Raises:
        ValueError: the type is neither ``rabbitmq`` nor ``rps``.
    """
    if value is None or isinstance(value, KubernetesAutoscaler):
        return value
    kind = _plain(value.get("type", KubernetesAutoscalerType.RABBITMQ.value))
    if kind == KubernetesAutoscalerType.RABBITMQ.value:
        return KubernetesRabbitmqAutoscaler(**value)
    if kind == KubernetesAutoscalerType.RPS.value:
        return KubernetesRPSAutoscaler(**value)
    raise ValueError(f"runtime.autoscaler.type: unsupported autoscaler {kind!r} "
                     "(use rabbitmq or rps)")


class ServiceRuntime:
    """Base of runtimes."""

    def __init__(self, service_type: RuntimeType = RuntimeType.KUBERNETES) -> None:
        self.service_type = service_type


#: optional runtime keys: attribute -> JSON key (emitted only when not None)
_OPTIONAL = {"runner_image": "runnerImage", "proxy_image": "proxyImage",
             "single_agent": "singleAgent", "preemptible": "preemptible",
             "dynamic_concurrency": "dynamicConcurrency",
             "dynamic_concurrency_config": "dynamicConcurrencyConfig"}


class KubernetesRuntime(ServiceRuntime):
    """A service's runtime (``service.runtime``).

    Args:
        pod_type: replica size (``InstanceCatalog`` or any string).
        num_replicas: replicas without an autoscaler (0 = none run).
        concurrency: executions run in parallel per replica.
        dynamic_concurrency, dynamic_concurrency_config: passed through.
        runner_image: container image of the replicas (docker/kubernetes backends).
        autoscaler: a ``KubernetesRabbitmqAutoscaler``/``KubernetesRPSAutoscaler`` or its JSON.
        backend: Conveyor compute backend name (``local``, ``docker``, ``kubernetes``, ...).
        **kwargs: the camelCase JSON keys, which win over the arguments above; other keys
            (e.g. a template's ``gpu``) are ignored.
    """

    DEFAULT_POD_TYPE = InstanceCatalog.REGULAR_S
    DEFAULT_NUM_REPLICAS = 1
    DEFAULT_CONCURRENCY = 10
    DEFAULT_BACKEND = "local"

    def __init__(self, pod_type=DEFAULT_POD_TYPE, num_replicas=DEFAULT_NUM_REPLICAS,
                 concurrency=DEFAULT_CONCURRENCY, dynamic_concurrency=None,
                 dynamic_concurrency_config=None, runner_image=None, autoscaler=None,
                 backend: str = DEFAULT_BACKEND, **kwargs: Any) -> None:
        super().__init__(RuntimeType.KUBERNETES)
        self.pod_type = kwargs.get("podType", pod_type)
        self.num_replicas = kwargs.get("numReplicas", num_replicas)
        self.concurrency = kwargs.get("concurrency", concurrency)
        self.backend = kwargs.get("backend", backend)
        self.runner_image = kwargs.get("runnerImage", runner_image)
        self.proxy_image = kwargs.get("proxyImage")
        self.single_agent = kwargs.get("singleAgent")
        self.preemptible = kwargs.get("preemptible")
        self.dynamic_concurrency = kwargs.get("dynamicConcurrency", dynamic_concurrency)
        self.dynamic_concurrency_config = kwargs.get("dynamicConcurrencyConfig",
                                                     dynamic_concurrency_config)
        self.autoscaler = load_autoscaler(kwargs.get("autoscaler", autoscaler))

    @classmethod
    def from_json(cls, _json: dict) -> KubernetesRuntime:
        """Build from the runtime JSON."""
        return cls(**_json)

    def to_json(self) -> dict:
        """The runtime JSON (optional keys only when set)."""
        out = {"podType": _plain(self.pod_type), "numReplicas": self.num_replicas,
               "concurrency": self.concurrency, "backend": self.backend,
               "autoscaler": None if self.autoscaler is None else self.autoscaler.to_json()}
        for attr, key in _OPTIONAL.items():
            if getattr(self, attr) is not None:
                out[key] = getattr(self, attr)
        return out

    def __repr__(self) -> str:
        return f"KubernetesRuntime({self.to_json()})"


def load_runtime(value: Any) -> Any:
    """A ``KubernetesRuntime`` from its JSON (entities pass through; empty -> None)."""
    if isinstance(value, dict):
        return KubernetesRuntime.from_json(value) if value else None
    return value
