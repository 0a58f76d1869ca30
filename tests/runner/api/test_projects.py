"""Projects: create (form or JSON), get by id and name, list, update, delete, members."""

from __future__ import annotations

import secrets

from tests.runner.api.conftest import Api


def test_create_get_list_by_name(api, project):
    assert api.ok("get", f"/projects/{project['id']}")["name"] == project["name"]
    by_name = api.ok("get", f"/projects/{project['name']}/name")
    assert [p["id"] for p in by_name] == [project["id"]]
    assert project["id"] in [p["id"] for p in api.ok("get", "/projects")]
    assert project["role"] == "owner"


def test_json_body_works_too(api):
    name = f"json-{secrets.token_hex(3)}"
    assert api.ok("post", "/projects", json={"name": name})["name"] == name


def test_duplicate_name_is_409_and_changes_nothing(api, project):
    before = len(api.ok("get", "/projects"))
    reply = api.call("post", "/projects", data={"name": project["name"]})
    assert reply.status_code == 409 and reply.json()["field"] == "name"
    assert len(api.ok("get", "/projects")) == before


def test_missing_name_is_400_naming_the_field(api):
    reply = api.call("post", "/projects", json={})
    assert reply.status_code == 400
    assert reply.json()["field"] == "name"
    assert "name" in reply.json()["message"]


def test_wrong_type_is_400(api):
    reply = api.call("post", "/projects", json={"name": ["a"]})
    assert reply.status_code == 400 and reply.json()["field"] == "name"


def test_each_project_has_one_hidden_binaries_dataset(api, project):
    listed = api.ok("post", "/datasets/query", json={"context": {"projects": [project["id"]]}})
    assert listed["totalItemsCount"] == 0
    system = api.ok("post", "/datasets/query", json={
        "filter": {"$and": [{"name": "Binaries"}]}, "context": {"projects": [project["id"]]},
        "systemSpace": True})
    assert [d["name"] for d in system["items"]] == ["Binaries"]


def test_rename_ignores_unknown_and_null_keys(api, project):
    new_name = project["name"] + "-renamed"
    body = {**project, "name": new_name, "contributors": None, "syncReplyTo ": 1}
    assert api.ok("patch", f"/projects/{project['id']}", json=body)["name"] == new_name


def test_another_users_project_is_404_everywhere(api, other_api, project, dataset):
    for method, path in [("get", f"/projects/{project['id']}"),
                         ("patch", f"/projects/{project['id']}"),
                         ("delete", f"/projects/{project['id']}"),
                         ("get", f"/datasets/{dataset['id']}"),
                         ("post", f"/datasets/{dataset['id']}/query"),
                         ("get", f"/projects/{project['id']}/members")]:
        reply = other_api.call(method, path, json={"name": "x"})
        assert reply.status_code == 404, (method, path)
        assert project["name"] not in reply.text
    assert other_api.ok("get", f"/projects/{project['name']}/name") == []
    assert project["id"] not in [p["id"] for p in other_api.ok("get", "/projects")]
    reply = other_api.call("post", "/datasets", json={"name": "x", "projects": [project["id"]]})
    assert reply.status_code == 404


def test_members_can_be_added_and_then_see_the_project(api, conveyor_server, project):
    email, token = conveyor_server.create_user()
    api.ok("post", f"/projects/{project['id']}/members/{email}", json={"role": "engineer"})
    member = Api(conveyor_server.api_url, token)
    assert member.ok("get", f"/projects/{project['id']}")["role"] == "engineer"
    roles = {m["email"]: m["role"] for m in api.ok("get", f"/projects/{project['id']}/members")}
    assert roles[email] == "engineer" and roles[conveyor_server.admin_email] == "owner"
    assert member.call("delete", f"/projects/{project['id']}").status_code == 403
    api.ok("delete", f"/projects/{project['id']}/members/{email}")
    assert member.call("get", f"/projects/{project['id']}").status_code == 404


def test_delete_removes_everything(api, project, dataset):
    from tests.runner.api.conftest import upload

    item = upload(api, dataset["id"], "/x.txt").json()
    api.ok("delete", f"/projects/{project['id']}")
    assert api.call("get", f"/projects/{project['id']}").status_code == 404
    assert api.call("get", f"/datasets/{dataset['id']}").status_code == 404
    assert api.call("get", f"/items/{item['id']}").status_code == 404
