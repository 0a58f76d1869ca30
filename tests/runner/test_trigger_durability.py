"""The event outbox: nothing lost across a restart, nothing doubled by two control planes.

Real control planes on one database (SQLite and PostgreSQL), started and stopped by the
test. The outbox is read directly from the database to know every event was processed.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest

from conveyor_runner.store import outbox
from conveyor_runner.testing.clock import FakeClock
from tests.runner.api.conftest import upload
from tests.runner.api.triggers_support import event_trigger, executions_of, service
from tests.runner.planes import planes_on


@pytest.fixture(params=["sqlite", "postgres"])
def planes(request, tmp_path):
    with planes_on(request, tmp_path, FakeClock(datetime(2031, 1, 1, tzinfo=timezone.utc))) \
            as running:
        yield running


def _setup(api) -> tuple[dict, dict]:
    project = api.ok("post", "/projects", data={"name": f"durable-{time.time_ns()}"})
    dataset = api.ok("post", "/datasets", json={"name": "d", "projects": [project["id"]]})
    return dataset, service(api, project["id"])


def _drained(thread, timeout: float = 60) -> None:
    """Wait until the outbox holds no event to process."""
    deadline = time.monotonic() + timeout
    while True:
        with thread.prepared.state.db.transaction() as session:
            if outbox.pending_count(session, max_attempts=5) == 0:
                return
        assert time.monotonic() < deadline, "events were left in the outbox"
        time.sleep(0.05)


def test_events_committed_before_a_crash_fire_after_the_restart(planes):
    first, api = planes.start()
    dataset, svc = _setup(api)
    trigger = event_trigger(api, svc, mode="Always")
    first.prepared.state.plane.triggers.stop()  # committed changes, never evaluated ...
    uploaded = [upload(api, dataset["id"], f"/x{i}.txt").json()["id"] for i in range(5)]
    assert executions_of(api, trigger["id"]) == []
    planes.stop(first)  # ... when the control plane goes down
    second, api = planes.start()
    _drained(second)
    found = executions_of(api, trigger["id"])
    assert sorted(e["input"]["item"]["item_id"] for e in found) == sorted(uploaded)


def test_two_control_planes_share_the_outbox_without_doubles(planes):
    (first, api_a), (_second, api_b) = planes.start(), planes.start()
    dataset, svc = _setup(api_a)
    always = event_trigger(api_a, svc, mode="Always", name="always")
    once = event_trigger(api_a, svc, actions=("Created", "Updated"), mode="Once", name="once")

    def change(index: int) -> str:
        api = (api_a, api_b)[index % 2]
        item = upload(api, dataset["id"], f"/p{index}.txt").json()
        api.ok("patch", f"/items/{item['id']}", json={"metadata": {"user": {"i": index}}})
        return item["id"]

    with ThreadPoolExecutor(8) as pool:
        ids = sorted(pool.map(change, range(60)))
    _drained(first)
    assert sorted(e["input"]["item"]["item_id"] for e in executions_of(api_a, always["id"])) \
        == ids
    assert sorted(e["input"]["item"]["item_id"] for e in executions_of(api_a, once["id"])) \
        == ids


def test_events_with_no_trigger_anywhere_are_cleared_and_a_new_trigger_serves_the_next(planes):
    running, api = planes.start()
    dataset, svc = _setup(api)
    # No active event trigger exists: these events can fire nothing, and are cleared by
    # the engine's periodic pass rather than one pass per commit.
    for index in range(20):
        upload(api, dataset["id"], f"/before{index}.txt")
    _drained(running, timeout=10)
    trigger = event_trigger(api, svc, mode="Always")
    after = upload(api, dataset["id"], "/after.txt").json()["id"]
    _drained(running, timeout=10)
    assert [e["input"]["item"]["item_id"] for e in executions_of(api, trigger["id"])] == [after]
