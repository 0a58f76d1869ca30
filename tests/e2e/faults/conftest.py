"""Fault-injection fixtures: a control plane we can kill and restart, on either queue."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from conveyor_runner.testing.services import AMQP_URL, free_port, require
from conveyor_runner.testing.waiting import wait_until

SLOW_MAIN = '''
import os
import time

import conveyor as dl


class ServiceRunner(dl.BaseServiceRunner):
    def work(self, seconds=0.0, context=None):
        time.sleep(seconds)
        # One line per completed run: the tests count completions per execution.
        with open(os.environ["FAULT_LOG"], "a") as log:
            log.write(context.execution_id + "\\n")
        return seconds
'''


@dataclass
class Plane:
    """A ``conveyor up`` process (restartable) and a REST caller for it."""

    home: Path
    port: int
    env: dict
    process: subprocess.Popen | None = None
    token: str = ""
    log: list[str] = field(default_factory=list)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "conveyor_runner", "up", "--port", str(self.port)],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while True:
            line = self.process.stdout.readline()
            self.log.append(line)
            if "Ctrl-C" in line:
                break
            if (not line and self.process.poll() is not None) or time.monotonic() > deadline:
                raise AssertionError("conveyor up did not start: " + "".join(self.log))
        self.token = json.loads((self.home / "login.json").read_text())["token"]

    def kill(self) -> None:
        """SIGKILL the control plane (its replicas get SIGTERM through their death signal)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def call(self, method: str, path: str, **kwargs):
        reply = requests.request(method, self.api + path, timeout=60, headers={
            "authorization": f"Bearer {self.token}"}, **kwargs)
        assert reply.status_code < 300, reply.text
        return reply.json()

    def replica_pids(self, service_id: str) -> list[int]:
        path = (self.home / "data" / "compute" / "local" / "replicas" / service_id
                / "pids.json")
        entries = json.loads(path.read_text())
        values = entries.values() if isinstance(entries, dict) else entries
        return [int(v["pid"] if isinstance(v, dict) else v) for v in values]


@pytest.fixture(params=["embedded", "rabbitmq"])
def plane(request, tmp_path):
    """A control plane on the embedded queue or on RabbitMQ (fresh vhost-free queues)."""
    env = {**os.environ, "CONVEYOR_HOME": str(tmp_path / "home"),
           "FAULT_LOG": str(tmp_path / "completions.log")}
    for variable in ("CONVEYOR_URL", "CONVEYOR_TOKEN", "CONVEYOR_DATA_DIR",
                     "CONVEYOR_DATABASE_URL", "CONVEYOR_QUEUE_URL"):
        env.pop(variable, None)
    if request.param == "rabbitmq":
        env["CONVEYOR_QUEUE_URL"] = require(
            os.environ.get("CONVEYOR_TEST_AMQP_URL", AMQP_URL), "RabbitMQ",
            "CONVEYOR_TEST_AMQP_URL")
    plane = Plane(home=tmp_path / "home", port=free_port(), env=env)
    plane.start()
    yield plane
    plane.stop()


def deploy_slow(plane: Plane, tmp_path: Path, *, replicas: int = 1, concurrency: int = 10,
                on_reset: str = "failed", max_attempts: int = 3, drain: int = 60) -> dict:
    """Push the slow package through the SDK-free REST API and deploy it; wait for replicas."""
    import io
    import zipfile

    project = plane.call("post", "/projects", data={"name": f"f-{secrets.token_hex(3)}"})
    binaries = plane.call("post", "/datasets/query", json={
        "filter": {"$and": [{"name": "Binaries"}]}, "context": {"projects": [project["id"]]},
        "systemSpace": True})["items"][0]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("main.py", SLOW_MAIN)
    item = plane.call("post", f"/datasets/{binaries['id']}/items",
                      files={"file": ("1.zip", buffer.getvalue())},
                      data={"type": "file", "path": "/codebases/slow/1.zip"})
    package = plane.call("post", "/packages", json={
        "name": "slow", "projectId": project["id"], "codebase": {"type": "item",
                                                                 "itemId": item["id"]},
        "modules": [{"name": "default_module", "entryPoint": "main.py",
                     "className": "ServiceRunner", "functions": [
                         {"name": "work", "input": [{"name": "seconds", "type": "Float"}]}]}]})
    service = plane.call("post", "/services", json={
        "name": "slow", "packageId": package["id"], "onReset": on_reset,
        "maxAttempts": max_attempts, "drainTime": drain,
        "runtime": {"numReplicas": replicas, "concurrency": concurrency}})
    wait_until(lambda: sum(r.get("reported") == "ready" for r in plane.call(
        "get", f"/services/{service['id']}/status")["replicas"]) >= replicas,
        timeout=120, what="replicas ready", interval=0.5)
    return service


def statuses(plane: Plane, service_id: str) -> dict[str, int]:
    """How many executions of the service are in each latest status."""
    counts: dict[str, int] = {}
    page = 0
    while True:
        result = plane.call("post", "/query/faas", json={
            "resource": "executions", "filter": {"$and": [{"serviceId": service_id}]},
            "page": page, "pageSize": 100})
        for execution in result["items"]:
            status = execution["latestStatus"]["status"]
            counts[status] = counts.get(status, 0) + 1
        if not result["hasNextPage"]:
            return counts
        page += 1


def rabbitmqctl(*args: str) -> None:
    """Run rabbitmqctl (the tests that restart the broker need it on this machine)."""
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is not installed here")
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)
