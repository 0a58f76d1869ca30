"""Start and stop a real ``conveyor up`` process for benchmarks; read its memory."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests


@dataclass
class BenchServer:
    """A control plane in its own process."""

    url: str
    token: str
    process: subprocess.Popen
    data_dir: Path

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"

    def rss_mb(self) -> float:
        """Resident memory of the server process, in MB."""
        return rss_mb(self.process.pid)


def rss_mb(pid: int) -> float:
    """VmRSS of a process from /proc, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_server(database_url: str | None = None,
                   env: dict | None = None) -> Iterator[BenchServer]:
    """``conveyor up`` on a fresh data dir and port; yields once it answers."""
    home = Path(tempfile.mkdtemp(prefix="conveyor-bench-"))
    port = free_port()
    environment = {**os.environ, "CONVEYOR_HOME": str(home), **(env or {})}
    environment.pop("CONVEYOR_DATABASE_URL", None)
    if database_url:
        environment["CONVEYOR_DATABASE_URL"] = database_url
    process = subprocess.Popen(
        [sys.executable, "-m", "conveyor_runner", "up", "--port", str(port),
         "--data-dir", str(home / "data")], env=environment,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            login = home / "login.json"
            with contextlib.suppress(requests.ConnectionError, FileNotFoundError, ValueError):
                token = json.loads(login.read_text())["token"]
                requests.get(f"{url}/api/v1/users/me", timeout=2,
                             headers={"authorization": f"Bearer {token}"}).raise_for_status()
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {process.stderr.read().decode()}")
            time.sleep(0.2)
        yield BenchServer(url=url, token=token, process=process, data_dir=home / "data")
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def percentile(values: list[float], fraction: float) -> float:
    """The value at ``fraction`` (0..1) of the sorted values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]
