"""Packages, services and executions through the SDK against a real server (SQLite).

Services are deployed with ``numReplicas: 0``: nothing runs them, so executions stay
queued (``created``) — the agent's end-to-end tests cover running them.
"""

import json
import secrets

import pytest

import conveyor as dl
from conveyor import exceptions
from conveyor.client import ApiClient
from conveyor.runtime import invocation

MAIN_PY = '''
import conveyor as dl


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self, greeting="hello"):
        self.greeting = greeting

    def run(self, item, progress=None):
        return item

    def echo(self, text, count=1):
        return text * count
'''

MODULES = [{"name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
            "functions": [{"name": "run", "input": [{"name": "item", "type": "Item"}]},
                          {"name": "echo", "input": [{"name": "text", "type": "String"},
                                                     {"name": "count", "type": "Integer"}]}]}]
NO_REPLICAS = {"numReplicas": 0}


@pytest.fixture
def api(sqlite_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # checkout state stays in the test's directory
    client = ApiClient(url=sqlite_server.url, token=sqlite_server.token)
    client.verbose.disable_progress_bar = True
    return client


@pytest.fixture
def project(api):
    project = dl.Projects(api).create(f"faas-{secrets.token_hex(4)}")
    yield project
    project.delete(sure=True, really=True)


def package_folder(root, name, modules=MODULES, main=MAIN_PY, extra=None):
    folder = root / name
    folder.mkdir()
    (folder / "main.py").write_text(main)
    (folder / "package.json").write_text(json.dumps({"name": name, "modules": modules,
                                                     **(extra or {})}))
    (folder / "requirements.txt").write_text("six>=1.0\n")
    (folder / ".gitignore").write_text("*.tmp\n")
    (folder / "scratch.tmp").write_text("not shipped")
    return folder


def codebase_versions(project, name):
    binaries = project.datasets._get_binaries_dataset()
    return sorted(i.filename for i in binaries.items.list(
        filters=dl.Filters(field="filename", values=f"/codebases/{name}/*")).all())


@pytest.fixture
def package(project, tmp_path):
    return project.packages.push(src_path=str(package_folder(tmp_path, "echoer")))


@pytest.fixture
def service(package):
    return package.deploy(service_name="echoer", runtime=NO_REPLICAS)


# ----------------------------------------------------------------------- packages
def test_push_stores_the_zip_and_reuses_it_until_the_code_changes(project, tmp_path):
    folder = package_folder(tmp_path, "pusher")
    first = project.packages.push(src_path=str(folder))
    assert (first.name, first.version, first.type) == ("pusher", "1.0.0", "faas")
    assert codebase_versions(project, "pusher") == ["/codebases/pusher/1.zip"]
    assert first.codebase.item.filename == "/codebases/pusher/1.zip"
    assert first.codebase.item.system["md5"]
    assert [r.to_json() for r in first.requirements] == [
        {"name": "six", "version": "1.0", "operator": ">="}]
    run = first.modules[0].functions[0]
    assert run.inputs[0].to_json() == {"name": "item", "type": "Item"}

    again = project.packages.push(src_path=str(folder))
    assert again.id == first.id and again.version == "1.0.0"
    assert again.codebase_id == first.codebase_id
    assert codebase_versions(project, "pusher") == ["/codebases/pusher/1.zip"]

    (folder / "main.py").write_text(MAIN_PY + "\n# changed\n")
    changed = project.packages.push(src_path=str(folder))
    assert changed.id == first.id and changed.version == "1.0.1"
    assert codebase_versions(project, "pusher") == ["/codebases/pusher/1.zip",
                                                    "/codebases/pusher/2.zip"]
    assert [r["version"] for r in changed.revisions] == ["1.0.0", "1.0.1"]
    assert changed.pull(local_path=str(tmp_path / "pulled")) == str(tmp_path / "pulled")
    assert (tmp_path / "pulled" / "main.py").read_text().endswith("# changed\n")
    assert not (tmp_path / "pulled" / "scratch.tmp").exists()
    old = changed.pull(version="1.0.0", local_path=str(tmp_path / "old"))
    assert old == str(tmp_path / "old")
    assert "# changed" not in (tmp_path / "old" / "main.py").read_text()


@pytest.mark.parametrize("main, modules, named", [
    (MAIN_PY.replace("class ServiceRunner", "class Runner"), MODULES, "className"),
    (MAIN_PY.replace("def echo", "def shout"), MODULES, "'echo'"),
    (MAIN_PY.replace("def echo(self, text, count=1)", "def echo(self, text, count, loud)"),
     MODULES, "'loud'"),
])
def test_push_refusals_name_the_problem_and_remove_the_zip(project, tmp_path, main, modules,
                                                           named):
    name = f"bad-{secrets.token_hex(3)}"
    with pytest.raises(exceptions.BadRequest, match=named):
        project.packages.push(src_path=str(package_folder(tmp_path, name, modules, main)))
    assert codebase_versions(project, name) == []
    with pytest.raises(exceptions.NotFound):
        project.packages.get(package_name=name)


def test_get_list_checkout_and_revision_increment(project, package):
    assert project.packages.get(package_id=package.id).name == "echoer"
    assert project.packages.get(package_name="echoer").id == package.id
    assert [p.id for p in project.packages.list().all()] == [package.id]
    package.checkout()
    assert project.packages.get().id == package.id
    bumped = project.packages.update(package=package, revision_increment="minor")
    assert bumped.version == "1.1.0"


# ----------------------------------------------------------------------- services
def test_deploy_creates_then_updates_the_service(package, service):
    assert (service.name, service.package_id, service.package_revision) == (
        "echoer", package.id, "1.0.0")
    assert service.module_name == "default_module" and service.bot
    assert (service.max_attempts, service.execution_timeout, service.on_reset) == (
        3, 3600, "failed")
    assert isinstance(service.runtime, dl.KubernetesRuntime)
    assert (service.runtime.num_replicas, service.runtime.concurrency,
            service.runtime.backend) == (0, 10, "local")
    again = package.deploy(service_name="echoer", execution_timeout=60,
                           runtime=dl.KubernetesRuntime(num_replicas=0, concurrency=4))
    assert again.id == service.id
    assert (again.execution_timeout, again.runtime.concurrency) == (60, 4)
    assert service.package.id == package.id


def test_service_update_pause_resume_status_and_list(project, package, service):
    service.max_attempts = 5
    service.init_input = {"greeting": "hi"}
    updated = service.update()
    assert updated.max_attempts == 5 and updated.init_input == {"greeting": "hi"}
    fetched = project.services.get(service_id=service.id)
    assert fetched.max_attempts == 5
    assert service.pause() is True
    assert project.services.get(service_name="echoer").active is False
    service.resume()
    assert project.services.get(service_id=service.id).active is True
    status = service.status()
    assert status["desired"] == 0 and status["replicas"] == []
    assert [s.id for s in project.services.list().all()] == [service.id]
    assert [s.id for s in package.services.list().all()] == [service.id]
    with pytest.raises(exceptions.BadRequest, match="runtime.backend"):
        package.deploy(service_name="echoer", runtime={"numReplicas": 0, "backend": "mars"})


def test_package_delete_refuses_while_used_then_removes_code(project, package, service):
    with pytest.raises(exceptions.Conflict, match="echoer"):
        package.delete()
    assert codebase_versions(project, "echoer") == ["/codebases/echoer/1.zip"]
    assert service.delete() is True
    assert package.delete() is True
    assert codebase_versions(project, "echoer") == []
    with pytest.raises(exceptions.NotFound):
        project.packages.get(package_id=package.id)


def test_deploy_from_file_pushes_and_deploys_services(project, tmp_path, caplog):
    folder = package_folder(tmp_path, "fromfile", extra={"services": [{
        "name": "fromfile-svc", "moduleName": "default_module", "runtime": NO_REPLICAS,
        "maxAttempts": 2, "packageRevision": "latest",
        "triggers": [{"name": "on-item", "type": "Event"}]}]})
    services, package = project.packages.deploy_from_file(project,
                                                          str(folder / "package.json"))
    assert package.name == "fromfile" and [s.name for s in services] == ["fromfile-svc"]
    assert services[0].max_attempts == 2 and services[0].package_revision == "1.0.0"
    assert [t.name for t in services[0].triggers.list().all()] == ["on-item"]


# ----------------------------------------------------------------------- executions
def count(project):
    return project.executions.list().items_count


@pytest.mark.parametrize("kwargs, named", [
    ({"function_name": "echo", "execution_input": {"text": 5}}, "input.text"),
    ({"function_name": "echo", "execution_input": {"count": 2}}, "input.text"),
    ({"function_name": "run", "item_id": "0" * 24}, "input.item"),
    ({"function_name": "nope", "execution_input": {}}, "functionName"),
])
def test_bad_inputs_are_refused_and_nothing_is_recorded(project, service, kwargs, named):
    with pytest.raises(exceptions.BadRequest, match=named):
        service.execute(**kwargs)
    assert count(project) == 0


def test_execute_records_a_created_execution_that_terminates_while_queued(project, service):
    execution = service.execute(function_name="echo",
                                execution_input=[dl.FunctionIO(type="String", name="text",
                                                               value="ab")])
    assert isinstance(execution, dl.Execution)
    assert execution.latest_status["status"] == "created" and execution.in_progress()
    assert execution.input == {"text": "ab"} and execution.function_name == "echo"
    assert execution.service_id == service.id and execution.project_id == project.id
    fetched = project.executions.get(execution_id=execution.id)
    assert fetched.id == execution.id and fetched.latest_status["status"] == "created"
    assert [e.id for e in service.executions.list().all()] == [execution.id]
    with pytest.raises(TimeoutError):
        execution.wait(timeout=1)
    execution.terminate()
    assert execution.latest_status["status"] == "terminated"
    assert execution.wait(timeout=5).latest_status["status"] == "terminated"
    statuses = [e["status"] for e in dl.executions.__class__(
        service.client_api).get(execution_id=execution.id).status_log]
    assert statuses == ["created", "terminated"]


def test_curl_only_sends_nothing(project, service):
    curl = service.executions.create(function_name="echo", execution_input={"text": "a"},
                                     return_curl_only=True)
    assert curl.startswith("curl -X POST") and f"/executions/{service.id}" in curl
    assert count(project) == 0


# ----------------------------------------------------------------------- invocation
def test_resolve_inputs_fetches_entities_by_id(api, project, package, service):
    dataset = project.datasets.create("data")
    item = dataset.items.upload(local_path=b"hello", remote_name="a.txt")
    declared = [{"name": n, "type": t} for n, t in (
        ("item", "Item"), ("dataset", "Dataset"), ("project", "Project"),
        ("package", "Package"), ("service", "Service"), ("items", "Item[]"))]
    values = {"item": {"item_id": item.id, "dataset_id": None}, "dataset": dataset.id,
              "project": {"id": project.id}, "package": {"package_id": package.id},
              "service": service.id, "items": [item.id, {"item_id": item.id}]}
    kwargs = invocation.resolve_inputs(declared, values, api)
    assert isinstance(kwargs["item"], dl.Item) and kwargs["item"].filename == "/a.txt"
    assert kwargs["dataset"].id == dataset.id and kwargs["project"].name == project.name
    assert isinstance(kwargs["package"], dl.Package) and kwargs["service"].name == "echoer"
    assert [i.id for i in kwargs["items"]] == [item.id, item.id]
    assert invocation.to_output(kwargs["item"]) == {"item_id": item.id}
    with pytest.raises(invocation.InputError, match="^input.item: item 0+ not found"):
        invocation.resolve_inputs(declared, {"item": "0" * 24}, api)


def test_sync_execute_times_out_and_stops_following_logs(service):
    import threading
    import time

    with pytest.raises(TimeoutError):
        service.executions.create(function_name="echo", execution_input={"text": "a"},
                                  sync=True, stream_logs=True, return_output=True, timeout=1)
    deadline = time.monotonic() + 15  # a follow request is held by the server for <= 5 s
    while any(t.name.startswith("logs-") for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the log follower kept polling"
        time.sleep(0.2)


def test_service_log_pages_end_with_stop(service):
    log = service.log(view=False)
    assert isinstance(log, dl.ServiceLog) and log.stop is True and list(log) == []
    assert service.log(view=True) is None


def test_increment_progress_update_and_rerun(service):
    execution = service.execute(function_name="echo", execution_input={"text": "a"})
    assert execution.increment() == 1 and execution.attempts == 1
    running = execution.progress_update(percent_complete=40, message="working")
    assert running.latest_status["status"] == "in-progress"
    assert running.latest_status["percentComplete"] == 40
    done = execution.progress_update(percent_complete=100, output={"echo": "a"})
    assert done.latest_status["status"] == "success" and done.output == {"echo": "a"}
    assert execution.rerun().latest_status["status"] == "created"
    assert execution.attempts == 0 and execution.output is None
    execution.terminate()
    assert execution.latest_status["status"] == "terminated"


def test_execute_batch_creates_one_execution_per_item(project, service):
    dataset = project.datasets.create("batch")
    dataset.items.upload(local_path=[b"1", b"2"], remote_name=["a.txt", "b.txt"])
    command = service.execute_batch(filters=dl.Filters(field="dir", values="/"),
                                    function_name="run")
    assert command.status == "success"
    created = list(service.executions.list().all())
    assert len(created) == 2 and {e.function_name for e in created} == {"run"}
    assert all(set(e.input["item"]) == {"item_id"} for e in created)
