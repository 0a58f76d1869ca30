"""Server URL normalisation: any accepted spelling -> host root and REST API base."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

#: where `conveyor up` listens when nothing else is configured
DEFAULT_URL = "http://127.0.0.1:7979"
#: path of the REST API below the host root (dtlpy's "environment" ends with it)
API_PREFIX = "/api/v1"


def normalise_root(url: str) -> str:
    """Return the host root for ``url`` (no trailing slash, no ``/api/v1``).

    Accepts ``host:port``, ``http(s)://host[:port][/prefix]`` and the same followed by
    ``/api/v1`` with or without a trailing slash. Query strings and fragments are dropped.

    Raises:
        ValueError: ``url`` is empty, not a string, or not an http(s) URL with a host.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"url: expected a server URL such as {DEFAULT_URL!r}, got {url!r}")
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"url: expected an http(s) URL with a host, got {url!r}")
    path = parts.path.rstrip("/")
    if path.endswith(API_PREFIX):
        path = path[: -len(API_PREFIX)]
    return urlunsplit((parts.scheme.lower(), parts.netloc, path.rstrip("/"), "", ""))


def api_base(root: str) -> str:
    """Return the REST API base (``<root>/api/v1``) for a normalised host root."""
    return root + API_PREFIX


def same_server(url_a: str | None, url_b: str | None) -> bool:
    """True when both URLs normalise to the same host root (invalid URLs never match)."""
    if not url_a or not url_b:
        return False
    try:
        return normalise_root(url_a) == normalise_root(url_b)
    except ValueError:
        return False
