"""pytest plugin (entry point ``pytest11``): live Conveyor servers and service URLs.

Fixtures:
    postgres_url: a PostgreSQL server URL (local service, or started by pytest-docker).
    amqp_url: a RabbitMQ URL (same rules).
    conveyor_server: a running control plane, once on SQLite and once on PostgreSQL.
    sqlite_server: a running control plane on SQLite only.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conveyor_runner.testing import services


@dataclass
class RunningServer:
    """A control plane serving on 127.0.0.1 for the duration of a test session."""

    url: str
    admin_email: str
    admin_password: str
    token: str
    data_dir: Path
    database: str

    @property
    def api_url(self) -> str:
        """``<url>/api/v1``."""
        return f"{self.url}/api/v1"

    def login(self, email: str, password: str) -> str:
        """A token for the given credentials (``POST /token``)."""
        reply = requests.post(f"{self.url}/token", timeout=10, json={
            "username": email, "password": password, "type": "user_credentials"})
        reply.raise_for_status()
        return reply.json()["id_token"]

    def create_user(self, email: str | None = None, password: str | None = None) -> tuple[str, str]:
        """Create a user through the admin API; returns ``(email, token)``."""
        email = email or f"user-{secrets.token_hex(4)}@example.com"
        password = password or secrets.token_urlsafe(12)
        reply = requests.post(f"{self.api_url}/users", timeout=10, json={
            "email": email, "password": password},
            headers={"authorization": f"Bearer {self.token}"})
        reply.raise_for_status()
        return email, self.login(email, password)


def _compose_file(root: Path) -> Path:
    return root / "tests" / "docker-compose.yml"


def _service_url(request, env_var: str, default: str, what: str, compose_service: str,
                 port: int) -> str:
    url = os.environ.get(env_var)
    if url is None and services.docker_engine_available():
        docker_services = request.getfixturevalue("docker_services")
        host_port = docker_services.port_for(compose_service, port)
        url = default.replace(f":{port}/", f":{host_port}/")
        docker_services.wait_until_responsive(
            timeout=60, pause=0.5, check=lambda: services.reachable(url))
    return services.require(url or default, what, env_var)


@pytest.fixture(scope="session")
def docker_compose_file(pytestconfig) -> str:
    """The compose file pytest-docker starts RabbitMQ and PostgreSQL from."""
    return str(_compose_file(Path(pytestconfig.rootpath)))


@pytest.fixture(scope="session")
def postgres_url(request) -> str:
    """URL of a PostgreSQL server (``CONVEYOR_TEST_POSTGRES_URL``)."""
    return _service_url(request, "CONVEYOR_TEST_POSTGRES_URL", services.POSTGRES_URL,
                        "PostgreSQL", "postgres", 5432)


@pytest.fixture(scope="session")
def amqp_url(request) -> str:
    """URL of a RabbitMQ broker (``CONVEYOR_TEST_AMQP_URL``)."""
    return _service_url(request, "CONVEYOR_TEST_AMQP_URL", services.AMQP_URL,
                        "RabbitMQ", "rabbitmq", 5672)


@pytest.fixture(scope="session")
def fresh_postgres_database(postgres_url) -> Iterator[str]:
    """A new, empty PostgreSQL database for this session, dropped afterwards."""
    from conveyor_runner.testing.databases import temporary_postgres_database

    with temporary_postgres_database(postgres_url) as url:
        yield url


def _start(tmp_path_factory, database_url: str | None, label: str) -> Iterator[RunningServer]:
    from conveyor_runner.server import ServerThread, prepare
    from conveyor_runner.settings import Settings

    data_dir = tmp_path_factory.mktemp(f"conveyor-{label}")
    port = services.free_port()
    settings = Settings.load(host="127.0.0.1", port=port, data_dir=data_dir,
                             database_url=database_url)
    prepared = prepare(settings)
    thread = ServerThread(prepared)
    thread.start()
    try:
        yield RunningServer(url=settings.public_url, admin_email=prepared.admin.email,
                            admin_password=prepared.admin.password, token=prepared.token,
                            data_dir=data_dir, database=label)
    finally:
        thread.stop()


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory) -> Iterator[RunningServer]:
    """A control plane on the embedded default (SQLite, filesystem storage)."""
    yield from _start(tmp_path_factory, None, "sqlite")


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory, fresh_postgres_database) -> Iterator[RunningServer]:
    """A control plane on PostgreSQL (a fresh database)."""
    yield from _start(tmp_path_factory, fresh_postgres_database, "postgres")


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def conveyor_server(request) -> RunningServer:
    """A running control plane; tests using it run once per database."""
    return request.getfixturevalue(f"{request.param}_server")
