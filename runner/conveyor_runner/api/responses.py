"""Ready JSON responses for the routes every execution passes through.

A route that returns a dict has FastAPI validate it against the return annotation before
encoding it -- for a plain ``def`` route in one more worker-thread hand-off. A route that
returns a ``Response`` skips that. ``json_response`` encodes the way FastAPI does (pydantic
core, NaN and infinities as null), so the bytes on the wire are the same.
"""

from __future__ import annotations

import pydantic_core
from starlette.responses import Response


def json_response(content: object, status_code: int = 200) -> Response:
    """``content`` as an ``application/json`` response."""
    return Response(pydantic_core.to_json(content, inf_nan_mode="null"),
                    status_code=status_code, media_type="application/json")
