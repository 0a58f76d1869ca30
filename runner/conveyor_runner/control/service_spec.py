"""Service settings: defaults, validation field by field, and what a change implies."""

from __future__ import annotations

from conveyor_runner.errors import InvalidInputError

RUNTIME_DEFAULTS = {"podType": "regular-s", "numReplicas": 1, "concurrency": 10,
                    "autoscaler": None, "backend": "local"}
SETTING_DEFAULTS = {"maxAttempts": 3, "executionTimeout": 3600, "drainTime": 600,
                    "onReset": "failed", "runExecutionAsProcess": False, "initParams": {},
                    "useUserJwt": False, "global": False}
#: Settings whose change needs new replicas (the agent reads them at start).
ROLLING_KEYS = ("initParams", "runExecutionAsProcess", "executionTimeout", "drainTime",
                "useUserJwt")
#: Runtime keys that only change how many replicas run.
SCALING_KEYS = ("numReplicas", "autoscaler")
KEPT_KEYS = (*SETTING_DEFAULTS, "runtime", "versions", "driverId", "secrets", "integrations",
             "metadata", "mode", "config", "settings", "queueLengthLimit", "type", "scope")


def runtime(raw: object, backends: list[str]) -> dict:
    """A complete, validated runtime (defaults filled in).

    Raises:
        InvalidInputError: a wrong type or value, named (``runtime.concurrency``); an unknown
            ``runtime.backend`` lists the installed ones.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidInputError("runtime: must be an object", field="runtime")
    result = {**RUNTIME_DEFAULTS, **{k: v for k, v in raw.items() if v is not None}}
    if "autoscaler" in raw:
        result["autoscaler"] = raw["autoscaler"]
    _int(result["numReplicas"], "runtime.numReplicas", 0, 100)
    _int(result["concurrency"], "runtime.concurrency", 1, 1000)
    if result["backend"] not in backends:
        raise InvalidInputError(
            f"runtime.backend: unknown compute backend {result['backend']!r}; installed: "
            f"{', '.join(backends) or 'none'}", "runtime.backend")
    result["autoscaler"] = autoscaler(result["autoscaler"])
    return result


def autoscaler(raw: object) -> dict | None:
    """A validated autoscaler with dtlpy's defaults, or None."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidInputError("runtime.autoscaler: must be an object", "runtime.autoscaler")
    kind = raw.get("type", "rabbitmq")
    if kind not in ("rabbitmq", "rps"):
        raise InvalidInputError("runtime.autoscaler.type: must be 'rabbitmq' or 'rps'",
                                "runtime.autoscaler.type")
    result = {"type": kind, "minReplicas": 0, "maxReplicas": 1, "queueLength": 10,
              "cooldownPeriod": 300, "pollingInterval": 10, **raw}
    low = _int(result["minReplicas"], "runtime.autoscaler.minReplicas", 0, 100)
    _int(result["maxReplicas"], "runtime.autoscaler.maxReplicas", max(low, 1), 100)
    _int(result["queueLength"], "runtime.autoscaler.queueLength", 1, 1_000_000)
    _number(result["cooldownPeriod"], "runtime.autoscaler.cooldownPeriod", 0)
    _number(result["pollingInterval"], "runtime.autoscaler.pollingInterval", 0.1)
    return result


def settings(raw: dict) -> dict:
    """Validated execution settings (defaults filled in for missing ones)."""
    result = {**SETTING_DEFAULTS, **{k: raw[k] for k in SETTING_DEFAULTS
                                     if raw.get(k) is not None}}
    _int(result["maxAttempts"], "maxAttempts", 1, 100)
    _number(result["executionTimeout"], "executionTimeout", 1)
    _number(result["drainTime"], "drainTime", 0)
    if result["onReset"] not in ("failed", "rerun"):
        raise InvalidInputError("onReset: must be 'failed' or 'rerun'", field="onReset")
    for flag in ("runExecutionAsProcess", "useUserJwt", "global"):
        if not isinstance(result[flag], bool):
            raise InvalidInputError(f"{flag}: must be true or false", field=flag)
    if not isinstance(result["initParams"], dict):
        raise InvalidInputError("initParams: must be an object", field="initParams")
    return result


def check_init_params(init_params: dict, module: dict) -> None:
    """Every mandatory init input of the module is given."""
    for io in module.get("initInputs", []):
        if io.get("mandatory", True) and "value" not in io and io["name"] not in init_params:
            raise InvalidInputError(
                f"initParams.{io['name']}: required by module {module['name']!r}",
                f"initParams.{io['name']}")


def _int(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInputError(f"{field}: must be an integer from {low} to {high}", field)
    return value


def _number(value: object, field: str, low: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
        raise InvalidInputError(f"{field}: must be a number >= {low}", field)
    return float(value)
