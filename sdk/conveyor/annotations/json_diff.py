"""The body of an update request: what changed between the JSON received and the entity now."""

from __future__ import annotations

from typing import Any


def json_diff(origin: dict, modified: dict) -> dict:
    """Return the nested changes that turn ``origin`` into ``modified``.

    Guarantees:
        * A key whose value changed is present with its new value; nested dicts recurse,
          so unchanged siblings are not sent. Lists are compared whole and sent whole.
        * A key removed from ``modified`` is present with the value None (delete it).
        * A key added in ``modified`` is present, unless its value is None (nothing to set).
        * Equal inputs give ``{}``; neither input is modified.
    """
    diff: dict[str, Any] = {}
    for key, new in modified.items():
        if key not in origin:
            if new is not None:
                diff[key] = new
            continue
        old = origin[key]
        if isinstance(old, dict) and isinstance(new, dict):
            nested = json_diff(old, new)
            if nested:
                diff[key] = nested
        elif old != new or (type(old) is not type(new) and not _same_number(old, new)):
            diff[key] = new
    for key in origin:
        if key not in modified:
            diff[key] = None
    return diff


def _same_number(a: Any, b: Any) -> bool:
    """True for numerically equal ints and floats (1 vs 1.0 is not a change)."""
    numbers = (int, float)
    return isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(
        a, bool) and not isinstance(b, bool) and a == b
