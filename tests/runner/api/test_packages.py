"""Packages: push with server-side code checks, versions, revisions, delete."""

from __future__ import annotations

import copy

import pytest

from tests.runner.api.faas import MAIN_PY, MODULES, deploy, push, upload_codebase


def test_push_get_and_mandatory_inputs(api, project):
    package = push(api, project["id"]).json()
    assert package["version"] == "1.0.0" and package["type"] == "faas"
    echo = package["modules"][0]["functions"][1]
    assert {io["name"]: io["mandatory"] for io in echo["input"]} == {"text": True, "count": False}
    assert api.ok("get", f"/packages/{package['id']}")["name"] == package["name"]


@pytest.mark.parametrize("change, field, words", [
    (lambda m: m[0].update(className="Missing"), "modules[0].className", "Missing"),
    (lambda m: m[0].update(entryPoint="nope.py"), "modules[0].entryPoint", "nope.py"),
    (lambda m: m[0]["functions"][0].update(name="absent"), "modules[0].functions[0].name",
     "absent"),
    (lambda m: m[0]["functions"][0].update(input=[]), "modules[0].functions[0].input", "'item'"),
    (lambda m: m[0]["functions"][1]["input"].append({"name": "extra", "type": "String"}),
     "modules[0].functions[1].input", "'extra'"),
    (lambda m: m[0]["functions"][1]["input"][0].update(type="Str"),
     "modules[0].functions[1].input[0].type", "Str"),
])
def test_push_refuses_code_mismatch_naming_it(api, project, change, field, words):
    modules = copy.deepcopy(MODULES)
    change(modules)
    reply = push(api, project["id"], modules=modules)
    assert reply.status_code == 400, reply.text
    assert reply.json()["field"] == field and words in reply.json()["message"]
    listed = api.ok("post", "/query/faas", json={
        "resource": "packages", "filter": {"$and": [{"projectId": project["id"]}]}})
    assert listed["totalItemsCount"] == 0


def test_bad_names_are_refused(api, project):
    assert push(api, project["id"], name="Bad_Name").json()["field"] == "name"
    assert api.call("get", "/piper-misc/naming/packages/good-name").status_code == 200
    assert api.call("get", "/piper-misc/naming/packages/Bad_Name").status_code == 400


def test_update_with_new_code_bumps_version_and_keeps_revisions(api, project):
    package = push(api, project["id"]).json()
    codebase = upload_codebase(api, project["id"], package["name"],
                               {"main.py": MAIN_PY + "\n# v2\n"})
    updated = api.ok("patch", f"/packages/{package['id']}", json={**package, "codebase": codebase})
    assert updated["version"] == "1.0.1"
    same = api.ok("patch", f"/packages/{package['id']}", json=updated)
    assert same["version"] == "1.0.1"
    revisions = api.ok("get", f"/packages/{package['id']}/revisions")
    assert [r["version"] for r in revisions] == ["1.0.0", "1.0.1"]
    assert revisions[0]["codebase"] == package["codebase"]


def test_delete_refused_while_a_service_uses_it(api, project):
    package = push(api, project["id"]).json()
    service = deploy(api, package)
    assert api.call("delete", f"/packages/{package['id']}").status_code == 409
    api.ok("delete", f"/services/{service['id']}")
    api.ok("delete", f"/packages/{package['id']}")
    assert api.call("get", f"/packages/{package['id']}").status_code == 404


def test_other_users_cannot_see_packages(api, other_api, project):
    package = push(api, project["id"]).json()
    assert other_api.call("get", f"/packages/{package['id']}").status_code == 404
    listed = other_api.ok("post", "/query/faas", json={"resource": "packages"})
    assert package["id"] not in [p["id"] for p in listed["items"]]
