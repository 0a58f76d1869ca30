"""ApiClient.request: bearer auth, error translation, retries, transport failures, login_token."""

import socket

import pytest

from conveyor import exceptions
from conveyor.client import ApiClient
from tests.sdk.http_stub import Reply, client, make_token, stub  # noqa: F401


def test_request_sends_the_bearer_token_to_base_url(stub, client):  # noqa: F811
    stub.route("GET", "/api/v1/items/abc", Reply(200, {"id": "abc"}))
    assert client.json("GET", "/items/abc", params={"x": "1"}) == {"id": "abc"}
    sent = stub.sent("GET")[0]
    assert sent.headers["authorization"] == f"Bearer {client.token}"
    assert sent.query == {"x": ["1"]}
    assert sent.headers["user-agent"].startswith("conveyor/")


def test_empty_body_parses_as_none(stub, client):  # noqa: F811
    stub.route("DELETE", "/api/v1/items/abc", Reply(204))
    assert client.json("DELETE", "/items/abc") is None


@pytest.mark.parametrize(
    "status, cls",
    [
        (400, exceptions.BadRequest),
        (403, exceptions.Forbidden),
        (404, exceptions.NotFound),
        (409, exceptions.Conflict),
        (500, exceptions.InternalServerError),
    ],
)
def test_non_2xx_raises_the_subclass_with_the_body_message(stub, client, status, cls):  # noqa: F811
    stub.route(
        "POST", "/api/v1/projects", Reply(status, {"message": "already taken", "field": "name"})
    )
    with pytest.raises(cls) as info:
        client.request("POST", "/projects", data={"name": "p"})
    assert info.value.message == "already taken (field: name)"
    assert info.value.status == status


def test_non_json_error_body_is_kept_as_text(stub, client):  # noqa: F811
    stub.route("GET", "/api/v1/x", Reply(502, b"bad gateway"))
    with pytest.raises(exceptions.UnknownException, match="bad gateway"):
        client.request("GET", "/x")


def test_idempotent_requests_are_retried_on_503_but_posts_are_not(stub):  # noqa: F811
    calls = {"n": 0}

    def flaky(req, m):
        calls["n"] += 1
        return Reply(503, {"message": "busy"}) if calls["n"] < 3 else Reply(200, {"ok": True})

    stub.route("GET", "/api/v1/flaky", flaky)
    stub.route("POST", "/api/v1/once", Reply(503, {"message": "busy"}))
    api = ApiClient(url=stub.url, token=make_token(), retries=3, backoff_factor=0)
    assert api.json("GET", "/flaky") == {"ok": True}
    assert len(stub.sent("GET", "/api/v1/flaky")) == 3
    with pytest.raises(exceptions.UnknownException, match="busy"):
        api.request("POST", "/once", json={})
    assert len(stub.sent("POST", "/api/v1/once")) == 1


def test_a_500_is_never_retried(stub):  # noqa: F811
    stub.route("GET", "/api/v1/broken", Reply(500, {"message": "bug"}))
    api = ApiClient(url=stub.url, token=make_token(), retries=3, backoff_factor=0)
    with pytest.raises(exceptions.InternalServerError):
        api.request("GET", "/broken")
    assert len(stub.sent()) == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refused_connection_becomes_server_unreachable_naming_the_url():
    url = f"http://127.0.0.1:{_closed_port()}"
    api = ApiClient(url=url, token=make_token(), retries=1, backoff_factor=0)
    with pytest.raises(exceptions.ServerUnreachable) as info:
        api.request("POST", "/projects", data={"name": "p"})
    assert f"{url}/api/v1/projects" in str(info.value)
    assert "conveyor up" in str(info.value)


def test_absolute_urls_on_another_host_get_no_token(stub, client):  # noqa: F811
    stub.route("GET", "/elsewhere", Reply(200, {"ok": 1}))
    other = stub.url.replace("127.0.0.1", "localhost")
    assert client.json("GET", f"{other}/elsewhere") == {"ok": 1}
    assert "authorization" not in stub.sent("GET", "/elsewhere")[0].headers
    client.json("GET", f"{stub.url}/elsewhere")
    assert "authorization" in stub.sent("GET", "/elsewhere")[1].headers


def test_login_token_verifies_with_users_me_and_restores_on_failure(stub):  # noqa: F811
    good, bad = make_token(email="good@x.io"), make_token(email="bad@x.io")
    stub.route(
        "GET",
        "/api/v1/users/me",
        lambda req, m: (
            Reply(200, {"id": "u"})
            if req.headers.get("authorization") == f"Bearer {good}"
            else Reply(401, {"message": "invalid token"})
        ),
    )
    api = ApiClient(url=stub.url, retries=0)
    assert api.login_token(good) is True
    with pytest.raises(ValueError, match="invalid token"):
        api.login_token(bad)
    assert api.token == good
    assert api.info() == {
        "environment": f"{stub.url}/api/v1",
        "user_email": "good@x.io",
        "token": good,
    }


def test_login_token_rejects_empty_tokens_without_a_request(stub):  # noqa: F811
    api = ApiClient(url=stub.url, retries=0)
    with pytest.raises(ValueError, match="token"):
        api.login_token("  ")
    assert stub.sent() == []


def test_setenv_to_another_server_forgets_the_explicit_token(stub):  # noqa: F811
    api = ApiClient(url=stub.url, token=make_token())
    api.setenv(stub.url + "/api/v1/")
    assert api.token is not None
    api.setenv("http://other:1")
    assert api.base_url == "http://other:1/api/v1" and api.token is None
    with pytest.raises(ValueError, match="url"):
        api.setenv("ftp://x")
