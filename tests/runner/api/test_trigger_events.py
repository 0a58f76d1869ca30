"""Event triggers end to end on a real server: changes -> events -> executions in the ledger.

Services have no replicas, so executions stay ``created``: these tests read the ledger.
A second, catch-all ``Always`` trigger serves as a barrier: each event is evaluated for
every trigger in one transaction, so once the barrier has seen an event, every other
trigger has seen it too (no test waits for something *not* to happen).
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor

from tests.runner.api.conftest import upload
from tests.runner.api.triggers_support import (
    event_trigger,
    executions_of,
    service,
    wait_for_executions,
)

UNDER_IN = {"$and": [{"hidden": False}, {"type": "file"}, {"filename": "/in/**"}]}


def _barrier(api, svc, dataset_id: str, actions=("Created",), resource="Item") -> dict:
    field = "id" if resource == "Dataset" else "datasetId"
    return event_trigger(api, svc, actions=actions, mode="Always", resource=resource,
                         filter={field: dataset_id}, name="barrier",
                         function={"Item": "run", "Dataset": "on_dataset",
                                   "Annotation": "on_annotation"}[resource])


def test_folder_filter_runs_each_uploaded_item_under_it_exactly_once(api, project, dataset):
    svc = service(api, project["id"])
    folder = event_trigger(api, svc, filter=UNDER_IN)
    barrier = _barrier(api, svc, dataset["id"])
    paths = [("/in/" if i % 3 == 0 else "/in/sub/" if i % 3 == 1 else "/out/") + f"f{i}.txt"
             for i in range(100)]
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda p: upload(api, dataset["id"], p, b"x"), paths))
    items = {r.json()["filename"]: r.json() for r in replies}
    wait_for_executions(api, barrier["id"], 100)
    found = executions_of(api, folder["id"])
    expected = {i["id"] for name, i in items.items() if name.startswith("/in/")}
    assert len(expected) == 67
    assert sorted(e["input"]["item"]["item_id"] for e in found) == sorted(expected)
    me = api.ok("get", "/users/me")
    for execution in found:
        item = next(i for i in items.values() if i["id"] == execution["input"]["item"]["item_id"])
        assert execution["input"] == {"item": {"item_id": item["id"],
                                               "dataset_id": dataset["id"]}}
        assert execution["triggerId"] == folder["id"]
        assert execution["latestStatus"]["status"] == "created"
        context = execution["eventContext"]
        assert {k: context[k] for k in ("resource", "action", "resourceId", "projectId",
                                        "datasetId", "userId")} == {
            "resource": "Item", "action": "Created", "resourceId": item["id"],
            "projectId": project["id"], "datasetId": dataset["id"], "userId": me["id"]}
        assert context["body"]["filename"] == item["filename"]
        assert context["body"]["metadata"] == item["metadata"]
        assert execution["event"]["body"]["id"] == item["id"]
        assert execution["event"]["event"] == {"action": "Created", "resource": "items"}


def test_once_runs_one_time_per_item_always_every_time(api, project, dataset):
    svc = service(api, project["id"])
    item = upload(api, dataset["id"], "/a.txt").json()
    once = event_trigger(api, svc, actions=("Created", "Updated"), mode="Once", name="once")
    always = event_trigger(api, svc, actions=("Updated",), mode="Always", name="always")
    for value in range(3):
        api.ok("patch", f"/items/{item['id']}", json={"metadata": {"user": {"n": value}}})
    updates = wait_for_executions(api, always["id"], 3)
    assert [e["eventContext"]["body"]["metadata"]["user"]["n"] for e in updates] == [0, 1, 2]
    runs = executions_of(api, once["id"])
    assert len(runs) == 1 and runs[0]["eventContext"]["action"] == "Updated"
    # The item existed before the Once trigger: its Created event does not fire it.
    second = upload(api, dataset["id"], "/b.txt").json()
    api.ok("patch", f"/items/{second['id']}", json={"metadata": {"user": {"n": 9}}})
    wait_for_executions(api, always["id"], 4)
    runs = executions_of(api, once["id"])
    assert [r["input"]["item"]["item_id"] for r in runs] == [item["id"], second["id"]]
    assert runs[1]["eventContext"]["action"] == "Created"


def test_deleted_carries_the_item_as_it_was(api, project, dataset):
    svc = service(api, project["id"])
    trigger = event_trigger(api, svc, actions=("Deleted",), mode="Always")
    item = upload(api, dataset["id"], "/gone/x.txt").json()
    api.ok("patch", f"/items/{item['id']}", json={"metadata": {"user": {"keep": "me"}}})
    api.ok("delete", f"/items/{item['id']}")
    assert api.call("get", f"/items/{item['id']}").status_code == 404
    (execution,) = wait_for_executions(api, trigger["id"], 1)
    assert execution["input"] == {"item": {"item_id": item["id"], "dataset_id": dataset["id"]}}
    body = execution["eventContext"]["body"]
    assert execution["eventContext"]["action"] == "Deleted"
    assert body["id"] == item["id"] and body["filename"] == "/gone/x.txt"
    assert body["metadata"]["user"] == {"keep": "me"}


def test_an_event_never_fires_a_trigger_of_another_project(api, dataset):
    projects = [api.ok("post", "/projects", data={"name": f"p-{secrets.token_hex(4)}"})
                for _ in range(2)]
    datasets = [api.ok("post", "/datasets", json={"name": "d", "projects": [p["id"]]})
                for p in projects]
    services = [service(api, p["id"]) for p in projects]
    triggers = [event_trigger(api, s, mode="Always") for s in services]
    item = upload(api, datasets[1]["id"], "/x.txt").json()
    (execution,) = wait_for_executions(api, triggers[1]["id"], 1)
    assert execution["input"]["item"]["item_id"] == item["id"]
    assert executions_of(api, triggers[0]["id"]) == []


def test_rolled_back_change_emits_nothing(api, project, dataset):
    svc = service(api, project["id"])
    item = upload(api, dataset["id"], "/r.txt").json()
    trigger = event_trigger(api, svc, actions=("Updated",), mode="Always")
    # The move is applied, then the bad metadata fails the request: all rolled back.
    bad = api.call("patch", f"/items/{item['id']}", json={"filename": "/moved.txt",
                                                        "metadata": "not an object"})
    assert bad.status_code == 400
    api.ok("patch", f"/items/{item['id']}", json={"description": "good"})
    (execution,) = wait_for_executions(api, trigger["id"], 1)
    body = execution["eventContext"]["body"]
    assert body["description"] == "good" and body["filename"] == "/r.txt"


def test_dataset_and_annotation_triggers_get_their_resource(api, project, dataset):
    svc = service(api, project["id"])
    on_dataset = event_trigger(api, svc, function="on_dataset", resource="Dataset",
                               actions=("Updated",), filter={"id": dataset["id"]})
    on_annotation = event_trigger(api, svc, function="on_annotation", resource="Annotation",
                                  actions=("Created",), filter={"label": "car"})
    api.ok("patch", f"/datasets/{dataset['id']}", json={"name": "renamed"})
    item = upload(api, dataset["id"], "/i.png").json()
    created = api.ok("post", f"/items/{item['id']}/annotations", json=[
        {"type": "box", "label": "car", "coordinates": [{"x": 1, "y": 2}, {"x": 5, "y": 6}]},
        {"type": "box", "label": "bus", "coordinates": [{"x": 1, "y": 2}, {"x": 5, "y": 6}]}])
    (by_dataset,) = wait_for_executions(api, on_dataset["id"], 1)
    assert by_dataset["input"] == {"dataset": {"dataset_id": dataset["id"]}}
    assert by_dataset["eventContext"]["body"]["name"] == "renamed"
    (by_annotation,) = wait_for_executions(api, on_annotation["id"], 1)
    car = next(a for a in created if a["label"] == "car")
    assert by_annotation["input"] == {"annotation": {
        "annotation_id": car["id"], "item_id": item["id"], "dataset_id": dataset["id"]}}
    assert by_annotation["eventContext"]["body"]["label"] == "car"
    assert by_annotation["event"]["event"] == {"action": "Created", "resource": "annotations"}


def test_spec_input_joins_the_resource_input(api, project, dataset):
    svc = service(api, project["id"])
    trigger = event_trigger(api, svc, function="tagged", inputs={"tag": "fresh"})
    item = upload(api, dataset["id"], "/t.txt").json()
    (execution,) = wait_for_executions(api, trigger["id"], 1)
    assert execution["input"] == {"tag": "fresh", "item": {"item_id": item["id"],
                                                           "dataset_id": dataset["id"]}}
    assert execution["functionName"] == "tagged"


def test_paused_service_keeps_trigger_executions_queued(api, project, dataset):
    svc = service(api, project["id"])
    trigger = event_trigger(api, svc, mode="Always")
    api.ok("post", f"/services/{svc['id']}/stop")
    upload(api, dataset["id"], "/p.txt")
    (execution,) = wait_for_executions(api, trigger["id"], 1)
    status = api.ok("get", f"/services/{svc['id']}/status")
    assert status["status"] == "paused" and status["desired"] == 0
    assert status["queued"] >= 1
    api.ok("post", f"/services/{svc['id']}/resume")
    assert api.ok("get", f"/executions/{execution['id']}")["latestStatus"]["status"] == "created"


def test_inactive_trigger_does_not_fire_until_activated(api, project, dataset):
    svc = service(api, project["id"])
    trigger = event_trigger(api, svc, mode="Always", name="sleeper")
    barrier = _barrier(api, svc, dataset["id"])
    api.ok("patch", f"/triggers/{trigger['id']}", json={**trigger, "active": False})
    upload(api, dataset["id"], "/1.txt")
    wait_for_executions(api, barrier["id"], 1)
    assert executions_of(api, trigger["id"]) == []
    api.ok("patch", f"/triggers/{trigger['id']}", json={"active": True})
    upload(api, dataset["id"], "/2.txt")
    wait_for_executions(api, barrier["id"], 2)
    assert len(executions_of(api, trigger["id"])) == 1


def test_a_trigger_wakes_an_autoscaled_service_from_zero(api, project, dataset):
    svc = service(api, project["id"], runtime={"numReplicas": 0, "autoscaler": {
        "type": "rabbitmq", "minReplicas": 0, "maxReplicas": 1, "queueLength": 10,
        "pollingInterval": 3600, "cooldownPeriod": 3600}})
    try:
        event_trigger(api, svc, mode="Always")
        upload(api, dataset["id"], "/wake.txt")
        for _ in range(600):
            scaling = api.ok("get", f"/services/{svc['id']}/status")["scaling"]
            if scaling:
                break
            time.sleep(0.05)
        # Only the trigger's wake-up could evaluate the autoscaler within its hour-long poll.
        assert scaling[-1]["from"] == 0 and scaling[-1]["to"] == 1
    finally:
        api.ok("delete", f"/services/{svc['id']}")
