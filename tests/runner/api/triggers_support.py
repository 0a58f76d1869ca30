"""Helpers for trigger tests: a package with one function per resource, waiting on ledgers."""

from __future__ import annotations

import time

from tests.runner.api.conftest import Api
from tests.runner.api.faas import deploy, push

MAIN_PY = '''
import conveyor as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, item, progress=None):
        return item.id

    def tagged(self, item, tag, progress=None):
        return tag

    def on_dataset(self, dataset):
        return dataset.id

    def on_annotation(self, annotation):
        return annotation.id

    def nightly(self, report="daily"):
        return report

    def plain(self, text):
        return text
'''

MODULES = [{
    "name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
    "initInputs": [],
    "functions": [
        {"name": "run", "input": [{"name": "item", "type": "Item"}]},
        {"name": "tagged", "input": [{"name": "item", "type": "Item"},
                                     {"name": "tag", "type": "String"}]},
        {"name": "on_dataset", "input": [{"name": "dataset", "type": "Dataset"}]},
        {"name": "on_annotation", "input": [{"name": "annotation", "type": "Annotation"}]},
        {"name": "nightly", "input": [{"name": "report", "type": "String"}]},
        {"name": "plain", "input": [{"name": "text", "type": "String"}]},
    ],
}]


def service(api: Api, project_id: str, **fields) -> dict:
    """A deployed service (no replicas) of the trigger test package."""
    reply = push(api, project_id, modules=MODULES, files={"main.py": MAIN_PY})
    assert reply.status_code == 200, reply.text
    return deploy(api, reply.json(), **fields)


def event_trigger(api: Api, service: dict, *, function: str = "run", resource: str = "Item",
                  actions=("Created",), mode: str = "Once", filter: dict | None = None,
                  inputs: dict | None = None, name: str | None = None) -> dict:
    """POST /triggers for an event trigger, as dtlpy sends it."""
    return api.ok("post", "/triggers", json={
        "type": "Event", "active": True, "projectId": service["projectId"],
        "name": name or service["name"],
        "spec": {"filter": filter or {}, "resource": resource, "actions": list(actions),
                 "executionMode": mode, "input": inputs or {},
                 "operation": {"type": "function", "serviceId": service["id"],
                               "functionName": function}}})


def executions_of(api: Api, trigger_id: str) -> list[dict]:
    """Every execution a trigger created, oldest first."""
    page = api.ok("post", "/query/faas", json={
        "resource": "executions", "filter": {"$and": [{"triggerId": trigger_id}]},
        "sort": {"createdAt": "ascending"}, "page": 0, "pageSize": 1000})
    return page["items"]


def wait_for_executions(api: Api, trigger_id: str, count: int, timeout: float = 60) -> list:
    """The trigger's executions once there are ``count`` (fails if more, or too slow)."""
    deadline = time.monotonic() + timeout
    while True:
        found = executions_of(api, trigger_id)
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) == count, f"expected {count} executions, got {len(found)}"
            return found
        time.sleep(0.05)
