"""Triggers in the SDK: entities offline, then the repository against a real server."""

from __future__ import annotations

import json
import secrets
import time

import pytest

import conveyor as dl
from conveyor import exceptions
from conveyor.client import ApiClient

EVENT_JSON = {
    "id": "t" * 24, "url": "http://x/api/v1/triggers/" + "t" * 24, "name": "on-item",
    "type": "Event", "active": True, "projectId": "p" * 24, "creator": "me@example.com",
    "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
    "scope": "project", "global": False,
    "spec": {"filter": {"$and": [{"dir": "/in"}]}, "resource": "Item",
             "actions": ["Created"], "executionMode": "Once", "input": {"tag": "x"},
             "operation": {"type": "function", "serviceId": "s" * 24, "functionName": "run"}},
}
CRON_JSON = {**EVENT_JSON, "type": "Cron", "nextFireAt": "2031-01-01T02:00:00.000Z", "spec": {
    "cron": "0 2 * * *", "startAt": None, "endAt": None, "input": {"report": "r"},
    "operation": {"type": "function", "serviceId": "s" * 24, "functionName": "nightly"}}}


# ------------------------------------------------------------------------ offline

def test_from_json_reads_spec_into_attributes_and_to_json_rebuilds_it():
    trigger = dl.BaseTrigger.from_json(EVENT_JSON, client_api=None)
    assert isinstance(trigger, dl.Trigger)
    assert (trigger.service_id, trigger.function_name, trigger.input) == (
        "s" * 24, "run", {"tag": "x"})
    assert trigger.filters == {"$and": [{"dir": "/in"}]} and trigger.actions == ["Created"]
    assert trigger.to_json() == EVENT_JSON
    trigger.actions = dl.TriggerAction.UPDATED
    trigger.execution_mode = dl.TriggerExecutionMode.ALWAYS
    trigger.filters = dl.Filters(field="dir", values="/out")
    trigger.function_name = "other"
    spec = trigger.to_json()["spec"]
    assert spec["actions"] == ["Updated"] and spec["executionMode"] == "Always"
    assert {"dir": "/out"} in spec["filter"]["$and"]
    assert spec["operation"]["functionName"] == "other"


def test_cron_trigger_round_trip_and_dtlpy_parsing_rules():
    trigger = dl.BaseTrigger.from_json(CRON_JSON, client_api=None)
    assert isinstance(trigger, dl.CronTrigger)
    assert (trigger.cron, trigger.input, trigger.next_fire_at) == (
        "0 2 * * *", {"report": "r"}, "2031-01-01T02:00:00.000Z")
    assert trigger.to_json()["spec"] == CRON_JSON["spec"]
    with pytest.raises(KeyError):
        dl.CronTrigger.from_json({k: v for k, v in CRON_JSON.items() if k != "id"}, None)
    odd = {**EVENT_JSON, "spec": {**EVENT_JSON["spec"], "operation": {"type": "carrier-pigeon"}}}
    with pytest.raises(exceptions.BadRequest, match="carrier-pigeon"):
        dl.BaseTrigger.from_json(odd, client_api=None)


def test_constructor_takes_the_seed_parameters():
    trigger = dl.Trigger(id="1", url=None, created_at=None, updated_at=None, creator=None,
                         name="n", active=True, type="Event", scope=None, is_global=False,
                         input={}, function_name="run", service_id="s", webhook_id=None,
                         pipeline_id=None, special=None, project_id="p", spec={},
                         operation={}, service=None, project=None, client_api=None,
                         filters={"a": 1}, execution_mode=dl.TriggerExecutionMode.ALWAYS)
    assert trigger.to_json()["spec"] == {
        "filter": {"a": 1}, "executionMode": "Always", "resource": "Item",
        "actions": ["Created"], "input": {},
        "operation": {"type": "function", "serviceId": "s", "functionName": "run"}}
    assert [e.value for e in dl.TriggerResource] == [
        "Item", "Dataset", "Annotation", "Task", "Assignment", "ItemStatus"]
    assert dl.TriggerType.CRON == "Cron" and dl.TriggerAction.CLONE == "Clone"


# ---------------------------------------------------------------------------- live

MAIN_PY = '''
import conveyor as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, item, progress=None):
        return item.id

    def nightly(self, report="daily"):
        return report
'''
MODULES = [{"name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
            "functions": [{"name": "run", "input": [{"name": "item", "type": "Item"}]},
                          {"name": "nightly", "input": [{"name": "report", "type": "String"}]}]}]


@pytest.fixture
def api(sqlite_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    client = ApiClient(url=sqlite_server.url, token=sqlite_server.token)
    client.verbose.disable_progress_bar = True
    return client


@pytest.fixture
def project(api):
    project = dl.Projects(api).create(f"trig-{secrets.token_hex(4)}")
    yield project
    project.delete(sure=True, really=True)


def _folder(root, name, extra=None):
    folder = root / name
    folder.mkdir()
    (folder / "main.py").write_text(MAIN_PY)
    (folder / "package.json").write_text(json.dumps({"name": name, "modules": MODULES,
                                                     **(extra or {})}))
    return folder


@pytest.fixture
def service(project, tmp_path):
    package = project.packages.push(src_path=str(_folder(tmp_path, "watcher")))
    return package.deploy(service_name="watcher", runtime={"numReplicas": 0})


def _executions(service, trigger_id, count):
    for _ in range(600):
        found = [e for e in service.executions.list().all() if e.trigger_id == trigger_id]
        if len(found) >= count:
            break
        time.sleep(0.05)
    assert len(found) == count
    return found


def test_service_triggers_create_fire_update_and_delete(project, service, tmp_path):
    dataset = project.datasets.create(dataset_name="inbox")
    trigger = service.triggers.create(
        name="on-inbox", filters=dl.Filters(field="dir", values="/in"),
        actions=[dl.TriggerAction.CREATED], execution_mode=dl.TriggerExecutionMode.ALWAYS)
    assert isinstance(trigger, dl.Trigger) and trigger.service_id == service.id
    assert trigger.project_id == project.id and trigger.resource == "Item"
    (tmp_path / "a.txt").write_text("a")
    item = dataset.items.upload(local_path=str(tmp_path / "a.txt"), remote_path="/in")
    (execution,) = _executions(service, trigger.id, 1)
    assert execution.input == {"item": {"item_id": item.id, "dataset_id": dataset.id}}
    assert execution.event_context["action"] == "Created"

    trigger.active = False
    trigger.name = "renamed"
    updated = trigger.update()
    assert (updated.active, updated.name) == (False, "renamed")
    assert service.triggers.get(trigger_name="renamed").id == trigger.id
    assert [t.id for t in project.triggers.list().all()] == [trigger.id]
    assert trigger.id in [t.id for t in dl.Triggers(service.client_api).list(
        dl.Filters(resource=dl.FiltersResource.TRIGGER, field="projectId",
                   values=project.id)).all()]
    assert updated.delete() is True
    with pytest.raises(exceptions.NotFound):
        service.triggers.get(trigger_id=trigger.id)


def test_cron_trigger_and_refusals(service):
    cron = service.triggers.create(trigger_type=dl.TriggerType.CRON, name="nightly",
                                   function_name="nightly", cron="0 2 * * *",
                                   start_at="2031-01-01T00:00:00Z", inputs={"report": "r"})
    assert isinstance(cron, dl.CronTrigger) and cron.cron == "0 2 * * *"
    assert cron.next_fire_at == "2031-01-01T02:00:00.000Z"
    with pytest.raises(exceptions.BadRequest, match="'0 2 \\* \\*'"):
        service.triggers.create(trigger_type=dl.TriggerType.CRON, function_name="nightly",
                                cron="0 2 * *", inputs={"report": "r"})
    with pytest.raises(exceptions.BadRequest, match="pipeline"):
        service.triggers.create(pipeline_id="p" * 24)
    with pytest.raises(exceptions.BadRequest, match="spec.resource"):
        service.triggers.create(resource="Pixel")
    copy = cron.clone(project_id=cron.project_id, name="nightly-copy")
    assert copy.name == "nightly-copy" and copy.cron == cron.cron


def test_deploy_from_file_creates_then_updates_declared_triggers(project, tmp_path):
    declared = [{"name": "on-item", "type": "Event", "spec": {
                    "filter": {"dir": "/a"}, "resource": "Item", "actions": ["Created"],
                    "executionMode": "Once", "operation": {"functionName": "run"}}},
                {"name": "nightly", "type": "Cron", "spec": {
                    "cron": "0 2 * * *", "input": {"report": "r"},
                    "operation": {"functionName": "nightly"}}}]
    folder = _folder(tmp_path, "declared", extra={"services": [{
        "name": "declared-svc", "runtime": {"numReplicas": 0}, "triggers": declared}]})
    (svc,), _package = project.packages.deploy_from_file(project, str(folder / "package.json"))
    first = {t.name: t for t in svc.triggers.list().all()}
    assert set(first) == {"on-item", "nightly"}
    assert first["on-item"].filters == {"dir": "/a"}
    assert isinstance(first["nightly"], dl.CronTrigger)

    declared[0]["spec"]["filter"] = {"dir": "/b"}
    (folder / "package.json").write_text(json.dumps({
        "name": "declared", "modules": MODULES, "services": [{
            "name": "declared-svc", "runtime": {"numReplicas": 0}, "triggers": declared}]}))
    (svc,), _package = project.packages.deploy_from_file(project, str(folder / "package.json"))
    second = {t.name: t for t in svc.triggers.list().all()}
    assert {n: t.id for n, t in second.items()} == {n: t.id for n, t in first.items()}
    assert second["on-item"].filters == {"dir": "/b"}
    assert second["nightly"].updated_at == first["nightly"].updated_at  # unchanged: no PATCH
