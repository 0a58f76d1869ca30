"""Trigger REST API: create/get/update/delete/clone, /query/faas, validation errors."""

from __future__ import annotations

import copy
import secrets

import pytest

from tests.runner.api.triggers_support import event_trigger, service


@pytest.fixture
def svc(api, project) -> dict:
    return service(api, project["id"])


def _body(svc: dict, **spec) -> dict:
    return {"type": "Event", "projectId": svc["projectId"], "name": "t",
            "spec": {"resource": "Item", "actions": ["Created"], "filter": {},
                     "executionMode": "Once", "input": {},
                     "operation": {"type": "function", "serviceId": svc["id"],
                                   "functionName": "run"}, **spec}}


def test_create_answers_the_dtlpy_trigger_json(api, svc):
    created = api.ok("post", "/triggers", json={
        "type": "Event", "projectId": svc["projectId"], "active": True,
        "spec": {"operation": {"type": "function", "serviceId": svc["id"]}}})
    assert created["name"] == svc["name"]  # dtlpy's default: the service's name
    assert created["spec"] == {
        "filter": {}, "resource": "Item", "actions": ["Created"], "executionMode": "Once",
        "input": {}, "operation": {"type": "function", "serviceId": svc["id"],
                                   "functionName": "run"}}
    assert created["url"].endswith(f"/triggers/{created['id']}")
    for key in ("creator", "createdAt", "updatedAt", "projectId", "scope", "active", "type"):
        assert created[key] is not None
    assert api.ok("get", f"/triggers/{created['id']}") == created


def test_update_merges_spec_and_keeps_the_rest(api, svc):
    trigger = event_trigger(api, svc)
    updated = api.ok("patch", f"/triggers/{trigger['id']}", json={
        **trigger, "name": "renamed", "active": False,
        "spec": {**trigger["spec"], "actions": ["Updated", "Deleted"],
                 "executionMode": "Always", "filter": {"dir": "/x"}}})
    assert (updated["name"], updated["active"]) == ("renamed", False)
    assert updated["spec"]["actions"] == ["Updated", "Deleted"]
    assert updated["spec"]["filter"] == {"dir": "/x"}
    assert updated["updatedAt"] >= trigger["updatedAt"]
    partial = api.ok("patch", f"/triggers/{trigger['id']}", json={"spec": {"resource": "Item"}})
    assert partial["spec"]["executionMode"] == "Always" and partial["name"] == "renamed"


def test_delete_then_404_and_other_users_see_nothing(api, other_api, svc):
    trigger = event_trigger(api, svc)
    assert other_api.call("get", f"/triggers/{trigger['id']}").status_code == 404
    assert other_api.call("delete", f"/triggers/{trigger['id']}").status_code == 404
    page = other_api.ok("post", "/query/faas", json={"resource": "triggers", "filter": {}})
    assert trigger["id"] not in [t["id"] for t in page["items"]]
    api.ok("delete", f"/triggers/{trigger['id']}")
    assert api.call("get", f"/triggers/{trigger['id']}").status_code == 404


def test_clone_copies_into_the_same_project(api, svc):
    trigger = event_trigger(api, svc, mode="Always", filter={"dir": "/a"})
    copy = api.ok("post", f"/triggers/{trigger['id']}/clone",
                  json={"projectId": svc["projectId"], "name": "copy"})
    assert copy["id"] != trigger["id"] and copy["name"] == "copy"
    assert copy["spec"] == trigger["spec"] and copy["templateTriggerId"] == trigger["id"]
    other = api.ok("post", "/projects", data={"name": f"p-{secrets.token_hex(4)}"})
    reply = api.call("post", f"/triggers/{trigger['id']}/clone", json={"projectId": other["id"]})
    assert reply.status_code == 400 and reply.json()["field"] == "projectId"


def test_query_faas_lists_triggers_by_project_service_and_spec(api, svc, project):
    first = event_trigger(api, svc, name="first")
    second = event_trigger(api, svc, name="second", resource="Dataset", function="on_dataset")
    def query(*clauses):
        return [t["id"] for t in api.ok("post", "/query/faas", json={
            "resource": "triggers", "filter": {"$and": list(clauses)},
            "sort": {"createdAt": "ascending"}, "page": 0, "pageSize": 100})["items"]]
    assert query({"projectId": project["id"]}) == [first["id"], second["id"]]
    assert query({"spec.operation.serviceId": svc["id"]}) == [first["id"], second["id"]]
    assert query({"spec.resource": "Dataset"}, {"projectId": project["id"]}) == [second["id"]]
    assert query({"name": "first"}, {"projectId": project["id"]}) == [first["id"]]


def test_naming_endpoint_checks_trigger_names(api):
    assert api.call("get", "/piper-misc/naming/triggers/ok-name").status_code == 200
    assert api.call("get", "/piper-misc/naming/triggers/Bad_Name").status_code == 400


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"type": "Webhook"}, "type", "Webhook"),
    ({"spec": {"resource": "Pixel"}}, "spec.resource", "Pixel"),
    ({"spec": {"actions": ["Created", "Exploded"]}}, "spec.actions[1]", "Exploded"),
    ({"spec": {"executionMode": "Twice"}}, "spec.executionMode", "Twice"),
    ({"spec": {"filter": {"size": {"$near": 3}}}}, "spec.filter", "$near"),
    ({"spec": {"filter": "dir = /a"}}, "spec.filter", "object"),
    ({"spec": {"operation": {"type": "webhook", "webhookId": "w"}}}, "spec.operation.type",
     "webhook"),
    ({"spec": {"operation": {"type": "function", "serviceId": "0" * 24}}},
     "spec.operation.serviceId", "not found"),
    ({"spec": {"operation": {"type": "function", "serviceId": "SVC", "functionName": "nope"}}},
     "spec.operation.functionName", "nope"),
    ({"spec": {"operation": {"type": "function", "serviceId": "SVC", "functionName": "plain"}}},
     "spec.operation.functionName", "type Item"),
    ({"spec": {"operation": {"type": "function", "serviceId": "SVC",
                             "functionName": "tagged"}}}, "spec.input.tag", "required"),
    ({"spec": {"input": {"tag": 5}, "operation": {"type": "function", "serviceId": "SVC",
                                                  "functionName": "tagged"}}},
     "spec.input.tag", "String"),
    ({"name": "Not Valid"}, "name", "Not Valid"),
    ({"active": "yes"}, "active", "true or false"),
    ({"projectId": None}, "projectId", "required"),
])
def test_bad_event_triggers_are_400_naming_the_field(api, svc, change, field, words):
    body, change = _body(svc), copy.deepcopy(change)
    spec = change.pop("spec", {})
    if "operation" in spec:
        spec["operation"] = {**spec["operation"], "serviceId": spec["operation"].get(
            "serviceId", "").replace("SVC", svc["id"])}
    body = {**body, **change, "spec": {**body["spec"], **spec}}
    reply = api.call("post", "/triggers", json=body)
    assert reply.status_code == 400, reply.text
    assert reply.json()["field"] == field
    assert words in reply.json()["message"]


def test_a_service_of_another_project_is_refused(api, svc):
    other = api.ok("post", "/projects", data={"name": f"p-{secrets.token_hex(4)}"})
    reply = api.call("post", "/triggers", json={**_body(svc), "projectId": other["id"]})
    assert reply.status_code == 400
    assert reply.json()["field"] == "spec.operation.serviceId"


@pytest.mark.parametrize(("cron", "why"), [
    ("61 * * * *", "out of range"),
    ("* * *", "5 fields"),
    ("* * * * * *", "5 fields"),
    ("every day", "5 fields"),
    ("a b c d e", "not acceptable"),
])
def test_invalid_cron_strings_are_refused_quoting_the_string(api, svc, cron, why):
    reply = api.call("post", "/triggers", json={
        "type": "Cron", "projectId": svc["projectId"],
        "spec": {"cron": cron, "input": {"report": "r"},
                 "operation": {"type": "function", "serviceId": svc["id"],
                               "functionName": "nightly"}}})
    assert reply.status_code == 400
    body = reply.json()
    assert body["field"] == "spec.cron" and repr(cron) in body["message"] and why in body["message"]


def test_cron_trigger_json_and_schedule_fields(api, svc):
    created = api.ok("post", "/triggers", json={
        "type": "Cron", "projectId": svc["projectId"], "name": "nightly",
        "spec": {"cron": "0 2 * * *", "startAt": "2031-01-01T00:00:00Z",
                 "endAt": "2031-02-01T00:00:00.000Z", "input": {"report": "r"},
                 "operation": {"type": "function", "serviceId": svc["id"],
                               "functionName": "nightly"}}})
    assert created["type"] == "Cron"
    assert created["spec"]["startAt"] == "2031-01-01T00:00:00.000Z"
    assert created["nextFireAt"] == "2031-01-01T02:00:00.000Z"
    paused = api.ok("patch", f"/triggers/{created['id']}", json={**created, "active": False})
    assert paused["nextFireAt"] is None
    bad = api.call("post", "/triggers", json={**created, "spec": {
        **created["spec"], "endAt": "2030-01-01T00:00:00Z"}})
    assert bad.status_code == 400 and bad.json()["field"] == "spec.endAt"
    type_change = api.call("patch", f"/triggers/{created['id']}", json={"type": "Event"})
    assert type_change.status_code == 400 and type_change.json()["field"] == "type"
