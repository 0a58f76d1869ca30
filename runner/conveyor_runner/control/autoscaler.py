"""Autoscaler decisions: how many replicas a service with ``runtime.autoscaler`` needs.

Desired replicas = ceil((queued + running executions) / queueLength), clamped to
[minReplicas, maxReplicas]. Scaling out happens at once; scaling in waits until the load
has been lower for ``cooldownPeriod`` seconds, and then only idle replicas are stopped (a
busy replica is never stopped to scale in). ``minReplicas: 0`` scales to zero; the first
queued execution brings a replica back. Every change is recorded with its reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

MAX_RECORDED = 50


@dataclass(frozen=True)
class Load:
    """What the ledger says about a service right now."""

    queued: int
    running: int


@dataclass
class ScalerState:
    """Per-service memory between two passes (kept by the reconciler)."""

    last_evaluated: float = float("-inf")
    #: When the load last asked for at least the current replica count.
    last_busy: float = float("-inf")
    decisions: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    """The outcome of one evaluation: the target count and why."""

    target: int
    reason: str


def wanted(autoscaler: dict, load: Load) -> int:
    """Replicas the load asks for, clamped to the autoscaler's bounds."""
    needed = math.ceil((load.queued + load.running) / max(int(autoscaler["queueLength"]), 1))
    return max(int(autoscaler["minReplicas"]), min(int(autoscaler["maxReplicas"]), needed))


def decide(autoscaler: dict, load: Load, current: int, state: ScalerState,
           now: float) -> Decision | None:
    """The new target replica count, or None to keep ``current``.

    Scale-out is immediate. Scale-in needs the load to have stayed below ``current`` for
    ``cooldownPeriod`` seconds; the caller then stops only idle replicas.
    """
    target = wanted(autoscaler, load)
    pending = load.queued + load.running
    if target >= current:
        state.last_busy = now
        if target == current:
            return None
        return Decision(target, f"{pending} queued+running executions need {target} "
                                f"replica(s) (queueLength {autoscaler['queueLength']})")
    cooldown = float(autoscaler.get("cooldownPeriod", 300))
    if now - state.last_busy < cooldown:
        return None
    return Decision(target, f"{pending} queued+running executions for {cooldown:.0f} s "
                            f"need only {target} replica(s)")


def due(autoscaler: dict, state: ScalerState, now: float) -> bool:
    """True if ``pollingInterval`` seconds passed since the last evaluation."""
    return now - state.last_evaluated >= float(autoscaler.get("pollingInterval", 10))


def record(state: ScalerState, timestamp: str, before: int, after: int, reason: str) -> list[dict]:
    """Remember a scaling decision; returns the most recent ones (newest last)."""
    state.decisions.append({"timestamp": timestamp, "from": before, "to": after,
                            "reason": reason})
    del state.decisions[:-MAX_RECORDED]
    return list(state.decisions)
