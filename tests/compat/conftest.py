"""Compat fixtures: the public dtlpy client, pointed at a live Conveyor server."""

from __future__ import annotations

import secrets

import pytest

dl = pytest.importorskip("dtlpy", reason="the compat suite needs `pip install dtlpy==1.126.5`")


@pytest.fixture
def dtlpy_client(conveyor_server):
    """dtlpy logged in to the live server with a fresh token of the administrator.

    Uses only public dtlpy calls a user would make: add the environment once, select it,
    log in with a token from the server (``conveyor token`` prints the same kind).
    """
    alias = f"conveyor-{conveyor_server.database}"
    dl.add_environment(environment=conveyor_server.api_url, gate_url=conveyor_server.url,
                       url=conveyor_server.url, alias=alias, verify_ssl=False)
    dl.setenv(conveyor_server.api_url)
    dl.login_token(conveyor_server.login(conveyor_server.admin_email,
                                         conveyor_server.admin_password))
    return dl


@pytest.fixture
def unique_name():
    """A name no other test uses."""
    return f"compat-{secrets.token_hex(4)}"
