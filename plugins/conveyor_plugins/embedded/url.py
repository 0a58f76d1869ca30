"""Parsing ``embedded:///absolute/path/queue.db?setting=value`` URLs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from conveyor_runner.errors import ConfigurationError

#: RabbitMQ's default consumer timeout, so that both transports behave alike by default.
DEFAULT_DELIVERY_TIMEOUT = 1800.0

_EXAMPLE = "embedded:///var/lib/conveyor/queue.db"


@dataclass(frozen=True)
class EmbeddedSettings:
    """What an embedded queue URL selects.

    Attributes:
        path: the SQLite file.
        synchronous: ``"normal"`` or ``"full"`` (see :func:`schema.connect`).
        poll_interval: seconds between checks for changes made by other processes.
        delivery_timeout: default for queues declared without one, in seconds.
    """

    path: Path
    synchronous: str = "normal"
    poll_interval: float = 0.2
    delivery_timeout: float = DEFAULT_DELIVERY_TIMEOUT


def parse_url(url: str) -> EmbeddedSettings:
    """Read the file path and settings from an ``embedded://`` URL.

    Raises:
        ConfigurationError: the URL is not ``embedded:///<absolute path>``, names an
            unknown setting, or gives a setting a bad value; the message says which.
    """
    parsed = urlparse(url)
    path = unquote(parsed.path)
    if parsed.scheme != "embedded" or parsed.netloc or not path.startswith("/"):
        raise ConfigurationError(
            f"queue URL {url!r} is not embedded:///<absolute path>; use e.g. {_EXAMPLE}")
    options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    unknown = sorted(set(options) - {"synchronous", "poll_interval", "delivery_timeout"})
    if unknown:
        raise ConfigurationError(
            f"queue URL {url!r} has unknown setting(s) {', '.join(unknown)}; known: "
            "synchronous, poll_interval, delivery_timeout")
    synchronous = options.get("synchronous", "normal").lower()
    if synchronous not in ("normal", "full"):
        raise ConfigurationError(
            f"queue URL setting synchronous={synchronous!r} must be 'normal' or 'full'")
    return EmbeddedSettings(
        path=Path(path), synchronous=synchronous,
        poll_interval=_positive(options, "poll_interval", 0.2),
        delivery_timeout=_positive(options, "delivery_timeout", DEFAULT_DELIVERY_TIMEOUT))


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
