"""HttpCalls against a real HTTP server: JSON both ways, statuses, failures, proxies."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conveyor_runner.http_calls import CallFailed, HttpCalls
from conveyor_runner.testing.services import free_port


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.seen.append({"path": self.path, "auth": self.headers.get("authorization"),
                          "type": self.headers.get("content-type"), "body": body})
        if self.path.endswith("/slow"):
            threading.Event().wait(1.0)
        status = 404 if self.path.endswith("/missing") else 200
        reply = (json.dumps({"message": "no such thing"}) if status == 404
                 else json.dumps({"echo": json.loads(body or b"null")})).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def server():
    _Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_json_goes_both_ways_with_the_headers(server, monkeypatch):
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    calls = HttpCalls(server + "/api/v1/", {"authorization": "Bearer t"})
    reply = calls.call("post", "/things", {"a": [1, "é"]}, timeout=5)
    assert (reply.status, reply.json()) == (200, {"echo": {"a": [1, "é"]}})
    assert _Recorder.seen == [{"path": "/api/v1/things", "auth": "Bearer t",
                               "type": "application/json",
                               "body": json.dumps({"a": [1, "é"]}, separators=(",", ":"))
                               .encode()}]
    missing = calls.call("post", "/missing", None, timeout=5)
    assert (missing.status, missing.message()) == (404, "no such thing")
    calls.close()


def test_no_answer_is_call_failed(server):
    calls = HttpCalls(server, {})
    with pytest.raises(CallFailed, match="(?i)timed? ?out"):
        calls.call("post", "/slow", {}, timeout=0.2)
    closed = HttpCalls(f"http://127.0.0.1:{free_port()}", {})
    with pytest.raises(CallFailed, match="(?i)refused|NewConnectionError"):
        closed.call("post", "/x", {}, timeout=2)


def test_the_environment_proxy_carries_the_calls(server, monkeypatch):
    """The proxy named for the server's scheme gets the request, with the absolute URL."""
    monkeypatch.setenv("HTTP_PROXY", server)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    calls = HttpCalls("http://control-plane.invalid:8080/api/v1", {})
    assert calls.call("post", "/x", {"n": 1}, timeout=5).json() == {"echo": {"n": 1}}
    assert _Recorder.seen[0]["path"] == "http://control-plane.invalid:8080/api/v1/x"
    monkeypatch.setenv("NO_PROXY", "control-plane.invalid")
    bypassing = HttpCalls("http://control-plane.invalid:8080/api/v1", {})
    with pytest.raises(CallFailed):  # straight to a host that does not exist
        bypassing.call("post", "/x", {}, timeout=2)
