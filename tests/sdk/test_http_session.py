"""HttpSession reads the environment once per server and answers as requests would."""

from __future__ import annotations

import pytest
import requests

from conveyor.client.http_session import HttpSession

URLS = ["http://cp.internal:8080/api/v1/x", "http://other.example/api", "https://secure.example/a"]


def settings(session: requests.Session, url: str) -> dict:
    return session.merge_environment_settings(url, {}, None, None, None)


@pytest.fixture
def environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://secure-proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "cp.internal")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "bundle.pem"))
    netrc = tmp_path / "netrc"
    netrc.write_text("machine other.example login alice password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))


@pytest.mark.parametrize("url", URLS)
def test_proxies_and_ca_bundle_are_those_requests_would_use(environment, url):
    ours = HttpSession()
    assert settings(ours, url) == settings(requests.Session(), url)
    assert settings(ours, url) == settings(requests.Session(), url)  # from the cache


@pytest.mark.parametrize("url", URLS)
def test_netrc_credentials_are_those_requests_would_send(environment, url):
    def authorization(session):
        prepared = session.prepare_request(requests.Request("GET", url))
        return prepared.headers.get("Authorization")

    ours = HttpSession()
    expected = authorization(requests.Session())
    assert authorization(ours) == expected
    assert authorization(ours) == expected  # from the cache
    assert (expected is not None) == ("other.example" in url)


def test_explicit_settings_win_and_trust_env_off_ignores_the_environment(environment):
    session = HttpSession()
    url = URLS[1]
    explicit = session.merge_environment_settings(url, {"http": "http://mine:1"}, None,
                                                  "/my/ca.pem", None)
    assert explicit["proxies"]["http"] == "http://mine:1"
    assert explicit["verify"] == "/my/ca.pem"
    session.trust_env = False
    assert settings(session, url)["proxies"] == {}
    prepared = session.prepare_request(requests.Request("GET", url))
    assert "Authorization" not in prepared.headers
