"""Janitor verdicts (pure): dead, restarted and stuck replicas; onReset."""

from __future__ import annotations

from datetime import timedelta

from conveyor_runner.control.janitor import reset, verdict
from conveyor_runner.ids import now_iso, parse_iso, to_iso
from conveyor_runner.store.tables import ExecutionRow, ReplicaRow, ServiceRow


def _ago(seconds: float) -> str:
    return to_iso(parse_iso(now_iso()) - timedelta(seconds=seconds))


def _execution(started_ago: float = 30, attempts: int = 1) -> ExecutionRow:
    entry = {"status": "in-progress", "timestamp": _ago(started_ago), "percentComplete": 0}
    return ExecutionRow(id="e" * 24, status="in-progress", replica_id="r1", attempts=attempts,
                        max_attempts=3, started_at=_ago(started_ago), updated_at=_ago(1),
                        status_log=[entry], doc={}, dispatch_id="d" * 24, published=True,
                        to_terminate=False)


def _replica(heartbeat_ago: float, running: list[str]) -> ReplicaRow:
    return ReplicaRow(id="r1", service_id="s", revision=1, state="ready", busy=len(running),
                      started_at=_ago(100), heartbeat_at=_ago(heartbeat_ago),
                      info={"running": running})


def _service(on_reset: str = "failed", timeout: int = 3600) -> ServiceRow:
    return ServiceRow(id="s", doc={"onReset": on_reset, "executionTimeout": timeout})


def _verdict(row, replica, service):
    return verdict(row, replica, service, now=now_iso(), dead_after=20, timeout_grace=30)


def test_a_live_replica_running_it_is_fine():
    row = _execution()
    assert _verdict(row, _replica(1, [row.id]), _service()) is None


def test_dead_restarted_and_missing_replicas_are_named():
    row = _execution()
    assert "stopped while running" in _verdict(row, _replica(25, [row.id]), _service())
    assert "restarted while running" in _verdict(row, _replica(1, []), _service())
    assert "never reported" in _verdict(row, None, _service())
    assert _verdict(_execution(started_ago=5), None, _service()) is None


def test_a_stuck_execution_times_out():
    row = _execution(started_ago=100)
    reason = _verdict(row, _replica(1, [row.id]), _service(timeout=60))
    assert reason == "execution timed out after 60 s (executionTimeout)"


def test_reset_fails_or_requeues_per_on_reset():
    failed = _execution()
    assert reset(failed, _service("failed"), "replica r1 stopped") is False
    assert failed.status == "failed" and "onReset: failed" in failed.status_log[-1]["message"]
    requeued = _execution()
    assert reset(requeued, _service("rerun"), "replica r1 stopped") is True
    assert requeued.status == "created" and requeued.dispatch_id != "d" * 24
    assert requeued.published is False
    exhausted = _execution(attempts=3)
    assert reset(exhausted, _service("rerun"), "replica r1 stopped") is False
    assert "max attempts" in exhausted.status_log[-1]["message"]
