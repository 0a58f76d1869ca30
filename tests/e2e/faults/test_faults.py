"""Fault tests: kill -9 a replica, restart the broker and the control plane mid-batch,
SIGTERM a busy replica. After each: every execution is terminal, none is lost, and none
ran to success twice."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from conveyor_runner.testing.waiting import wait_until
from tests.e2e.faults.conftest import deploy_slow, rabbitmqctl, statuses

pytestmark = pytest.mark.slow

TERMINAL = {"success", "failed", "terminated", "aborted", "canceled", "system-failure"}


def _execute_many(plane, service, count: int, seconds: float) -> list[str]:
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: plane.call(
            "post", f"/executions/{service['id']}",
            json={"functionName": "work", "input": {"seconds": seconds}})["id"], range(count)))


def _all_terminal(plane, service, count: int, timeout: float) -> dict[str, int]:
    def done():
        counts = statuses(plane, service["id"])
        return counts if sum(counts.get(s, 0) for s in TERMINAL) == count else None
    return wait_until(done, timeout, f"{count} executions to end", interval=0.5)


def _completions(plane) -> Counter:
    path = plane.env["FAULT_LOG"]
    if not os.path.exists(path):
        return Counter()
    return Counter(line.strip() for line in open(path) if line.strip())


def _successes_ran_once(plane, ids: list[str]) -> None:
    completions = _completions(plane)
    for execution_id in ids:
        execution = plane.call("get", f"/executions/{execution_id}")
        if execution["latestStatus"]["status"] == "success":
            assert [s["status"] for s in execution["statusLog"]].count("success") == 1
    doubled = [execution_id for execution_id, count in completions.items() if count > 1]
    assert not doubled, [(execution_id, plane.call("get", f"/executions/{execution_id}")[
        "statusLog"]) for execution_id in doubled[:3]]


@pytest.mark.parametrize("on_reset, expected", [("failed", "failed"), ("rerun", "success")])
def test_kill_9_replica_mid_execution(plane, tmp_path, on_reset, expected):
    service = deploy_slow(plane, tmp_path, on_reset=on_reset)
    execution = plane.call("post", f"/executions/{service['id']}",
                           json={"functionName": "work", "input": {"seconds": 4}})
    wait_until(lambda: plane.call("get", f"/executions/{execution['id']}")[
        "latestStatus"]["status"] == "in-progress", 60, "the execution to start")
    for pid in plane.replica_pids(service["id"]):
        os.kill(pid, signal.SIGKILL)
    final = wait_until(lambda: (lambda e: e if e["latestStatus"]["status"] in TERMINAL else None)(
        plane.call("get", f"/executions/{execution['id']}")), 120, "the execution to end")
    assert final["latestStatus"]["status"] == expected, final["statusLog"]
    if expected == "failed":
        assert "onReset: failed" in final["latestStatus"]["message"]
    else:
        assert final["attempts"] == 2
    _successes_ran_once(plane, [execution["id"]])


@pytest.mark.parametrize("plane", ["rabbitmq"], indirect=True)
def test_restart_the_broker_mid_batch(plane, tmp_path):
    service = deploy_slow(plane, tmp_path, replicas=2, concurrency=10)
    with ThreadPoolExecutor(1) as pool:
        created = pool.submit(_execute_many, plane, service, 1000, 0.0)
        time.sleep(3)
        rabbitmqctl("stop_app")
        time.sleep(2)
        rabbitmqctl("start_app")
        ids = created.result()
    counts = _all_terminal(plane, service, 1000, 300)
    assert counts.get("success", 0) + counts.get("failed", 0) == 1000, counts
    _successes_ran_once(plane, ids)


def test_restart_the_control_plane_mid_batch(plane, tmp_path):
    service = deploy_slow(plane, tmp_path, replicas=1, concurrency=5, on_reset="rerun")
    ids = _execute_many(plane, service, 200, 0.05)
    wait_until(lambda: statuses(plane, service["id"]).get("success", 0) >= 20, 120,
               "some executions to finish", interval=0.5)
    plane.kill()
    plane.start()
    counts = _all_terminal(plane, service, 200, 300)
    assert counts.get("success", 0) == 200, counts
    _successes_ran_once(plane, ids)


def test_sigterm_a_replica_with_work_in_flight(plane, tmp_path):
    service = deploy_slow(plane, tmp_path, replicas=1, concurrency=4, drain=60)
    ids = _execute_many(plane, service, 12, 2.0)
    wait_until(lambda: statuses(plane, service["id"]).get("in-progress", 0) >= 4, 60,
               "work in flight", interval=0.5)
    for pid in plane.replica_pids(service["id"]):
        os.kill(pid, signal.SIGTERM)
    counts = _all_terminal(plane, service, 12, 180)
    assert counts == {"success": 12}, counts
    _successes_ran_once(plane, ids)
