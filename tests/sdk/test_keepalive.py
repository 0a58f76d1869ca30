"""KeepAlivePool against real HTTP/1.1 servers: reuse, idle connections the server closed,
chunked replies, broken replies, failures told apart, and TLS with its verification."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from conveyor.client.keepalive import ConnectFailed, KeepAlivePool, ReplyFailed, TlsFailed
from tests.sdk.local_http import QuietServer, serve_tls, unused_port


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless a reply says otherwise
    peers: list[tuple] = []
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.peers.append(self.client_address)
        self.requests.append({"path": self.path, "host": self.headers.get("host"),
                              "auth": self.headers.get("authorization"),
                              "call": self.headers.get("x-call"), "body": body})
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for part in (b'{"parts":', b'[1,2', b",3]}"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path == "/slow":
            threading.Event().wait(1.0)
        if self.path == "/broken":  # promises more than it sends, then hangs up
            self.send_response(200)
            self.send_header("content-length", "100")
            self.end_headers()
            self.wfile.write(b"{")
            self.close_connection = True
            return
        reply = json.dumps({"echo": json.loads(body or b"null")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
        # /hang-up-after: answers in full, keep-alive, then closes as an idle timeout would
        self.close_connection = self.path == "/hang-up-after"

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def server():
    _Handler.peers, _Handler.requests = [], []
    httpd = QuietServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _url(httpd, scheme="http") -> str:
    return f"{scheme}://127.0.0.1:{httpd.server_address[1]}"


def test_calls_reuse_one_connection_and_carry_the_headers(server):
    pool = KeepAlivePool(_url(server) + "/ignored", {"authorization": "Bearer t"})
    for n in range(3):
        reply = pool.request("POST", "/api/x", json.dumps({"n": n}).encode(), 5,
                             headers=[("x-call", str(n))])
        assert (reply.status, reply.body) == (200, json.dumps({"echo": {"n": n}}).encode())
        assert ("Content-Type", "application/json") in reply.headers
    assert len(set(_Handler.peers)) == 1
    assert _Handler.requests[0] == {"path": "/api/x",
                                    "host": f"127.0.0.1:{server.server_address[1]}",
                                    "auth": "Bearer t", "call": "0", "body": b'{"n": 0}'}
    pool.close()


def test_a_connection_the_server_closed_while_idle_is_replaced(server):
    pool = KeepAlivePool(_url(server), {})
    assert pool.request("POST", "/hang-up-after", b"1", 5).status == 200
    threading.Event().wait(0.2)  # the server's close arrives
    assert pool.request("POST", "/again", b"2", 5).body == b'{"echo": 2}'
    assert len(set(_Handler.peers)) == 2
    pool.close()


def test_a_chunked_reply_is_put_together(server):
    pool = KeepAlivePool(_url(server), {})
    assert pool.request("POST", "/chunked", None, 5).body == b'{"parts":[1,2,3]}'
    assert pool.request("POST", "/after", b"0", 5).body == b'{"echo": 0}'
    assert len(set(_Handler.peers)) == 1  # a complete chunked reply leaves it reusable
    pool.close()


def test_a_reply_cut_short_fails_and_the_next_call_gets_a_new_connection(server):
    pool = KeepAlivePool(_url(server), {})
    with pytest.raises(ReplyFailed, match="closed the connection"):
        pool.request("POST", "/broken", None, 5)
    assert pool.request("POST", "/after", b"1", 5).body == b'{"echo": 1}'
    assert len(set(_Handler.peers)) == 2
    pool.close()


def test_not_an_http_url_is_refused():
    with pytest.raises(ValueError, match="not an http"):
        KeepAlivePool("ftp://example.com", {})


@pytest.fixture
def tls_server(tmp_path, server):
    """``server`` behind TLS with a self-signed certificate for 127.0.0.1."""
    return server, serve_tls(server, tmp_path)


def test_tls_is_verified_against_the_ca_bundle(tls_server):
    httpd, cert = tls_server
    trusting = KeepAlivePool(_url(httpd, "https"), {}, ca_certs=cert)
    assert trusting.request("POST", "/x", b"7", 5).body == b'{"echo": 7}'
    assert trusting.request("POST", "/y", b"8", 5).body == b'{"echo": 8}'
    assert len(set(_Handler.peers)) == 1
    trusting.close()
    distrusting = KeepAlivePool(_url(httpd, "https"), {})  # the system's CAs only
    with pytest.raises(TlsFailed, match="(?i)certificate verify failed"):
        distrusting.request("POST", "/x", b"7", 5)


def test_no_connection_and_no_reply_are_told_apart(server):

    with pytest.raises(ConnectFailed, match="cannot connect") as refused:
        KeepAlivePool(f"http://127.0.0.1:{unused_port()}", {}).request("POST", "/x", b"", 2)
    assert not refused.value.timeout
    with pytest.raises(ReplyFailed, match="timed out") as late:
        KeepAlivePool(_url(server), {}).request("POST", "/slow", b"", 0.2)
    assert late.value.timeout
