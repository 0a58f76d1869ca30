"""HTTP byte ranges for item downloads (``Range: bytes=N-`` and ``bytes=N-M``)."""

from __future__ import annotations

import re

from conveyor_runner.errors import RequestError

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiableError(RequestError):
    """The requested range lies outside the object."""

    status_code = 416


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end_inclusive)`` for a single-range header, None for the whole object.

    Raises:
        RangeNotSatisfiableError: the start is at or past the end of a non-empty object.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None  # unsupported forms (multi-range) get the whole object, as RFC 9110 allows
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if size == 0 and start == 0:
        return None
    if start >= size or start > end:
        raise RangeNotSatisfiableError(f"Range: {header!r} is outside the {size} bytes")
    return start, end
