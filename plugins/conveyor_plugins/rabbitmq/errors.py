"""Translating pika and socket errors into the runner's errors, once, with the cause chained.

Mapping::

    refused credentials (403 ACCESS_REFUSED)         -> ConfigurationError  (at any time)
    unknown or forbidden vhost (530 NOT_ALLOWED)     -> ConfigurationError  (at any time)
    host unknown, port closed, TLS mismatch          -> ConfigurationError  at start-up,
                                                        QueueUnavailableError afterwards
    connection or channel lost, broker nack, timeout -> QueueUnavailableError (retryable)

Messages name the URL without its password and say what to check.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pika.exceptions

from conveyor_runner.errors import ConfigurationError
from conveyor_runner.queue import QueueUnavailableError

_CONNECTION_ERRORS = (pika.exceptions.AMQPError, OSError)


def redact(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        port = f":{parts.port}" if parts.port else ""
        return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}{port}"))
    except ValueError:  # unparsable URL: show nothing that could hold a secret
        return "<unparsable queue URL>"


def translate(exc: BaseException, url: str, action: str, *,
              startup: bool = False) -> Exception | None:
    """The runner error for a pika/socket error raised while doing ``action``, or None.

    Args:
        url: the redacted broker URL, for the message.
        action: what was being done (``"connecting"``, ``"publishing to svc-1"``).
        startup: True while the transport is being created: an unreachable broker is
            then reported as a configuration error (fail fast with the fix).
    """
    config = _configuration_problem(exc, url)
    if config is not None:
        return ConfigurationError(config)
    if not isinstance(exc, _CONNECTION_ERRORS):
        return None
    if startup:
        return ConfigurationError(
            f"cannot connect to RabbitMQ at {url} ({_describe(exc)}); check the host, port "
            "and scheme (amqp:// or amqps://) in CONVEYOR_QUEUE_URL and that the broker runs")
    return QueueUnavailableError(f"RabbitMQ at {url} failed while {action}: {_describe(exc)}")


@contextlib.contextmanager
def translate_errors(url: str, action: str, *, startup: bool = False) -> Iterator[None]:
    """Re-raise pika/socket errors inside the block as runner errors (``from`` the cause)."""
    try:
        yield
    except Exception as exc:
        translated = translate(exc, url, action, startup=startup)
        if translated is None:
            raise
        raise translated from exc


def _configuration_problem(exc: BaseException, url: str) -> str | None:
    if isinstance(exc, (pika.exceptions.ProbableAuthenticationError,
                        pika.exceptions.AuthenticationError)) or _reply_code(exc) == 403:
        return (f"RabbitMQ at {url} refused the login ({_describe(exc)}); check the "
                "user and password in CONVEYOR_QUEUE_URL and the user's permissions")
    if isinstance(exc, pika.exceptions.ProbableAccessDeniedError) or _reply_code(exc) == 530:
        return (f"RabbitMQ at {url} refused the virtual host ({_describe(exc)}); check the "
                "vhost in CONVEYOR_QUEUE_URL (URL-encoded, '/' is %2F) and that the user "
                "may use it")
    return None


def _reply_code(exc: BaseException) -> int | None:
    if isinstance(exc, (pika.exceptions.ConnectionClosed, pika.exceptions.ChannelClosed)):
        return exc.reply_code
    return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return f"host name not found: {exc}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {exc}"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if type(exc).__name__ not in text else text
