"""Health probes: /healthz and /readyz answer without a token; the API still demands one."""

from __future__ import annotations

import dataclasses

import requests

from conveyor_runner.server import ServerThread, prepare
from conveyor_runner.settings import Settings
from conveyor_runner.store.db import Database
from conveyor_runner.testing.services import free_port
from tests.runner.api.conftest import Api


def test_healthz_answers_ok_without_a_token(conveyor_server):
    reply = requests.get(f"{conveyor_server.url}/healthz", timeout=10)
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok"}


def test_readyz_reports_the_database_ok_without_a_token(conveyor_server):
    reply = requests.get(f"{conveyor_server.url}/readyz", timeout=10)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_probes_live_at_the_root_not_under_the_api(conveyor_server):
    # Under /api/v1 they are unknown paths; a probe configured there would never pass.
    assert requests.get(f"{conveyor_server.api_url}/healthz", timeout=10).status_code == 404


def test_authenticated_routes_still_answer_401_without_a_token(conveyor_server):
    for path in ("/projects", "/users/me"):
        reply = Api(conveyor_server.api_url, None).call("get", path)
        assert reply.status_code == 401, path
        assert "token" in reply.json()["message"]


def test_readyz_is_503_naming_the_database_when_it_does_not_answer(tmp_path):
    # A real control plane whose database server went away: its routes are given a
    # PostgreSQL URL on a port nothing listens on (psycopg is part of the test extra).
    settings = Settings.load(host="127.0.0.1", port=free_port(), data_dir=tmp_path)
    prepared = prepare(settings)
    gone = Database(f"postgresql://conveyor:s3cret-pw@127.0.0.1:{free_port()}/conveyor")
    broken = dataclasses.replace(prepared, state=dataclasses.replace(prepared.state, db=gone))
    server = ServerThread(broken)
    server.start()
    try:
        base = settings.public_url
        reply = requests.get(f"{base}/readyz", timeout=30)
        assert reply.status_code == 503, reply.text
        body = reply.json()
        assert body["status"] == 503
        assert body["message"].startswith("database: ")
        assert body["checks"]["database"]
        assert "s3cret-pw" not in reply.text
        # Liveness does not depend on the database: the process still answers.
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
    finally:
        server.stop()
        prepared.state.db.dispose()
