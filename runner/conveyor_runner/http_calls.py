"""HttpCalls: the small JSON calls a replica makes to the control plane.

The agent's claims, results and heartbeats and the queue gateway client's receives are a
few small JSON requests per execution. Through ``requests`` each cost about a millisecond
of the replica's CPU, more than half of it in requests' own layers (merging the session
into the request, preparing it, wrapping the response); urllib3's layers and
http.client's header parsing were most of the rest. They go through a ``KeepAlivePool``
(``conveyor.client.keepalive``: one write per request, replies parsed by httptools),
unless the environment names a proxy for the control plane's URL (read once): then
urllib3's ``ProxyManager`` carries them. For HTTPS, the server is verified against the CA
bundle requests would use (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, else certifi's).
No redirects are followed and nothing is retried here: callers own their retry policy.

Thread-safe: one connection pool shared by every thread.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3
from requests.utils import get_environ_proxies

from conveyor.client.keepalive import KeepAlivePool, PoolError
from conveyor_runner.errors import RunnerError

#: Longest wait for a connection to open (a request's own timeout bounds the rest).
CONNECT_TIMEOUT = 10.0


class CallFailed(RunnerError):
    """No answer: the connection failed or the timeout passed (the message says which)."""


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: its status and body."""

    status: int
    data: bytes

    def json(self) -> Any:
        """The body parsed as JSON (an empty body is ``{}``)."""
        return json.loads(self.data) if self.data else {}

    def message(self) -> str:
        """The server's ``message`` if the body is a JSON error, else the body's start."""
        text = self.data.decode("utf-8", "replace")
        try:
            return str(json.loads(text).get("message") or text[:300])
        except (ValueError, AttributeError):
            return text[:300]


class HttpCalls:
    """JSON calls to one server.

    Args:
        base_url: prefix of every call's path (``http(s)://host:port/api/v1``).
        headers: sent with every call (the ``authorization`` header, say).
        pool_size: connections kept open to the server.
    """

    def __init__(self, base_url: str, headers: dict[str, str], pool_size: int = 64) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"content-type": "application/json", "accept": "application/json",
                         **headers}
        scheme = urlsplit(self.base_url).scheme
        proxies = get_environ_proxies(self.base_url)
        proxy = proxies.get(scheme) or proxies.get("all")
        ca_certs = None
        if scheme == "https":
            ca_certs = (os.environ.get("REQUESTS_CA_BUNDLE")
                        or os.environ.get("CURL_CA_BUNDLE") or certifi.where())
        self._target = urlsplit(self.base_url).path  # the path prefix of every request
        self._direct: KeepAlivePool | None = None
        self._proxied: urllib3.ProxyManager | None = None
        if proxy:
            self._proxied = urllib3.ProxyManager(proxy, maxsize=pool_size, block=False,
                                                 retries=False, ca_certs=ca_certs)
        else:
            self._direct = KeepAlivePool(self.base_url, self._headers, ca_certs=ca_certs,
                                         max_idle=pool_size, connect_timeout=CONNECT_TIMEOUT)

    def call(self, method: str, path: str, body: Any, timeout: float) -> Reply:
        """Send ``body`` as JSON (None: no body) and return the reply, whatever its status.

        Raises:
            CallFailed: no reply (connection refused or lost, timeout).
        """
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        if self._direct is not None:
            try:
                reply = self._direct.request(method.upper(), self._target + path, data,
                                             timeout)
            except PoolError as exc:
                raise CallFailed(str(exc)) from exc
            return Reply(reply.status, reply.body)
        try:
            response = self._proxied.urlopen(
                method.upper(), self.base_url + path, body=data, headers=self._headers,
                timeout=urllib3.Timeout(connect=min(timeout, CONNECT_TIMEOUT), read=timeout),
                retries=False, redirect=False, preload_content=True)
        except urllib3.exceptions.HTTPError as exc:
            raise CallFailed(f"{type(exc).__name__}: {exc}") from exc
        return Reply(response.status, response.data)

    def close(self) -> None:
        """Close the pooled connections."""
        if self._direct is not None:
            self._direct.close()
        else:
            self._proxied.clear()
