"""``conveyor up`` as a user runs it: a separate process with its own home folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conveyor_runner.testing.services import free_port


@dataclass
class UpProcess:
    """A running ``conveyor up`` and the environment a user's shell would have."""

    process: subprocess.Popen
    url: str
    home: Path
    env: dict
    banner: list[str]

    def cli(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        """Run ``conveyor ARGS`` in the user's environment."""
        return subprocess.run([sys.executable, "-m", "conveyor_runner", *args], env=self.env,
                              cwd=cwd, capture_output=True, text=True, timeout=120)

    def stop(self, timeout: float = 60) -> int:
        """Ctrl-C (SIGINT) and wait; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=timeout)


@pytest.fixture
def conveyor_up(tmp_path):
    """``conveyor up`` on a free port with ``CONVEYOR_HOME`` in a temp folder."""
    home = tmp_path / "home"
    port = free_port()
    env = {**os.environ, "CONVEYOR_HOME": str(home)}
    for variable in ("CONVEYOR_URL", "CONVEYOR_TOKEN", "CONVEYOR_DATA_DIR",
                     "CONVEYOR_DATABASE_URL"):
        env.pop(variable, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "conveyor_runner", "up", "--port", str(port)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    banner, url = [], f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not any("Ctrl-C" in line for line in banner):
        line = process.stdout.readline()
        if not line and (process.poll() is not None or time.monotonic() > deadline):
            pytest.fail(f"conveyor up did not start: {''.join(banner)}")
        banner.append(line)
    up = UpProcess(process=process, url=url, home=home, env=env, banner=banner)
    try:
        yield up
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def login(home: Path) -> dict:
    """The login file ``conveyor up`` wrote."""
    return json.loads((home / "login.json").read_text())


def me(url: str, token: str) -> dict:
    reply = requests.get(f"{url}/api/v1/users/me", timeout=10,
                         headers={"authorization": f"Bearer {token}"})
    reply.raise_for_status()
    return reply.json()
