"""Services with real replicas (local backend) on a live server: triggers on deleted
items, the autoscaler, rolling updates, and a control plane refusing a bad broker URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conveyor_runner.testing.waiting import wait_until

MAIN = '''
import time

import conveyor as dl


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self, tag="v1"):
        self.tag = tag

    def gone(self, item):
        return {"filename": item.filename, "id": item.id}

    def work(self, seconds=0.0):
        time.sleep(seconds)
        return self.tag
'''

MODULES = [{"name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
            "initInputs": [{"name": "tag", "type": "String"}],
            "functions": [{"name": "gone", "input": [{"name": "item", "type": "Item"}]},
                          {"name": "work", "input": [{"name": "seconds", "type": "Float"}]}]}]


@pytest.fixture
def dl(sqlite_server):
    import conveyor

    conveyor.setenv(sqlite_server.url)
    conveyor.login_token(sqlite_server.token)
    conveyor.verbose.disable_progress_bar = True
    return conveyor


@pytest.fixture
def project(dl):
    project = dl.projects.create(project_name=f"live-{time.time_ns()}")
    yield project
    for service in project.services.list().all():
        service.delete()


def _package(project, tmp_path, source: str = MAIN):
    folder = tmp_path / f"pkg-{time.time_ns()}"
    folder.mkdir()
    (folder / "main.py").write_text(source)
    (folder / "package.json").write_text(json.dumps({"name": "live", "modules": MODULES}))
    return project.packages.push(package_name="live", src_path=str(folder))


def _ready(service) -> int:
    return sum(1 for r in service.status()["replicas"] if r.get("reported") == "ready")


def test_a_deleted_item_trigger_gets_the_item_as_it_was(dl, project, tmp_path):
    package = _package(project, tmp_path)
    service = package.deploy(service_name="live", init_input={"tag": "v1"})
    service.triggers.create(name="on-delete", function_name="gone",
                            resource=dl.TriggerResource.ITEM,
                            actions=[dl.TriggerAction.DELETED])
    dataset = project.datasets.create(dataset_name="d")
    source = tmp_path / "doomed.txt"
    source.write_text("bye")
    item = dataset.items.upload(local_path=str(source), remote_path="/old")
    item.delete()
    filters = dl.Filters(resource=dl.FiltersResource.EXECUTION, field="serviceId",
                         values=service.id)
    execution = wait_until(lambda: next(iter(dl.executions.list(filters=filters).all()), None),
                           90, "the trigger's execution", interval=0.3)
    finished = execution.wait()
    assert finished.latest_status["status"] == "success", finished.latest_status
    assert finished.output == {"filename": "/old/doomed.txt", "id": item.id}


def test_autoscaler_scales_out_in_and_to_zero(dl, project, tmp_path):
    package = _package(project, tmp_path)
    scaler = {"type": "rabbitmq", "minReplicas": 0, "maxReplicas": 3, "queueLength": 4,
              "cooldownPeriod": 3, "pollingInterval": 1}
    service = package.deploy(service_name="live", init_input={"tag": "v1"},
                             runtime={"autoscaler": scaler, "concurrency": 1})
    time.sleep(2)
    assert _ready(service) == 0, "minReplicas 0 starts at zero"
    with ThreadPoolExecutor(6) as pool:
        executions = list(pool.map(lambda _: service.execute(
            function_name="work", execution_input={"seconds": 1.0}), range(12)))
    wait_until(lambda: _ready(service) == 3, 90, "three replicas for twelve queued executions",
               interval=0.3)
    for execution in executions:
        assert execution.wait().latest_status["status"] == "success"
    wait_until(lambda: len(service.status()["replicas"]) == 0, 120,
               "scale to zero after the cooldown", interval=0.3)
    decisions = service.status()["scaling"]
    assert decisions[0]["from"] == 0 and decisions[0]["to"] >= 1
    assert any(d["to"] == 0 for d in decisions) and all(d["reason"] for d in decisions)
    assert service.execute(function_name="work", execution_input={"seconds": 0.0},
                           sync=True, stream_logs=False) == "v1"


def test_update_rolls_replicas_without_losing_or_doubling(dl, project, tmp_path):
    package = _package(project, tmp_path)
    service = package.deploy(service_name="live", init_input={"tag": "v1"},
                             runtime={"numReplicas": 1, "concurrency": 4}, drain_time=60)
    wait_until(lambda: _ready(service) == 1, 90, "the first replica", interval=0.3)
    with ThreadPoolExecutor(4) as pool:
        before = list(pool.map(lambda _: service.execute(
            function_name="work", execution_input={"seconds": 0.5}), range(16)))
    service.init_input = {"tag": "v2"}
    service = service.update()
    after = [service.execute(function_name="work", execution_input={"seconds": 0.0})
             for _ in range(4)]
    results = [e.wait() for e in before + after]
    assert all(r.latest_status["status"] == "success" for r in results)
    assert all([s["status"] for s in r.status_log].count("success") == 1 for r in results)
    assert {r.output for r in results[-4:]} == {"v2"}


def test_a_bad_broker_url_fails_at_start_naming_it_without_the_password(tmp_path):
    env = {**os.environ, "CONVEYOR_HOME": str(tmp_path),
           "CONVEYOR_QUEUE_URL": "amqp://guest:s3cret@127.0.0.1:1/%2F"}
    result = subprocess.run([sys.executable, "-m", "conveyor_runner", "up", "--port", "1"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "127.0.0.1:1" in result.stderr and "s3cret" not in result.stderr
    assert "CONVEYOR_QUEUE_URL" in result.stderr


def test_a_sync_execute_answers_the_finished_execution_as_a_get_would(dl, project, tmp_path):
    """The create's long-poll is answered from the row the result's commit ended: the
    same JSON the record gives, for a success and for a failure."""
    package = _package(project, tmp_path)
    service = package.deploy(service_name="sync", runtime={"numReplicas": 1, "concurrency": 2})
    wait_until(lambda: _ready(service) == 1, 90, "the replica", interval=0.3)
    ok = service.execute(function_name="work", execution_input={"seconds": 0.0}, sync=True,
                         stream_logs=False, return_output=False)
    bad = service.execute(function_name="work", execution_input={"seconds": -1.0},
                          sync=True, stream_logs=False, return_output=False)
    assert ok.latest_status["status"] == "success" and ok.output == "v1"
    assert bad.latest_status["status"] == "failed"
    for finished in (ok, bad):
        assert finished.to_json() == dl.executions.get(execution_id=finished.id).to_json()
