"""HttpSession: a ``requests.Session`` that reads the environment once per server.

With ``trust_env`` (the default), requests consults the environment on every request: each
proxy variable and the ``no_proxy`` list (``get_environ_proxies``), the CA-bundle
variables, and the ``.netrc`` files. For the short calls a replica makes to the control
plane for every execution, those lookups took an eighth of the replica's CPU. This session
makes them once per scheme and host and reuses the answer, which is the one requests would
give as long as the process's environment and ``.netrc`` do not change while it runs (for
a long-running process, a change then needs a restart, as it does for most servers).

Everything else is requests' own behaviour; ``trust_env = False`` turns the environment
off entirely, as usual.
"""

from __future__ import annotations

import os
import threading
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import requests
from requests.sessions import merge_setting
from requests.utils import get_environ_proxies, get_netrc_auth


class _Environment(NamedTuple):
    proxies: dict[str, str]
    ca_bundle: str | None
    netrc_auth: Any


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """requests' auth protocol for "none": stands for "the .netrc has no entry"."""
    return request


class HttpSession(requests.Session):
    """``requests.Session`` with the environment's settings read once per scheme and host."""

    def __init__(self) -> None:
        super().__init__()
        self._environments: dict[tuple[str, str], _Environment] = {}
        self._environments_lock = threading.Lock()

    def _environment(self, url: str) -> _Environment:
        key = tuple(urlsplit(url)[:2])
        found = self._environments.get(key)
        if found is None:
            found = _Environment(get_environ_proxies(url),
                                 os.environ.get("REQUESTS_CA_BUNDLE")
                                 or os.environ.get("CURL_CA_BUNDLE"),
                                 get_netrc_auth(url) or _no_auth)
            with self._environments_lock:
                self._environments[key] = found
        return found

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        if self.trust_env and not request.auth and not self.auth:
            request.auth = self._environment(request.url).netrc_auth
        return super().prepare_request(request)

    def merge_environment_settings(self, url, proxies, stream, verify, cert) -> dict:
        # A per-request ``no_proxy`` changes the proxy answer: requests decides that one.
        if not self.trust_env or proxies is None or "no_proxy" in proxies:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        environment = self._environment(url)
        for key, value in environment.proxies.items():
            proxies.setdefault(key, value)
        if verify is True or verify is None:
            verify = environment.ca_bundle or verify
        return {"proxies": merge_setting(proxies, self.proxies),
                "stream": merge_setting(stream, self.stream),
                "verify": merge_setting(verify, self.verify),
                "cert": merge_setting(cert, self.cert)}
