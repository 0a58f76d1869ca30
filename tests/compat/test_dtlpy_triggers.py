"""dtlpy 1.126.5 against Conveyor: event and cron triggers of a service.

The service runs no replica: the trigger's executions are read from the ledger.
"""

from __future__ import annotations

import json
import time

import pytest

pytestmark = pytest.mark.compat

MAIN = '''
import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, item):
        return item.id

    def nightly(self, report="daily"):
        return report
'''

PACKAGE = {
    "name": "{name}",
    "modules": [{
        "name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
        "initInputs": [],
        "functions": [
            {"name": "run", "input": [{"name": "item", "type": "Item"}], "output": []},
            {"name": "nightly", "input": [{"name": "report", "type": "String"}], "output": []},
        ],
    }],
}


def test_dtlpy_creates_lists_updates_and_fires_triggers(dtlpy_client, unique_name, tmp_path,
                                                       monkeypatch):
    monkeypatch.chdir(tmp_path)  # dtlpy keeps checkout state in ./.dataloop
    dl = dtlpy_client
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "main.py").write_text(MAIN)
    (folder / "package.json").write_text(json.dumps({**PACKAGE, "name": unique_name}))
    project = dl.projects.create(project_name=unique_name)
    package = project.packages.push(package_name=unique_name, src_path=str(folder))
    service = package.deploy(service_name=unique_name,
                             runtime=dl.KubernetesRuntime(num_replicas=0))
    dataset = project.datasets.create(dataset_name="d")

    trigger = service.triggers.create(
        name="incoming", filters=dl.Filters(field="dir", values="/in"),
        actions=dl.TriggerAction.CREATED, execution_mode=dl.TriggerExecutionMode.ALWAYS)
    assert isinstance(trigger, dl.entities.Trigger) and trigger.service_id == service.id
    cron = service.triggers.create(trigger_type=dl.TriggerType.CRON, name="nightly",
                                   function_name="nightly", cron="0 2 * * *",
                                   inputs={"report": "r"})
    assert isinstance(cron, dl.entities.CronTrigger) and cron.cron == "0 2 * * *"
    assert sorted(t.name for t in service.triggers.list().all()) == ["incoming", "nightly"]
    assert service.triggers.get(trigger_name="incoming").id == trigger.id

    (tmp_path / "a.txt").write_text("a")
    item = dataset.items.upload(local_path=str(tmp_path / "a.txt"), remote_path="/in")
    execution = _first_execution(dl, service, trigger.id)
    assert execution.input == {"item": {"item_id": item.id, "dataset_id": dataset.id}}

    trigger.active = False
    updated = trigger.update()
    assert updated.active is False and updated.filters == trigger.filters
    assert cron.delete() is True
    assert [t.name for t in service.triggers.list().all()] == ["incoming"]
    with pytest.raises(dl.exceptions.BadRequest):
        service.triggers.create(trigger_type=dl.TriggerType.CRON, function_name="nightly",
                                cron="61 * * * *", inputs={"report": "r"})


def _first_execution(dl, service, trigger_id: str):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = [e for e in service.executions.list().all() if e.trigger_id == trigger_id]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError("the trigger created no execution")
