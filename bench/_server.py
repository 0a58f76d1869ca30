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
    """``conveyor up`` on a fresh data dir and port; yields once it answers.

    The server's stderr goes to ``<home>/server.log`` (a pipe nobody reads would stall a
    server that logs much); a port taken between ``free_port`` and the server's bind is
    retried on another port.
    """
    home = Path(tempfile.mkdtemp(prefix="conveyor-bench-"))
    environment = {**os.environ, "CONVEYOR_HOME": str(home), **(env or {})}
    environment.pop("CONVEYOR_DATABASE_URL", None)
    if database_url:
        environment["CONVEYOR_DATABASE_URL"] = database_url
    for attempt in range(3):
        port = free_port()
        log = (home / "server.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "conveyor_runner", "up", "--port", str(port),
             "--data-dir", str(home / "data")], env=environment,
            stdout=subprocess.DEVNULL, stderr=log)
        try:
            token = _wait_until_up(process, home, f"http://127.0.0.1:{port}")
            break
        except _PortTaken:
            if attempt == 2:
                raise
        finally:
            log.close()
    try:
        yield BenchServer(url=f"http://127.0.0.1:{port}", token=token, process=process,
                          data_dir=home / "data")
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


class _PortTaken(RuntimeError):
    """Another process bound the port first."""


def _wait_until_up(process: subprocess.Popen, home: Path, url: str) -> str:
    """The login token once the server answers; raises if it ended or took over 60 s."""
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(requests.ConnectionError, FileNotFoundError, ValueError):
            token = json.loads((home / "login.json").read_text())["token"]
            requests.get(f"{url}/api/v1/users/me", timeout=2,
                         headers={"authorization": f"Bearer {token}"}).raise_for_status()
            return token
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            errors = (home / "server.log").read_text()
            if "address already in use" in errors:
                raise _PortTaken(errors)
            raise RuntimeError(f"server did not start: {errors}")
        time.sleep(0.2)


def percentile(values: list[float], fraction: float) -> float:
    """The value at ``fraction`` (0..1) of the sorted values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]
