"""Parsing ``amqp://`` / ``amqps://`` queue URLs into pika parameters and our settings.

Our own settings travel in the URL query next to pika's (``heartbeat``,
``blocked_connection_timeout``, ``ssl_options``, ...): they are taken out before the rest
goes to :class:`pika.URLParameters`, which rejects names it does not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pika

from conveyor_plugins.rabbitmq.errors import redact
from conveyor_runner.errors import ConfigurationError

#: Seconds ``publish`` keeps retrying through a broker outage before giving up.
DEFAULT_PUBLISH_TIMEOUT = 30.0
QUEUE_TYPES = ("classic", "quorum")
_OURS = ("publish_timeout", "queue_type")


@dataclass(frozen=True)
class RabbitmqSettings:
    """What an ``amqp(s)://`` queue URL selects.

    Attributes:
        parameters: pika connection parameters (host, port, vhost, credentials, TLS, ...).
        redacted_url: the URL with its password replaced by ``***``, for messages.
        publish_timeout: seconds a publish may wait for the broker (reconnects included).
        queue_type: ``"classic"`` (default) or ``"quorum"``, for queues this transport creates.
    """

    parameters: pika.URLParameters
    redacted_url: str
    publish_timeout: float = DEFAULT_PUBLISH_TIMEOUT
    queue_type: str = "classic"


def parse_url(url: str) -> RabbitmqSettings:
    """Split ``url`` into pika parameters and Conveyor's own settings.

    Raises:
        ConfigurationError: not an ``amqp://``/``amqps://`` URL, or a setting (ours or
            pika's) has a bad name or value; the message names it (never the password).
    """
    shown = redact(url)
    parts = urlsplit(url)
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise ConfigurationError(
            f"queue URL {shown!r} is not amqp://user:password@host:port/vhost; set "
            "CONVEYOR_QUEUE_URL to e.g. amqp://guest:guest@127.0.0.1:5672/%2F")
    query = parse_qsl(parts.query, keep_blank_values=True)
    ours = {key: value for key, value in query if key in _OURS}
    rest = urlunsplit(parts._replace(query=urlencode([(k, v) for k, v in query
                                                      if k not in _OURS])))
    try:
        parameters = pika.URLParameters(rest)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"queue URL {shown!r} has a bad setting: {exc}") from exc
    queue_type = ours.get("queue_type", "classic").lower()
    if queue_type not in QUEUE_TYPES:
        raise ConfigurationError(
            f"queue URL setting queue_type={queue_type!r} must be 'classic' or 'quorum'")
    return RabbitmqSettings(parameters=parameters, redacted_url=redact(rest),
                            publish_timeout=_positive(ours, "publish_timeout",
                                                      DEFAULT_PUBLISH_TIMEOUT),
                            queue_type=queue_type)


def _positive(options: dict[str, str], name: str, default: float) -> float:
    raw = options.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ConfigurationError(
            f"queue URL setting {name}={raw!r} must be a positive number of seconds")
    return value
