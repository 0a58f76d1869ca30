"""Helpers for driving the REST API directly with ``requests``."""

from __future__ import annotations

import secrets

import pytest
import requests


class Api:
    """A tiny REST caller bound to one server and one token."""

    def __init__(self, base: str, token: str | None) -> None:
        self.base = base
        self.headers = {"authorization": f"Bearer {token}"} if token else {}

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, self.base + path, headers={
            **self.headers, **kwargs.pop("headers", {})}, timeout=30, **kwargs)

    def ok(self, method: str, path: str, **kwargs):
        reply = self.call(method, path, **kwargs)
        assert reply.status_code < 300, reply.text
        return reply.json()


@pytest.fixture
def api(conveyor_server) -> Api:
    """The administrator's API caller."""
    return Api(conveyor_server.api_url, conveyor_server.token)


@pytest.fixture
def other_api(conveyor_server) -> Api:
    """A second, unrelated user's API caller."""
    _, token = conveyor_server.create_user()
    return Api(conveyor_server.api_url, token)


@pytest.fixture
def project(api) -> dict:
    """A fresh project of the administrator."""
    return api.ok("post", "/projects", data={"name": f"p-{secrets.token_hex(4)}"})


@pytest.fixture
def dataset(api, project) -> dict:
    """A fresh dataset in ``project``."""
    return api.ok("post", "/datasets", json={"name": "d", "projects": [project["id"]]})


def upload(api: Api, dataset_id: str, path: str, content: bytes = b"hello", **fields):
    """Upload ``content`` to ``path`` with optional extra form fields; returns the reply."""
    return api.call("post", f"/datasets/{dataset_id}/items",
                    files={"file": (path.rsplit("/", 1)[-1], content)},
                    data={"type": "file", "path": path, **fields})
