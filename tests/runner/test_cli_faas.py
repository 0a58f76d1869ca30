"""``conveyor package|service|execution`` against a live control plane (SQLite).

The CLI runs in this process (``main([...])``); the SDK it uses is logged in to the test
server with ``dl.setenv`` + ``dl.login_token``. Services of the tests that need no
agent are deployed with ``numReplicas: 0`` so that no replica ever runs them; the tests
marked "agent" deploy one replica, which the local compute backend starts.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

import conveyor as dl
from conveyor_runner.cli import main

#: seconds a test waits for an agent-run execution (replica start + run)
AGENT_TIMEOUT = "120"


@pytest.fixture
def cli(sqlite_server, tmp_path, monkeypatch, capsys):
    """Run ``conveyor <argv>`` in-process; returns ``(exit code, stdout, stderr)``."""
    monkeypatch.chdir(tmp_path)  # checkout state and caches stay in the test's folder
    dl.setenv(sqlite_server.url)
    dl.login_token(sqlite_server.token)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def project(cli):
    """A new project, deleted (with its services) after the test."""
    project = dl.projects.create(project_name=f"cli-{secrets.token_hex(4)}")
    yield project
    for page in project.services.list():
        for service in page:
            service.delete()  # stops its replicas now, not at the end of the session
    project.delete(sure=True, really=True)


def generate(cli, folder: Path, template: str = "hello-world", replicas: int | None = 0) -> Path:
    """Generate ``template`` into ``folder`` and return the folder.

    With ``replicas`` set, its service runs that many replicas. With 0, none runs, so no
    agent ever takes its executions.
    """
    code, _, err = cli("package", "generate", "--template", template, "--to", str(folder))
    assert code == 0, err
    if replicas is not None:
        manifest = json.loads((folder / "package.json").read_text())
        manifest["services"][0]["runtime"]["numReplicas"] = replicas
        (folder / "package.json").write_text(json.dumps(manifest))
    return folder


def deploy(cli, folder: Path, project) -> str:
    code, out, err = cli("package", "deploy", "--path", str(folder), "--project", project.name)
    assert code == 0, err
    return out


# ------------------------------------------------------------------------- generate
def test_generate_fills_in_the_name_and_prints_next_steps(cli, tmp_path):
    code, out, _ = cli("package", "generate", "--template", "hello-world", "--name", "greeter",
                       "--to", str(tmp_path / "pkg"))

    assert code == 0
    assert "next steps:" in out and "conveyor package deploy --project" in out
    files = {p.relative_to(tmp_path / "pkg").as_posix() for p in (tmp_path / "pkg").rglob("*")
             if p.is_file()}
    assert {"package.json", "main.py", "mock.json", "requirements.txt", "README.md",
            "tests/test_main.py", ".gitignore"} <= files
    manifest = json.loads((tmp_path / "pkg" / "package.json").read_text())
    assert manifest["name"] == manifest["services"][0]["name"] == "greeter"
    for path in (tmp_path / "pkg").rglob("*"):
        if path.is_file():
            assert "{{package_name}}" not in path.read_text(), path


def test_generate_names_the_package_after_its_folder_if_valid(cli, tmp_path):
    assert cli("package", "generate", "--template", "hello-world",
               "--to", str(tmp_path / "image-tagger"))[0] == 0
    assert cli("package", "generate", "--template", "hello-world",
               "--to", str(tmp_path / "Not_Valid"))[0] == 0

    assert json.loads((tmp_path / "image-tagger" / "package.json").read_text())["name"] \
        == "image-tagger"
    assert json.loads((tmp_path / "Not_Valid" / "package.json").read_text())["name"] \
        == "hello-world"


def test_generate_refuses_to_overwrite_unless_forced(cli, tmp_path):
    folder = generate(cli, tmp_path / "pkg", replicas=None)
    (folder / "main.py").write_text("# mine\n")
    (folder / "README.md").unlink()

    code, _, err = cli("package", "generate", "--template", "hello-world", "--to", str(folder))

    assert code == 1
    assert "--force" in err and len(err.strip().splitlines()) == 1
    assert (folder / "main.py").read_text() == "# mine\n"
    assert not (folder / "README.md").exists()  # all or nothing: no file was written
    assert cli("package", "generate", "--template", "hello-world", "--to", str(folder),
               "--force")[0] == 0
    assert "class ServiceRunner" in (folder / "main.py").read_text()


@pytest.mark.parametrize(("argv", "named"), [
    (["--template", "no-such-template"], "hello-world"),
    (["--template", "hello-world", "--name", "Bad_Name"], "--name"),
])
def test_generate_errors_are_one_line_naming_the_fix(cli, tmp_path, argv, named):
    code, _, err = cli("package", "generate", *argv, "--to", str(tmp_path / "pkg"))

    assert code == 1
    assert err.startswith("error: ") and named in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "pkg").exists()


def test_usage_errors_exit_2(cli):
    with pytest.raises(SystemExit) as exited:
        cli("package", "generate")
    assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        cli("execution", "list", "--project", "p", "--status", "not-a-status")
    assert exited.value.code == 2


def test_templates_lists_every_template(cli):
    code, out, _ = cli("package", "templates")

    assert code == 0
    for name in ("hello-world", "item-processor", "dataset-processor"):
        assert name in out


# ----------------------------------------------------------------------- local test
def test_package_test_prints_the_output_as_json(cli, tmp_path):
    folder = generate(cli, tmp_path / "pkg", replicas=None)

    code, out, _ = cli("package", "test", "--path", str(folder))

    assert code == 0
    assert json.loads(out) == "Hello, Conveyor!"


def test_package_test_reports_a_failing_function_with_its_traceback(cli, tmp_path):
    folder = generate(cli, tmp_path / "pkg", replicas=None)
    main_py = folder / "main.py"
    main_py.write_text(main_py.read_text().replace(
        '        return f"Hello, {name}!"', '        raise RuntimeError("no greeting")'))

    code, out, err = cli("package", "test", "--path", str(folder))

    assert code == 1 and out == ""
    assert "Traceback" in err
    assert err.strip().splitlines()[-1] == \
        "error: the package's code raised RuntimeError: no greeting"


def test_package_test_names_a_missing_mock_input(cli, tmp_path):
    folder = generate(cli, tmp_path / "pkg", replicas=None)
    (folder / "mock.json").write_text(json.dumps({"inputs": []}))

    code, _, err = cli("package", "test", "--path", str(folder))

    assert code == 1 and "input.name" in err and "Traceback" not in err


# ---------------------------------------------------------------------- push, list
def test_push_then_list_shows_each_new_version(cli, tmp_path, project):
    folder = generate(cli, tmp_path / "greeter")

    code, out, _ = cli("package", "push", "--path", str(folder), "--project", project.name)
    assert code == 0 and "pushed package greeter version 1.0.0" in out
    (folder / "main.py").write_text((folder / "main.py").read_text() + "\n# changed\n")
    code, out, _ = cli("package", "push", "--path", str(folder), "--project", project.name)
    assert code == 0 and "version 1.0.1" in out

    code, out, _ = cli("package", "list", "--project", project.name)
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines()[1:]] == [["greeter", "1.0.1"]]


def test_push_refusals_name_the_problem(cli, tmp_path, project):
    code, _, err = cli("package", "push", "--path", str(tmp_path), "--project", project.name)
    assert code == 1 and "--path" in err and "package.json" in err

    folder = generate(cli, tmp_path / "greeter")
    main_py = folder / "main.py"
    main_py.write_text(main_py.read_text().replace("def run(self, name: str,",
                                                   "def run(self, who: str,"))
    code, _, err = cli("package", "push", "--path", str(folder), "--project", project.name)
    assert code == 1 and "'who'" in err and len(err.strip().splitlines()) == 1


def test_push_without_project_asks_for_one(cli, tmp_path):
    folder = generate(cli, tmp_path / "greeter")

    code, _, err = cli("package", "push", "--path", str(folder))

    assert code == 1 and "--project" in err


# -------------------------------------------------------------------------- deploy
def test_deploy_creates_the_services_of_package_json(cli, tmp_path, project):
    folder = generate(cli, tmp_path / "greeter")

    out = deploy(cli, folder, project)

    assert "deployed service greeter" in out
    service = project.services.get(service_name="greeter")
    assert service.package_revision == "1.0.0"
    assert service.runtime.num_replicas == 0 and service.runtime.concurrency == 10
    code, out, _ = cli("service", "list", "--project", project.name)
    assert code == 0 and out.splitlines()[1].split()[:3] == ["greeter", service.id, "1.0.0"]


def test_deploy_of_changed_code_moves_the_service_to_the_new_version(cli, tmp_path, project):
    folder = generate(cli, tmp_path / "greeter")
    deploy(cli, folder, project)
    (folder / "main.py").write_text((folder / "main.py").read_text() + "\n# changed\n")

    out = deploy(cli, folder, project)

    assert "at version 1.0.1" in out
    assert project.services.get(service_name="greeter").package_revision == "1.0.1"


def test_deploy_without_services_deploys_one_named_after_the_package(cli, tmp_path, project):
    folder = generate(cli, tmp_path / "greeter")
    manifest = json.loads((folder / "package.json").read_text())
    del manifest["services"]
    (folder / "package.json").write_text(json.dumps(manifest))

    out = deploy(cli, folder, project)

    assert "deployed service greeter" in out
    assert project.services.get(service_name="greeter").package_revision == "1.0.0"


# ------------------------------------------------------------------------- services
@pytest.fixture
def greeter(cli, tmp_path, project):
    """The hello-world package deployed as service ``greeter`` with no replicas."""
    deploy(cli, generate(cli, tmp_path / "greeter"), project)
    return project.services.get(service_name="greeter")


def test_status_shows_the_service_and_its_desired_replicas(cli, project, greeter):
    code, out, _ = cli("service", "status", "greeter", "--project", project.name)
    assert code == 0
    assert out.startswith(f"service greeter ({greeter.id}): ")
    assert "0/0 replica(s)" in out

    code, out, _ = cli("service", "status", "greeter", "--project", project.name, "--json")
    assert code == 0 and json.loads(out)["desired"] == 0


def test_unknown_service_is_one_line_naming_it(cli, project):
    code, _, err = cli("service", "status", "nope", "--project", project.name)

    assert code == 1 and "'nope'" in err and len(err.strip().splitlines()) == 1


def test_execute_async_prints_the_id_and_get_shows_the_execution(cli, project, greeter):
    code, out, _ = cli("service", "execute", "greeter", "--project", project.name,
                       "--input", '{"name": "Ada"}')
    assert code == 0
    execution_id = out.strip()

    code, out, _ = cli("execution", "get", execution_id)

    assert code == 0
    shown = json.loads(out)
    assert shown["id"] == execution_id and shown["serviceId"] == greeter.id
    assert shown["status"] == "created" and shown["input"] == {"name": "Ada"}
    assert shown["functionName"] == "run"


@pytest.mark.parametrize(("argv", "named"), [
    (["--input", "[1]"], "--input"),
    (["--input", "{not json"], "--input"),
    (["--input", "{}"], "input.name"),
    (["--input", '{"name": "Ada"}', "--function", "nope"], "nope"),
    (["--timeout", "5"], "--sync"),
])
def test_execute_refusals_name_the_problem_and_record_nothing(cli, project, greeter, argv,
                                                               named):
    code, _, err = cli("service", "execute", "greeter", "--project", project.name, *argv)

    assert code == 1 and named in err and len(err.strip().splitlines()) == 1
    assert list(greeter.executions.list().all()) == []


def test_execution_list_filters_by_service_and_status(cli, project, greeter):
    ids = [cli("service", "execute", "greeter", "--project", project.name,
               "--input", json.dumps({"name": n}))[1].strip() for n in ("a", "b")]
    cli("execution", "terminate", ids[0])

    _, created, _ = cli("execution", "list", "--project", project.name, "--service", "greeter",
                        "--status", "created")
    _, everything, _ = cli("execution", "list", "--project", project.name)

    assert [line.split()[0] for line in created.splitlines()[1:]] == [ids[1]]
    assert [line.split()[0] for line in everything.splitlines()[1:]] == ids[::-1]


def test_terminate_ends_a_queued_execution(cli, project, greeter):
    execution_id = cli("service", "execute", "greeter", "--project", project.name,
                       "--input", '{"name": "Ada"}')[1].strip()

    code, out, _ = cli("execution", "terminate", execution_id)

    assert code == 0 and out.strip() == f"execution {execution_id}: terminated"
    assert dl.executions.get(execution_id=execution_id).latest_status["status"] == "terminated"


def test_wait_with_timeout_fails_while_nothing_runs_it(cli, project, greeter):
    execution_id = cli("service", "execute", "greeter", "--project", project.name,
                       "--input", '{"name": "Ada"}')[1].strip()

    code, out, err = cli("execution", "wait", execution_id, "--timeout", "1")

    assert code == 1 and out == "" and "still running" in err


def test_pause_resume_and_delete(cli, project, greeter):
    for action, word in (("pause", "paused"), ("resume", "resumed"), ("delete", "deleted")):
        code, out, _ = cli("service", action, "greeter", "--project", project.name)
        assert code == 0 and out.strip() == f"service greeter ({greeter.id}) {word}"
        if action == "pause":
            status = cli("service", "status", "greeter", "--project", project.name)[1]
            assert status.startswith(f"service greeter ({greeter.id}): paused")

    code, _, _ = cli("service", "status", "greeter", "--project", project.name)
    assert code == 1


# --------------------------------------------------------------- agent (1 replica)
@pytest.fixture
def live_greeter(cli, tmp_path, project):
    """hello-world deployed with one replica (needs the agent), failing for name "boom"."""
    folder = generate(cli, tmp_path / "greeter", replicas=None)
    main_py = folder / "main.py"
    main_py.write_text(main_py.read_text().replace(
        '        return f"Hello, {name}!"',
        '        if name == "boom":\n            raise RuntimeError("no greeting for boom")\n'
        '        return f"Hello, {name}!"'))
    deploy(cli, folder, project)
    return project.services.get(service_name="greeter")


def test_agent_execute_sync_prints_only_the_output(cli, project, live_greeter):
    code, out, err = cli("service", "execute", "greeter", "--project", project.name,
                         "--input", '{"name": "Ada"}', "--sync", "--timeout", AGENT_TIMEOUT,
                         "--logs")

    assert code == 0, err
    assert json.loads(out) == "Hello, Ada!"
    assert "[Done] Executing function." in err  # --logs streamed to stderr


def test_agent_execution_wait_reports_success(cli, project, live_greeter):
    execution_id = cli("service", "execute", "greeter", "--project", project.name,
                       "--input", '{"name": "Bob"}')[1].strip()

    code, out, err = cli("execution", "wait", execution_id, "--timeout", AGENT_TIMEOUT)

    assert code == 0, err
    assert json.loads(out) == {"id": execution_id, "status": "success", "output": "Hello, Bob!"}
    code, out, _ = cli("service", "logs", "greeter", "--project", project.name,
                       "--execution", execution_id)
    assert code == 0 and "greeting Bob" in out
    assert out.strip().splitlines()[-1].endswith("[Done] Executing function.")


def test_agent_failed_execution_exits_1_with_its_traceback(cli, project, live_greeter):
    code, out, err = cli("service", "execute", "greeter", "--project", project.name,
                         "--input", '{"name": "boom"}', "--sync", "--timeout", AGENT_TIMEOUT)

    assert code == 1 and out == ""
    assert "Traceback" in err
    assert err.strip().splitlines()[-1].endswith("ended failed: RuntimeError: no greeting for boom")

    execution_id = err.strip().splitlines()[-1].split()[2]
    code, out, _ = cli("execution", "wait", execution_id)
    assert code == 1 and json.loads(out)["status"] == "failed"


def test_agent_item_processor_classifies_the_item_given_by_id(cli, tmp_path, project):
    deploy(cli, generate(cli, tmp_path / "tagger", "item-processor", replicas=None), project)
    image = tmp_path / "a.txt"
    image.write_text("a file to tag")
    item = project.datasets.create(dataset_name="files").items.upload(local_path=str(image))

    code, out, err = cli("service", "execute", "tagger", "--project", project.name,
                         "--item", item.id, "--sync", "--timeout", AGENT_TIMEOUT)

    assert code == 0, err
    assert json.loads(out) == {"item_id": item.id}
    item = dl.items.get(item_id=item.id)
    assert [a.label for a in item.annotations.list()] == ["processed"]
    assert item.metadata["user"]["processedBy"] == "tagger"


# ----------------------------------------------------------------------- dead letters
def test_dead_letters_are_listed_and_redriven_from_the_cli(cli, project, tmp_path,
                                                           sqlite_server):
    from conveyor_plugins.embedded.transport import EmbeddedTransport
    from conveyor_runner.queue.messages import queue_name

    folder = generate(cli, tmp_path / "pkg")
    deploy(cli, folder, project)
    service = project.services.get(service_name="pkg")
    queue = EmbeddedTransport("embedded://" + str(sqlite_server.data_dir / "queue.db"))
    try:  # a poison message, set aside as a replica would set it aside
        queue.publish(queue_name(service.id), b"\x00garbage", message_id="poison-1")
        consumer = queue.consume(queue_name(service.id), prefetch=1)
        consumer.receive(5).dead_letter("undecodable: not an execution message")
        consumer.close()
    finally:
        queue.close()

    code, out, _ = cli("service", "dead-letters", "pkg", "--project", project.name)
    assert code == 0 and "poison-1" in out and "undecodable" in out
    code, out, _ = cli("service", "redrive", "pkg", "--project", project.name)
    assert code == 0 and "redriven 1 message(s)" in out
    code, out, _ = cli("service", "dead-letters", "pkg", "--project", project.name)
    assert "(none)" in out
