"""KeepAliveAdapter under a real requests Session against real HTTP/1.1 servers: kept
connections, what it leaves to requests' own adapter, cookies, compressed replies,
retries as urllib3 applies them, and the requests exceptions callers expect."""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler

import pytest
import requests
from urllib3.util.retry import Retry

from conveyor.client.adapter import KeepAliveAdapter
from tests.sdk.local_http import QuietServer, serve_tls, unused_port


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[dict] = []

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        self.seen.append({"method": self.command, "path": self.path, "peer": self.client_address,
                          "cookie": self.headers.get("cookie"), "body": body})
        if self.path.startswith("/slow"):
            threading.Event().wait(1.0)
        if self.path == "/busy" and len(self.seen) < 3:
            return self._send(503, b'{"message": "busy"}', {"Retry-After": "0"})
        if self.path == "/cookie":
            return self._send(200, b"{}", {"Set-Cookie": "lb=sticky-1; Path=/"})
        if self.path == "/gzip":
            return self._send(200, gzip.compress(b'{"zipped": true}'),
                              {"Content-Encoding": "gzip"})
        self._send(200, json.dumps({"method": self.command, "body": body.decode()}).encode())

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer  # noqa: N815

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def server(monkeypatch):
    yield from _serving(monkeypatch, "http")


@pytest.fixture
def tls_server(monkeypatch, tmp_path):
    """``(url, CA bundle)`` of the same server behind TLS."""
    yield from _serving(monkeypatch, "https", tmp_path)


def _serving(monkeypatch, scheme: str, tmp_path=None):
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    _Handler.seen = []
    httpd = QuietServer(("127.0.0.1", 0), _Handler)
    cert = serve_tls(httpd, tmp_path) if scheme == "https" else None
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"{scheme}://127.0.0.1:{httpd.server_address[1]}"
    yield (url, cert) if cert else url
    httpd.shutdown()
    httpd.server_close()


def session(retries: Retry | int = 0) -> requests.Session:
    http = requests.Session()
    adapter = KeepAliveAdapter(max_retries=retries)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


def test_calls_of_every_method_share_one_kept_connection(server):
    http = session()
    assert http.post(server + "/a", json={"n": 1}, timeout=5).json() == {
        "method": "POST", "body": '{"n": 1}'}
    assert http.get(server + "/b?x=1", timeout=5).json()["method"] == "GET"
    assert http.put(server + "/c", data={"k": "v"}, timeout=5).json()["body"] == "k=v"
    assert http.delete(server + "/d", timeout=(2, 5)).status_code == 200
    assert [(s["method"], s["path"]) for s in _Handler.seen] == [
        ("POST", "/a"), ("GET", "/b?x=1"), ("PUT", "/c"), ("DELETE", "/d")]
    assert len({s["peer"] for s in _Handler.seen}) == 1
    http.close()


def test_head_and_streamed_replies_are_left_to_requests_own_adapter(server):
    http = session()
    head = http.head(server + "/h", timeout=5)  # its reply has a length and no body
    assert (head.status_code, head.content) == (200, b"")
    with http.get(server + "/s", stream=True, timeout=5) as streamed:
        assert b"".join(streamed.iter_content(4)) == b'{"method": "GET", "body": ""}'
    http.close()


def test_a_proxy_for_the_url_is_used_through_requests_own_adapter(server, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", server)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    http = session()
    assert http.get("http://control-plane.invalid:8080/p", timeout=5).status_code == 200
    assert _Handler.seen[0]["path"] == "http://control-plane.invalid:8080/p"
    http.close()


def test_cookies_the_server_sets_are_kept_and_sent_back(server):
    http = session()
    assert http.get(server + "/cookie", timeout=5).cookies.get("lb") == "sticky-1"
    http.get(server + "/next", timeout=5)
    assert _Handler.seen[-1]["cookie"] == "lb=sticky-1"
    http.close()


def test_a_compressed_reply_is_decoded(server):
    http = session()
    assert http.get(server + "/gzip", timeout=5).json() == {"zipped": True}
    http.close()


def test_retryable_statuses_are_retried_for_idempotent_methods_only(server):
    retry = Retry(total=3, status=3, backoff_factor=0, status_forcelist=[503],
                  raise_on_status=False)
    http = session(retry)
    assert http.post(server + "/busy", timeout=5).status_code == 503  # POST: not retried
    assert http.get(server + "/busy", timeout=5).status_code == 200  # GET: retried
    assert [s["method"] for s in _Handler.seen] == ["POST", "GET", "GET"]
    http.close()


def test_a_read_timeout_is_retried_for_a_get_and_never_for_a_post(server):
    http = session(Retry(total=1, read=1, backoff_factor=0))
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.post(server + "/slow", timeout=0.2)
    assert len(_Handler.seen) == 1
    with pytest.raises(requests.exceptions.ConnectionError):  # retries used up
        http.get(server + "/slow", timeout=0.2)
    assert len(_Handler.seen) == 3
    http.close()


def test_no_server_is_a_connection_error():
    http = session(Retry(total=2, connect=2, backoff_factor=0))
    with pytest.raises(requests.exceptions.ConnectionError, match="Max retries"):
        http.get(f"http://127.0.0.1:{unused_port()}/x", timeout=2)
    http.close()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_is_verified_against_the_bundle_requests_is_given(tls_server):
    url, cert = tls_server
    http = session()
    assert http.get(url + "/t", verify=cert, timeout=5).json()["method"] == "GET"
    assert http.get(url + "/u", verify=cert, timeout=5).status_code == 200
    assert len({s["peer"] for s in _Handler.seen}) == 1
    with pytest.raises(requests.exceptions.SSLError):  # certifi's CAs do not know it
        http.get(url + "/v", timeout=5)
    assert http.get(url + "/w", verify=False, timeout=5).status_code == 200  # left to urllib3
    http.close()
