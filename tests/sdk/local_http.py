"""Local HTTP servers for tests of HTTP clients: quiet about clients that hang up, and
behind TLS with a self-signed certificate for 127.0.0.1; and a port nothing listens on.
(The SDK's tests need no part of the runner, so none of its testing helpers.)"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest


class QuietServer(ThreadingHTTPServer):
    """A threading HTTP server that does not print a client hanging up mid-reply (tests
    of timeouts do that on purpose)."""

    def handle_error(self, request, client_address):
        pass


def serve_tls(httpd, directory: Path) -> str:
    """Put ``httpd`` (a socketserver server, not yet serving) behind TLS with a new
    self-signed certificate for 127.0.0.1; returns the certificate's path, the CA bundle
    that trusts it. Skips the test where openssl is missing."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    return str(cert)


def unused_port() -> int:
    """A local port nothing listens on now (connecting to it is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
