"""Exception handlers: every error becomes JSON ``{"message", "field"?}`` with its status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from conveyor_runner.control.dql import DqlError
from conveyor_runner.errors import RequestError, RunnerError

log = logging.getLogger(__name__)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(RequestError, _request_error)
    app.add_exception_handler(DqlError, _dql_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RunnerError, _runner_error)


def error_response(status: int, message: str, field: str | None = None) -> JSONResponse:
    """The one error body shape of the API."""
    body = {"message": message, "status": status}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status)


async def _request_error(_request: Request, exc: RequestError) -> JSONResponse:
    return error_response(exc.status_code, exc.message, exc.field)


async def _dql_error(_request: Request, exc: DqlError) -> JSONResponse:
    return error_response(400, str(exc), getattr(exc, "field", None))


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0]
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    field = ".".join(location) or "body"
    message = first.get("msg", "invalid value")
    if first.get("type") == "missing":
        message = "field required"
    return error_response(400, f"{field}: {message}", field)


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return error_response(exc.status_code, str(exc.detail))


async def _runner_error(_request: Request, exc: RunnerError) -> JSONResponse:
    log.error("request failed: %s", exc)
    return error_response(500, str(exc))
