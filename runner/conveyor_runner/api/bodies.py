"""Request-body helpers for routes that accept JSON or form encodings (dtlpy sends both)."""

from __future__ import annotations

import json
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from conveyor_runner.errors import InvalidInputError

M = TypeVar("M", bound=BaseModel)


async def read_body(request: Request) -> dict:
    """The body as a dict, whether JSON or form-encoded; ``{}`` when empty.

    Raises:
        InvalidInputError: malformed JSON or a JSON body that is not an object.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return dict(form.items())
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise InvalidInputError(f"body: not valid JSON ({exc})", field="body") from None
    if not isinstance(body, dict):
        raise InvalidInputError("body: expected a JSON object", field="body")
    return body


def validate(model: type[M], body: dict) -> M:
    """Validate ``body`` into ``model``; the first problem becomes a 400 naming the field."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        message = "field required" if first["type"] == "missing" else first["msg"]
        raise InvalidInputError(f"{field}: {message}", field=field) from None
