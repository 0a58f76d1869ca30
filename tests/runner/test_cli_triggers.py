"""``conveyor trigger list|create|delete`` against a live control plane (SQLite).

The CLI runs in this process (``main([...])``) with the SDK logged in to the test server;
the service has no replicas, so the executions a trigger creates stay queued.
"""

from __future__ import annotations

import json
import secrets
import time

import pytest

import conveyor as dl
from conveyor_runner.cli import main

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
def cli(sqlite_server, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    dl.setenv(sqlite_server.url)
    dl.login_token(sqlite_server.token)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def deployed(cli, tmp_path):
    project = dl.projects.create(project_name=f"cli-trig-{secrets.token_hex(4)}")
    folder = tmp_path / "watcher"
    folder.mkdir()
    (folder / "main.py").write_text(MAIN_PY)
    (folder / "package.json").write_text(json.dumps({"name": "watcher", "modules": MODULES}))
    package = project.packages.push(src_path=str(folder))
    service = package.deploy(service_name="watcher", runtime={"numReplicas": 0})
    yield project, service
    project.delete(sure=True, really=True)


def test_create_list_fire_and_delete(cli, deployed, tmp_path):
    project, service = deployed
    code, out, err = cli("trigger", "create", "--project", project.name, "--service", "watcher",
                         "--name", "incoming", "--resource", "Item",
                         "--actions", "Created,Updated", "--filter", '{"dir": "/in"}',
                         "--function", "run", "--mode", "Always")
    assert code == 0, err
    assert out.startswith("created event trigger incoming (")
    code, out, err = cli("trigger", "create", "--project", project.name, "--service", "watcher",
                         "--name", "nightly", "--function", "nightly", "--cron", "0 2 * * *",
                         "--input", '{"report": "r"}', "--start-at", "2031-01-01T00:00:00Z")
    assert code == 0, err
    code, out, _ = cli("trigger", "list", "--project", project.name)
    assert code == 0
    assert "incoming" in out and "Item Created,Updated (Always)" in out
    assert "cron 0 2 * * * (next 2031-01-01T02:00:00.000Z)" in out

    dataset = project.datasets.create(dataset_name="d")
    (tmp_path / "x.txt").write_text("x")
    item = dataset.items.upload(local_path=str(tmp_path / "x.txt"), remote_path="/in")
    trigger = service.triggers.get(trigger_name="incoming")
    for _ in range(600):
        found = [e for e in service.executions.list().all() if e.trigger_id == trigger.id]
        if found:
            break
        time.sleep(0.05)
    assert [e.input["item"]["item_id"] for e in found] == [item.id]

    code, out, err = cli("trigger", "delete", "incoming", "--project", project.name)
    assert code == 0, err
    assert out.startswith("deleted trigger incoming")
    code, out, _ = cli("trigger", "list", "--project", project.name, "--service", "watcher")
    assert "incoming" not in out and "nightly" in out


@pytest.mark.parametrize(("argv", "words"), [
    (("--cron", "61 * * * *", "--function", "nightly", "--input", '{"report": "r"}'),
     "'61 * * * *'"),
    (("--filter", "{not json"), "--filter: not valid JSON"),
    (("--actions", "Created,Exploded"), "spec.actions[1]"),
    (("--function", "nope"), "nope"),
    (("--start-at", "2031-01-01"), "only with --cron"),
])
def test_create_errors_are_one_line_and_name_the_problem(cli, deployed, argv, words):
    project, _service = deployed
    code, _out, err = cli("trigger", "create", "--project", project.name, "--service",
                          "watcher", *argv)
    assert code == 1
    assert err.startswith("error: ") and words in err and err.count("\n") == 1


def test_delete_unknown_trigger_fails(cli, deployed):
    project, _service = deployed
    code, _out, err = cli("trigger", "delete", "ghost", "--project", project.name)
    assert code == 1 and err.startswith("error: ")
