"""A tiny real HTTP server in a thread, for SDK tests that need no Conveyor server.

Tests register handlers per ``(METHOD, path regex)`` and read back every request the SDK
sent (method, path, query, headers, raw body, parsed JSON). Import the fixtures into a
test module with ``from tests.sdk.http_stub import stub, client, make_token  # noqa: F401``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from conveyor.client import ApiClient


@dataclass
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    @property
    def json(self) -> Any:
        """The body parsed as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    """What a handler answers; ``body`` may be JSON-able, bytes, or an iterable of chunks."""

    status: int = 200
    body: Any = None
    headers: dict = field(default_factory=dict)
    #: close the connection after sending this many body bytes (simulates a cut stream)
    cut_after: int | None = None


Handler = Callable[[Recorded, re.Match], Reply]


class StubServer:
    """Threaded HTTP server answering from registered handlers; 404 JSON otherwise."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        stub = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _handle(self) -> None:
                stub._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        """Host root, e.g. ``http://127.0.0.1:54321``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, pattern: str, handler: Handler | Reply) -> None:
        """Answer ``method`` requests whose path fully matches ``pattern`` (latest wins)."""
        fn = handler if callable(handler) else (lambda _req, _m, reply=handler: reply)
        self.routes.insert(0, (method.upper(), re.compile(pattern), fn))

    def sent(self, method: str | None = None, pattern: str | None = None) -> list[Recorded]:
        """Recorded requests, optionally filtered by method and full-match path pattern."""
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (pattern is None or re.fullmatch(pattern, r.path))
            ]

    def _dispatch(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        rec = Recorded(
            h.command,
            parts.path,
            parse_qs(parts.query),
            {k.lower(): v for k, v in h.headers.items()},
            body,
        )
        with self._lock:
            self.requests.append(rec)
        for method, pattern, fn in self.routes:
            match = pattern.fullmatch(parts.path)
            if method == h.command and match:
                return _send(h, fn(rec, match))
        return _send(h, Reply(404, {"message": f"no route for {h.command} {parts.path}"}))

    def __enter__(self) -> StubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()


def _send(h: BaseHTTPRequestHandler, reply: Reply) -> None:
    body = reply.body
    headers = dict(reply.headers)
    if body is None:
        data = b""
    elif isinstance(body, (bytes, bytearray)):
        data = bytes(body)
    else:
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    h.send_response(reply.status)
    for key, value in headers.items():
        h.send_header(key, value)
    h.send_header("Content-Length", str(len(data)))
    if reply.cut_after is not None:
        h.send_header("Connection", "close")
    h.end_headers()
    if reply.cut_after is not None:
        h.wfile.write(data[: reply.cut_after])
        h.wfile.flush()
        h.close_connection = True
        time.sleep(0.05)
        h.connection.shutdown(2)  # the client sees a stream shorter than Content-Length
        return
    h.wfile.write(data)


def make_token(email: str = "user@example.com", ttl: float = 3600, **claims: Any) -> str:
    """An HS256 JWT with ``sub``, ``email`` and ``exp = now + ttl`` (the SDK never verifies it)."""
    payload = {"sub": "0" * 24, "email": email, "exp": int(time.time() + ttl), **claims}
    return jwt.encode(payload, "conveyor-sdk-tests-signing-key-32bytes!", algorithm="HS256")


@pytest.fixture
def stub():
    """A running ``StubServer``."""
    with StubServer() as server:
        yield server


@pytest.fixture
def client(stub):
    """An ``ApiClient`` bound to the stub with a valid token and no retries."""
    return ApiClient(url=stub.url, token=make_token(), retries=0)
