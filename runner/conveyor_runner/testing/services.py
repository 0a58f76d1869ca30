"""Where the external services tests need are, and what to do when one is missing.

Each service URL comes from the environment (defaults: the local services). With a Docker
engine available, pytest-docker starts them from ``tests/docker-compose.yml`` instead.
A missing service skips the test with the reason on a laptop and fails it when ``CI`` is set,
so a broken CI machine never passes by skipping.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def in_ci() -> bool:
    """True when running under CI (``CI=true``/``1``)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def reachable(url: str, timeout: float = 1.0) -> bool:
    """True if a TCP connection to the URL's host and port succeeds."""
    parsed = urlparse(url)
    default_port = {"postgresql": 5432, "amqp": 5672, "amqps": 5671}.get(parsed.scheme, 80)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1",
                                       parsed.port or default_port), timeout=timeout):
            return True
    except OSError:
        return False


def require(url: str, what: str, variable: str) -> str:
    """Return ``url`` if reachable; otherwise skip (laptop) or fail (CI) naming the fix."""
    if reachable(url):
        return url
    message = f"{what} is not reachable at {url}; start it or set {variable}"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")  # pytest.skip raises


def docker_engine_available() -> bool:
    """True if a Docker engine answers (then pytest-docker can start the services)."""
    try:
        import docker

        client = docker.from_env(timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - any failure means "no engine here"
        return False


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
