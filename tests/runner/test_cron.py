"""Cron triggers: slots, restarts and two control planes, driven by a fake clock.

Control planes here are real servers (``prepare`` + ``ServerThread``) on one database,
SQLite and PostgreSQL; the test moves their scheduler's clock instead of waiting minutes,
and waits on the trigger's ``nextFireAt`` (advanced in the transaction that records the
slot's execution) before counting executions.
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from conveyor_runner.control import cron_schedule
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.ids import to_iso
from conveyor_runner.testing.clock import FakeClock
from tests.runner.api.conftest import Api
from tests.runner.api.triggers_support import executions_of, service
from tests.runner.planes import planes_on

T0 = datetime(2031, 1, 1, 0, 0, 30, tzinfo=timezone.utc)


def at(minutes: int, seconds: int = 0) -> datetime:
    return datetime(2031, 1, 1, 0, minutes, seconds, tzinfo=timezone.utc)


# ------------------------------------------------------------------ schedule arithmetic

def test_first_slot_respects_start_and_end():
    assert cron_schedule.first_slot("* * * * *", T0, None, None) == to_iso(at(1))
    assert cron_schedule.first_slot("*/5 * * * *", T0, to_iso(at(10)), None) == to_iso(at(10))
    assert cron_schedule.first_slot("0 2 * * *", T0, None, to_iso(at(30))) is None


def test_slots_until_counts_every_due_slot():
    assert cron_schedule.slots_until("* * * * *", to_iso(at(1)), at(1)) == 1
    assert cron_schedule.slots_until("* * * * *", to_iso(at(1)), at(10, 5)) == 10
    assert cron_schedule.slot_after("* * * * *", at(10, 5), None) == to_iso(at(11))
    assert cron_schedule.slot_after("* * * * *", at(10, 5), to_iso(at(10, 30))) is None


def test_invalid_cron_quotes_the_string():
    with pytest.raises(InvalidInputError, match=r"spec.cron: invalid cron string '0 25 \* \* \*'"):
        cron_schedule.check("0 25 * * *", "spec.cron")


# ------------------------------------------------------------------------ live planes

@pytest.fixture(params=["sqlite", "postgres"])
def planes(request, tmp_path):
    with planes_on(request, tmp_path, FakeClock(T0)) as running:
        yield running


def _cron_trigger(api: Api, **spec) -> dict:
    project = api.ok("post", "/projects", data={"name": f"cron-{secrets.token_hex(3)}"})
    svc = service(api, project["id"])
    return api.ok("post", "/triggers", json={
        "type": "Cron", "projectId": project["id"], "name": "every-minute",
        "spec": {"cron": "* * * * *", "input": {"report": "minutely"},
                 "operation": {"type": "function", "serviceId": svc["id"],
                               "functionName": "nightly"}, **spec}})


def _wait_next(api: Api, trigger_id: str, expected: datetime | None) -> None:
    want = to_iso(expected) if expected else None
    deadline = time.monotonic() + 30
    while api.ok("get", f"/triggers/{trigger_id}")["nextFireAt"] != want:
        assert time.monotonic() < deadline, f"nextFireAt never became {want}"
        time.sleep(0.02)


def _slots(api: Api, trigger_id: str) -> list[str]:
    return [e["eventContext"]["body"]["slot"] for e in executions_of(api, trigger_id)]


def test_every_minute_across_a_restart_runs_each_slot_once(planes):
    first, api = planes.start()
    trigger = _cron_trigger(api)
    assert trigger["nextFireAt"] == to_iso(at(1))
    planes.clock.set(at(1))
    _wait_next(api, trigger["id"], at(2))
    planes.clock.set(at(1, 30))
    planes.stop(first)  # the control plane goes down in the middle of the window ...
    planes.clock.set(at(2, 10))  # ... while the 00:02 slot passes
    _second, api = planes.start()
    _wait_next(api, trigger["id"], at(3))  # the missed slot runs once on start-up
    planes.clock.set(at(3))
    _wait_next(api, trigger["id"], at(4))
    assert _slots(api, trigger["id"]) == [to_iso(at(m)) for m in (1, 2, 3)]
    (first_run, *_rest) = executions_of(api, trigger["id"])
    context = first_run["eventContext"]
    assert first_run["triggerId"] == trigger["id"] and first_run["input"] == {
        "report": "minutely"}
    assert (context["type"], context["resource"], context["resourceId"]) == (
        "cron", "Cron", trigger["id"])
    assert context["body"]["missedSlots"] == 0


def test_a_long_outage_runs_once_on_start_up_not_once_per_slot(planes):
    first, api = planes.start()
    trigger = _cron_trigger(api)
    planes.stop(first)
    planes.clock.set(at(10, 5))  # slots 00:01 .. 00:10 all passed while down
    _second, api = planes.start()
    _wait_next(api, trigger["id"], at(11))
    (run,) = executions_of(api, trigger["id"])
    assert run["eventContext"]["body"]["slot"] == to_iso(at(1))
    assert run["eventContext"]["body"]["missedSlots"] == 9


def test_two_control_planes_never_run_a_slot_twice(planes):
    (_a, api), (b, _api_b) = planes.start(), planes.start()
    trigger = _cron_trigger(api)
    for minute in range(1, 6):
        planes.clock.set(at(minute))
        # Both schedulers wake on the clock; add racing ticks from both planes too.
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda plane: plane.cron.tick(), [
                thread.prepared.state.plane for thread in planes.running] * 3))
        _wait_next(api, trigger["id"], at(minute + 1))
    assert _slots(api, trigger["id"]) == [to_iso(at(m)) for m in range(1, 6)]
    assert b.prepared.state.plane.cron.tick() == []


def test_end_at_stops_the_schedule_and_inactive_triggers_skip_their_downtime(planes):
    _plane, api = planes.start()
    trigger = _cron_trigger(api, endAt=to_iso(at(2, 30)))
    for minute in (1, 2):
        planes.clock.set(at(minute))
        _wait_next(api, trigger["id"], at(minute + 1) if minute == 1 else None)
    planes.clock.set(at(5, 30))
    assert len(executions_of(api, trigger["id"])) == 2
    other = _cron_trigger(api)  # created at 00:05:30 -> first slot 00:06
    api.ok("patch", f"/triggers/{other['id']}", json={"active": False})
    planes.clock.set(at(9, 30))
    reactivated = api.ok("patch", f"/triggers/{other['id']}", json={"active": True})
    assert reactivated["nextFireAt"] == to_iso(at(10))  # not a run for 00:06 .. 00:09
    planes.clock.set(at(10))
    _wait_next(api, other["id"], at(11))
    assert _slots(api, other["id"]) == [to_iso(at(10))]


def test_skip_policy_drops_a_late_slot(planes):
    plane, api = planes.start()
    scheduler = plane.prepared.state.plane.cron
    scheduler.missed_runs = "skip"
    trigger = _cron_trigger(api)
    planes.clock.set(at(1) + timedelta(minutes=5))
    _wait_next(api, trigger["id"], at(7))
    assert executions_of(api, trigger["id"]) == []
