"""Agent tests: real agents (subprocesses) against a live control plane with real packages.

Services are deployed with ``runtime.numReplicas: 0`` so that the control plane starts no
replicas of its own; each test starts the agent itself with the environment a compute
backend would give it (``FaasKit.replica_env``).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conveyor_runner.testing.faas import FaasKit, module
from conveyor_runner.testing.waiting import wait_until

SOURCE = '''
import logging
import time

import conveyor as dl
from conveyor.runtime import BaseServiceRunner

logger = logging.getLogger("user.code")


class ServiceRunner(BaseServiceRunner):
    def __init__(self, greeting="hello"):
        self.greeting = greeting

    def run(self, name=None):
        print(f"printed {self.greeting} {name}")
        logger.info("logged %s", name)
        return {"greeting": f"{self.greeting} {name}"}

    def boom(self, text=None):
        raise RuntimeError(f"boom {text}")

    def steps(self, progress=None):
        for step in range(1, 5):
            progress.update(progress=step * 25, message=f"step {step}")
        return "stepped"

    def loop(self, seconds=60):
        print("loop started", flush=True)
        end = time.time() + seconds
        while time.time() < end:
            self.kill_event()
            time.sleep(0.05)
        return "finished"

    def sleep(self, seconds=1):
        print("sleep started", flush=True)
        time.sleep(seconds)
        return f"slept {seconds}"

    def reset(self):
        self.do_reset()
        return "resetting"

    def describe(self, item=None):
        return {"id": item.id, "name": item.name, "type": type(item).__name__,
                "me": dl.client_api.email}
'''


def functions() -> list[dict]:
    names = {"run": [("name", "String")], "boom": [("text", "String")], "steps": [],
             "loop": [("seconds", "Number")], "sleep": [("seconds", "Number")],
             "reset": [], "describe": [("item", "Item")]}
    return [{"name": name, "input": [{"name": n, "type": t} for n, t in inputs]}
            for name, inputs in names.items()]


MODULES = [module(functions(), init_inputs=[{"name": "greeting", "type": "String"}])]


class Agent:
    """One ``python -m conveyor_runner agent`` process and its output file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "conveyor_runner", "agent"],
                                        env={**os.environ, **env}, stdout=self._log,
                                        stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)

    def wait(self, timeout: float = 60.0) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"the agent did not exit in {timeout} s:\n{self.output()}") from None

    def close(self) -> None:
        if self.process.poll() is None:
            self.kill()
        self._log.close()


@pytest.fixture(scope="session")
def kit(sqlite_server) -> FaasKit:
    return FaasKit(sqlite_server)


@pytest.fixture(scope="session")
def project(kit) -> dict:
    return kit.create_project()


@pytest.fixture
def deploy(kit, project):
    """``deploy(files=None, modules=None, **service settings)`` -> Service JSON."""
    deployed = []

    def make(files: dict | None = None, modules: list | None = None, **settings) -> dict:
        name = f"agent-{secrets.token_hex(4)}"
        package = kit.push_package(project["id"], name, files or {"main.py": SOURCE},
                                   modules or MODULES)
        service = kit.deploy(package, **settings)
        deployed.append(service)
        return service

    yield make
    for service in deployed:
        kit.session.delete(f"{kit.server.api_url}/services/{service['id']}", timeout=30)


@pytest.fixture
def start_agent(kit, tmp_path):
    """``start_agent(service, replica_id=None)`` -> a running ``Agent``."""
    agents = []

    def start(service: dict, replica_id: str | None = None) -> Agent:
        replica_id = replica_id or f"replica-{secrets.token_hex(3)}"
        env = kit.replica_env(service, replica_id, home=tmp_path / replica_id)
        agent = Agent(env, tmp_path / f"{replica_id}.log")
        agents.append(agent)
        return agent

    yield start
    for agent in agents:
        agent.close()


wait_for = wait_until  # the agent tests' name for it
