"""Connection resolution: explicit > environment > login file; renewal rewrites login.json."""

import json
import os
import stat

import pytest

from conveyor import exceptions
from conveyor.client import ApiClient
from conveyor.client.tokens import token_email
from tests.sdk.http_stub import Reply, client, make_token, stub  # noqa: F401


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVEYOR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CONVEYOR_URL", raising=False)
    monkeypatch.delenv("CONVEYOR_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "home"


def write_login(home, **fields):
    home.mkdir(parents=True, exist_ok=True)
    path = home / "login.json"
    path.write_text(json.dumps(fields))
    os.chmod(path, 0o600)
    return path


def test_nothing_configured_means_the_default_server_and_no_token():
    api = ApiClient()
    assert api.root_url == "http://127.0.0.1:7979"
    assert api.base_url == "http://127.0.0.1:7979/api/v1"
    assert api.token is None and api.token_expired()


def test_login_file_is_used_when_nothing_else_is_set(isolated_env):
    token = make_token(email="admin@example.com")
    write_login(
        isolated_env,
        url="http://10.0.0.5:7979",
        email="admin@example.com",
        password="pw",
        token=token,
    )
    api = ApiClient()
    assert api.base_url == "http://10.0.0.5:7979/api/v1"
    assert api.token == token
    assert api.email == "admin@example.com"


def test_environment_beats_login_file_and_explicit_beats_environment(isolated_env, monkeypatch):
    write_login(isolated_env, url="http://file:1", token=make_token(email="file@x.io"))
    monkeypatch.setenv("CONVEYOR_URL", "http://env:2/api/v1")
    env_token = make_token(email="env@x.io")
    monkeypatch.setenv("CONVEYOR_TOKEN", env_token)
    api = ApiClient()
    assert (api.root_url, api.token) == ("http://env:2", env_token)
    explicit = ApiClient(url="http://explicit:3", token=make_token(email="me@x.io"))
    assert explicit.root_url == "http://explicit:3"
    assert explicit.email == "me@x.io"


def test_login_file_token_is_ignored_for_another_server(isolated_env, monkeypatch):
    write_login(isolated_env, url="http://file:1", token=make_token())
    monkeypatch.setenv("CONVEYOR_URL", "http://elsewhere:2")
    assert ApiClient().token is None


def test_bad_environment_url_names_the_variable(monkeypatch):
    monkeypatch.setenv("CONVEYOR_URL", "ftp://nope")
    with pytest.raises(ValueError, match="CONVEYOR_URL"):
        _ = ApiClient().base_url


def test_expiring_login_file_token_is_renewed_and_written_back(stub, isolated_env):  # noqa: F811
    fresh = make_token(email="admin@example.com", ttl=3600, jti="fresh")
    stub.route("POST", "/token", Reply(200, {"id_token": fresh}))
    stub.route("GET", "/api/v1/users/me", Reply(200, {"id": "u"}))
    path = write_login(
        isolated_env,
        url=stub.url,
        email="admin@example.com",
        password="s3cret",
        token=make_token(email="admin@example.com", ttl=20),
    )
    api = ApiClient(retries=0)
    api.request("GET", "/users/me")
    login = stub.sent("POST", "/token")[0]
    assert login.json == {
        "username": "admin@example.com",
        "password": "s3cret",
        "type": "user_credentials",
    }
    assert "authorization" not in login.headers
    assert stub.sent("GET", "/api/v1/users/me")[0].headers["authorization"] == f"Bearer {fresh}"
    saved = json.loads(path.read_text())
    assert saved["token"] == fresh and saved["password"] == "s3cret"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_expired_token_without_credentials_fails_before_sending(stub):  # noqa: F811
    api = ApiClient(url=stub.url, token=make_token(ttl=-10), retries=0)
    with pytest.raises(exceptions.TokenExpired, match="expired"):
        api.request("GET", "/projects")
    assert stub.sent() == []


def test_a_401_rereads_a_login_file_rewritten_by_a_restarted_server(stub, isolated_env):  # noqa: F811
    old, new = make_token(jti="old"), make_token(jti="new")
    path = write_login(isolated_env, url=stub.url, token=old)

    def me(req, _m):
        ok = req.headers.get("authorization") == f"Bearer {new}"
        return Reply(200, {"id": "u"}) if ok else Reply(401, {"message": "invalid token"})

    stub.route("GET", "/api/v1/users/me", me)
    api = ApiClient(retries=0)
    with pytest.raises(exceptions.Unauthorized):
        api.request("GET", "/users/me")
    path.write_text(json.dumps({"url": stub.url, "token": new}))
    assert api.json("GET", "/users/me") == {"id": "u"}


def test_logout_ignores_login_file_and_environment_tokens(isolated_env, monkeypatch):
    write_login(isolated_env, token=make_token())
    monkeypatch.setenv("CONVEYOR_TOKEN", make_token())
    api = ApiClient()
    assert api.token is not None
    api.logout()
    assert api.token is None and api.info(with_token=False)["user_email"] is None


def test_login_posts_credentials_and_keeps_them_for_renewal(stub):  # noqa: F811
    tokens_given = iter([make_token(email="a@x.io", ttl=30), make_token(email="a@x.io", jti="2")])
    stub.route("POST", "/token", lambda req, m: Reply(200, {"id_token": next(tokens_given)}))
    stub.route("GET", "/api/v1/projects", Reply(200, []))
    api = ApiClient(url=stub.url, retries=0)
    assert api.login("a@x.io", "pw") is True
    api.json("GET", "/projects")  # first token is inside the 60 s leeway -> renewed
    assert len(stub.sent("POST", "/token")) == 2
    assert token_email(api.token) == "a@x.io"


def test_login_with_bad_credentials_raises_unauthorized(stub):  # noqa: F811
    stub.route("POST", "/token", Reply(401, {"message": "bad credentials"}))
    api = ApiClient(url=stub.url, retries=0)
    with pytest.raises(exceptions.Unauthorized, match="bad credentials"):
        api.login("a@x.io", "wrong")
    assert api.token is None


def test_login_file_write_is_private_and_keeps_unknown_keys(isolated_env):
    from conveyor.client import LoginFile, login_file_path

    path = write_login(isolated_env, url="http://old:1", token="t0", extra="kept")
    LoginFile(path=login_file_path(), url="http://new:2", email="a@x.io", password="pw").write()
    data = json.loads(path.read_text())
    assert data == {"url": "http://new:2", "email": "a@x.io", "password": "pw", "extra": "kept"}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert LoginFile.read().email == "a@x.io"
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="login file"):
        LoginFile.read()
