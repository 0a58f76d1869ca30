"""Repositories send dtlpy's wire requests (paths, encodings, bodies) and build entities."""

import json
import subprocess
import sys

import pytest

import conveyor as dl
from conveyor import exceptions
from tests.sdk.http_stub import Reply, client, stub  # noqa: F401

PID, DID = "5f00000000000000000000a1", "5f00000000000000000000d1"
PROJECT = {"id": PID, "name": "my project", "org": {"id": "o"}}


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # checkout state lands in ./.conveyor/state.json


def test_import_does_no_work(tmp_path):
    home = tmp_path / "never-created"
    code = "import conveyor as dl; print(repr(dl.client_api), dl.Project, dl.items, dl.Item)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"CONVEYOR_HOME": str(home), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert out.stdout.startswith("ApiClient(<unresolved>)")
    assert not home.exists() and not (tmp_path / ".conveyor").exists()


def test_project_create_is_form_encoded_and_get_by_name_quotes_it(stub, client):  # noqa: F811
    stub.route("POST", "/api/v1/projects", Reply(200, PROJECT))
    stub.route("GET", "/api/v1/projects/my%20project/name", Reply(200, [PROJECT]))
    projects = dl.Projects(client)
    created = projects.create("my project")
    sent = stub.sent("POST")[0]
    assert sent.body == b"name=my+project"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert created.id == PID and created.name == "my project"
    assert projects.get(project_name="my project").id == PID


def test_project_get_by_name_distinguishes_none_and_many(stub, client):  # noqa: F811
    stub.route("GET", "/api/v1/projects/none/name", Reply(200, []))
    stub.route("GET", "/api/v1/projects/two/name", Reply(200, [PROJECT, PROJECT]))
    with pytest.raises(exceptions.NotFound):
        dl.Projects(client).get(project_name="none")
    with pytest.raises(exceptions.BadRequest, match="More than one"):
        dl.Projects(client).get(project_name="two")


def test_project_get_by_id_turns_any_failure_into_not_found(stub, client):  # noqa: F811
    stub.route("GET", f"/api/v1/projects/{PID}", Reply(403, {"message": "not a member"}))
    with pytest.raises(exceptions.NotFound, match="not a member"):
        dl.Projects(client).get(project_id=PID)


def test_project_delete_needs_sure_and_really(stub, client):  # noqa: F811
    stub.route("DELETE", f"/api/v1/projects/{PID}", Reply(200, {}))
    projects = dl.Projects(client)
    with pytest.raises(exceptions.Forbidden):
        projects.delete(project_id=PID, sure=True)
    assert stub.sent() == []
    assert projects.delete(project_id=PID, sure=True, really=True) is True


def test_members_use_the_email_path_and_role_values(stub, client):  # noqa: F811
    stub.route("POST", rf"/api/v1/projects/{PID}/members/(.+)", Reply(200, {"ok": 1}))
    stub.route(
        "GET",
        rf"/api/v1/projects/{PID}/members",
        Reply(
            200,
            [
                {"id": "1", "email": "a@x.io", "role": "owner"},
                {"id": "2", "email": "b@x.io", "role": "engineer"},
            ],
        ),
    )
    project = dl.Project.from_json(PROJECT, client)
    project.add_member("b@x.io", dl.MemberRole.DEVELOPER)
    assert stub.sent("POST")[0].path == f"/api/v1/projects/{PID}/members/b@x.io"
    assert stub.sent("POST")[0].json == {"role": "engineer"}
    owners = project.list_members(role=dl.MemberRole.OWNER)
    assert [m.email for m in owners] == ["a@x.io"] and isinstance(owners[0], dl.User)
    with pytest.raises(ValueError, match="role"):
        project.add_member("c@x.io", role="boss")


def test_checkout_feeds_the_default_datasets_repository(stub, client, tmp_path):  # noqa: F811
    project = dl.Project.from_json(PROJECT, client)
    project.checkout()
    state = json.loads((tmp_path / ".conveyor" / "state.json").read_text())
    assert state["project"]["id"] == PID
    assert dl.Datasets(client).project.id == PID


def test_dataset_create_and_list_send_project_context(stub, client):  # noqa: F811
    dataset = {"id": DID, "name": "ds", "projects": [PID]}
    stub.route("POST", "/api/v1/datasets", Reply(200, dataset))
    pages = iter(
        [{"items": [dataset], "hasNextPage": True}, {"items": [dataset], "hasNextPage": False}]
    )
    stub.route("POST", "/api/v1/datasets/query", lambda r, m: Reply(200, next(pages)))
    datasets = dl.Project.from_json(PROJECT, client).datasets
    created = datasets.create(
        "ds", expiration_options=dl.ExpirationOptions(7), index_driver=dl.IndexDriver.V2
    )
    assert stub.sent("POST", "/api/v1/datasets")[0].json == {
        "name": "ds",
        "projects": [PID],
        "createDefaultRecipe": True,
        "expirationOptions": {"itemMaxDays": 7},
        "indexDriver": "v2",
    }
    assert created.project.name == "my project"  # the repository's project, no request
    listed = datasets.list(name="ds")
    queries = [r.json for r in stub.sent("POST", "/api/v1/datasets/query")]
    assert [q["page"] for q in queries] == [0, 1] and len(listed) == 2
    assert queries[0]["context"] == {"projects": [PID]} and queries[0]["resource"] == "datasets"
    assert {"name": "ds"} in queries[0]["filter"]["$and"]


def test_dataset_get_by_name_requires_exactly_one(stub, client):  # noqa: F811
    stub.route("POST", "/api/v1/datasets/query", Reply(200, {"items": [], "hasNextPage": False}))
    with pytest.raises(exceptions.NotFound, match="ds"):
        dl.Project.from_json(PROJECT, client).datasets.get(dataset_name="ds")


def test_binaries_lookup_asks_for_system_space(stub, client):  # noqa: F811
    binaries = {"id": DID, "name": "Binaries", "projects": [PID]}
    stub.route(
        "POST", "/api/v1/datasets/query", Reply(200, {"items": [binaries], "hasNextPage": False})
    )
    found = dl.Project.from_json(PROJECT, client).datasets._get_binaries_dataset()
    body = stub.sent("POST")[0].json
    assert found.name == "Binaries" and body["systemSpace"] is True
    assert body["filter"]["$and"] == [{"name": "Binaries"}]


def test_item_update_patches_only_the_diff(stub, client):  # noqa: F811
    item_json = {
        "id": "i1",
        "datasetId": DID,
        "filename": "/a.txt",
        "metadata": {"user": {"x": 1}, "system": {"size": 1}},
    }
    stub.route(
        "PATCH",
        "/api/v1/items/i1",
        lambda r, m: Reply(
            200, {**item_json, "metadata": {"user": {"x": 2}, "system": {"size": 1}}}
        ),
    )
    item = dl.Item.from_json(item_json, client)
    assert item.update() is item and stub.sent() == []  # nothing changed, nothing sent
    item.metadata["user"]["x"] = 2
    updated = item.update(system_metadata=True)
    sent = stub.sent("PATCH")[0]
    assert sent.json == {"metadata": {"user": {"x": 2}}} and sent.query == {"system": ["true"]}
    assert updated.metadata["user"]["x"] == 2


def test_items_get_by_filepath_and_bulk_delete(stub, client):  # noqa: F811
    found = {
        "items": [{"id": "i1", "filename": "/dir/a.txt", "datasetId": DID}],
        "totalItemsCount": 1,
    }
    stub.route("POST", f"/api/v1/datasets/{DID}/query", Reply(200, found))
    items = dl.Items(client, dataset_id=DID)
    assert items.get(filepath="dir/a.txt").id == "i1"
    query = stub.sent("POST")[0].json
    assert query["filter"]["$and"] == [{"filename": "/dir/a.txt"}, {"type": "file"}]
    assert items.delete(filters={"filter": {"$and": [{"dir": "/dir"}]}}) is True
    delete = stub.sent("POST")[1].json
    assert delete["delete"] is True and "page" not in delete and "pageSize" not in delete


def test_make_dir_is_form_encoded(stub, client):  # noqa: F811
    stub.route("POST", f"/api/v1/datasets/{DID}/items", Reply(200, {"id": "d", "type": "dir"}))
    assert dl.Items(client, dataset_id=DID).make_dir("/new").type == "dir"
    assert stub.sent("POST")[0].body == b"type=dir&path=%2Fnew"


def test_item_clone_waits_on_the_command_url_and_fetches_the_copy(stub, client):  # noqa: F811
    command = {
        "id": "c1",
        "status": "created",
        "progress": 0,
        "url": f"{stub.url}/api/v1/commands/c1",
    }
    polls = iter(
        [{**command, "status": "success", "progress": 100, "spec": {"returnedModelId": ["i2"]}}]
    )
    stub.route("POST", "/api/v1/items/i1/clone", Reply(200, command))
    stub.route("GET", "/api/v1/commands/c1", lambda r, m: Reply(200, next(polls)))
    stub.route("GET", "/api/v1/items/i2", Reply(200, {"id": "i2", "filename": "/copy.txt"}))
    client.verbose.disable_progress_bar = True
    items = dl.Items(client, dataset_id=DID)
    copy = items.clone(item_id="i1", dst_dataset_id=DID, remote_filepath="/copy.txt")
    assert copy.id == "i2"
    assert stub.sent("POST")[0].json["cloneDatasetParams"] == {
        "withItemsAnnotations": True,
        "withMetadata": True,
        "withTaskAnnotationsStatus": False,
    }
    assert len(stub.sent("GET", "/api/v1/commands/c1")) == 1  # polled via the url's path


def test_command_wait_raises_failed_dependency_and_timeout(stub, client):  # noqa: F811
    client.verbose.disable_progress_bar = True
    stub.route(
        "GET",
        "/api/v1/commands/bad",
        Reply(200, {"id": "bad", "status": "failed", "progress": 10, "error": "disk full"}),
    )
    stub.route(
        "GET",
        "/api/v1/commands/slow",
        Reply(200, {"id": "slow", "status": "in-progress", "progress": 10}),
    )
    commands = dl.Commands(client)
    polls = iter(["in-progress", "in-progress", "success"])
    stub.route(
        "GET",
        "/api/v1/faas/c2",
        lambda r, m: Reply(200, {"id": "c2", "status": next(polls), "progress": 1}),
    )
    done = dl.Command.from_json(
        {"id": "c2", "status": "created", "url": f"{stub.url}/api/v1/faas/c2"}, client
    ).wait(step=0.01)
    assert done.status == "success" and len(stub.sent("GET", "/api/v1/faas/c2")) == 3
    with pytest.raises(exceptions.FailedDependency, match="disk full"):
        commands.wait("bad")
    with pytest.raises(TimeoutError, match="slow"):
        commands.wait("slow", timeout=0.3, step=0.05)


def test_bots_create_is_deprecated_and_sends_nothing(stub, client):  # noqa: F811
    assert dl.Project.from_json(PROJECT, client).bots.create(name="b") is None
    assert stub.sent() == []


SID = "5f00000000000000000000e1"


def _execution(status: str, output=None) -> dict:
    return {"id": "x1", "serviceId": SID, "output": output,
            "latestStatus": {"status": status}}


def test_a_sync_execute_of_a_short_execution_is_one_request(stub, client):  # noqa: F811
    stub.route("POST", f"/api/v1/executions/{SID}", Reply(200, _execution("success", 7)))
    executions = dl.Executions(client)
    output = executions.create(service_id=SID, execution_input={"value": 7}, sync=True,
                               return_output=True)
    assert output == 7
    (post,) = stub.sent()
    assert post.method == "POST" and post.query == {"wait": ["2"]}
    assert post.json["input"] == {"value": 7}


def test_a_sync_execute_running_past_the_posts_wait_goes_on(stub, client):  # noqa: F811
    stub.route("POST", f"/api/v1/executions/{SID}", Reply(200, _execution("in-progress")))
    polls = iter([_execution("in-progress"), _execution("failed")])
    stub.route("GET", "/api/v1/executions/x1", lambda r, m: Reply(200, next(polls)))
    executions = dl.Executions(client)
    finished = executions.create(service_id=SID, sync=True, timeout=100)
    assert finished.latest_status["status"] == "failed"
    assert [r.method for r in stub.sent()] == ["POST", "GET", "GET"]
    assert stub.sent("POST")[0].query == {"wait": ["2"]}


def test_a_sync_execute_with_a_short_timeout_asks_no_longer_a_wait(stub, client):  # noqa: F811
    stub.route("POST", f"/api/v1/executions/{SID}", Reply(200, _execution("created")))
    stub.route("GET", "/api/v1/executions/x1", Reply(200, _execution("created")))
    with pytest.raises(TimeoutError, match="x1"):
        dl.Executions(client).create(service_id=SID, sync=True, timeout=0.5)
    assert stub.sent("POST")[0].query == {"wait": ["0.5"]}


def test_an_async_execute_asks_no_wait(stub, client):  # noqa: F811
    stub.route("POST", f"/api/v1/executions/{SID}", Reply(200, _execution("created")))
    execution = dl.Executions(client).create(service_id=SID)
    assert execution.id == "x1" and stub.sent("POST")[0].query == {}
