"""Errors raised by the Conveyor SDK; one root, translated once at the HTTP boundary.

Hierarchy::

    ConveyorError                      root of every error the SDK raises on purpose
    ├── PlatformException              the server answered with a non-2xx status
    │   ├── BadRequest            400  bad input; the message names the field
    │   ├── Unauthorized          401  missing, invalid or expired token
    │   │   └── TokenExpired      600  token expired and could not be renewed (nothing sent)
    │   ├── Forbidden             403
    │   ├── NotFound              404  also for anything in a project you are not a member of
    │   ├── RequestTimeout        408
    │   ├── Conflict              409
    │   ├── FailedDependency      424  a long-running command ended without success
    │   ├── InternalServerError   500
    │   └── UnknownException           any other status
    └── ServerUnreachable              transport failure: no answer from the server URL
                                       (also a builtin ``ConnectionError``)

``PlatformException(status, message)`` builds the subclass that matches ``status``, so
``raise PlatformException('404', 'Item not found')`` is caught by ``except NotFound``.
As in dtlpy, ``status_code`` is the status as a string (``'404'``); ``status`` is the
same value as an ``int`` (``None`` when it is not numeric).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BadRequest",
    "Conflict",
    "ConveyorError",
    "FailedDependency",
    "Forbidden",
    "InternalServerError",
    "NotFound",
    "PlatformException",
    "RequestTimeout",
    "ServerUnreachable",
    "TokenExpired",
    "Unauthorized",
    "UnknownException",
    "exception_for_status",
]


class ConveyorError(Exception):
    """Root of every error the Conveyor SDK raises on purpose."""


class PlatformException(ConveyorError):
    """The server answered with a non-2xx status.

    Args:
        error: the HTTP status (``404`` or ``'404'``) or a ``requests.Response`` whose
            status and JSON ``message`` are used.
        message: human-readable explanation; for a response, its body's ``message``.
        status_code: dtlpy-style keyword alias of ``error``.

    Constructing ``PlatformException`` itself returns an instance of the subclass that
    matches the status (``UnknownException`` for statuses without a subclass).
    """

    #: default status of the class, used when none is given
    default_status: str | None = None

    def __new__(cls, error: Any = None, message: Any = None, *, status_code: Any = None):
        if cls is PlatformException:
            status, _ = _status_and_message(error if status_code is None else status_code, message)
            cls = _STATUS_TO_CLASS.get(status, UnknownException)
        return super().__new__(cls)

    def __init__(self, error: Any = None, message: Any = None, *, status_code: Any = None):
        status, text = _status_and_message(error if status_code is None else status_code, message)
        self.status_code: str | None = status if status is not None else self.default_status
        self.message: str | None = text
        super().__init__(self.status_code, self.message)

    @property
    def status(self) -> int | None:
        """The status as an ``int``, or ``None`` when it is not numeric."""
        try:
            return int(self.status_code)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None

    def __str__(self) -> str:
        return f"{self.status_code}: {self.message}"

    def __reduce__(self):
        # keep pickling (e.g. across process pools) working despite the custom __new__
        return (type(self), (self.status_code, self.message))


class BadRequest(PlatformException):
    """400: the request was invalid; the message names the offending field."""

    default_status = "400"


class Unauthorized(PlatformException):
    """401: the token is missing, invalid or expired."""

    default_status = "401"


class TokenExpired(Unauthorized):
    """The token expired and could not be renewed; the request was not sent."""

    default_status = "600"


class Forbidden(PlatformException):
    """403: the caller may not perform this operation."""

    default_status = "403"


class NotFound(PlatformException):
    """404: the entity does not exist or is in a project the caller is not a member of."""

    default_status = "404"


class RequestTimeout(PlatformException):
    """408: the server gave up waiting for the request."""

    default_status = "408"


class Conflict(PlatformException):
    """409: the request conflicts with the current state (e.g. a duplicate name)."""

    default_status = "409"


class FailedDependency(PlatformException):
    """424: a long-running command finished without success."""

    default_status = "424"


class InternalServerError(PlatformException):
    """500: the server failed while handling the request."""

    default_status = "500"


class UnknownException(PlatformException):
    """Any status without a dedicated class."""


class ServerUnreachable(ConveyorError, ConnectionError):
    """The server at ``url`` could not be reached (refused, reset, DNS or read timeout).

    Args:
        url: the URL that was requested.
        reason: what the transport reported.
    """

    def __init__(self, url: str, reason: str = ""):
        self.url = url
        self.reason = reason
        text = (
            f"Conveyor server unreachable at {url}"
            + (f" ({reason})" if reason else "")
            + ". Is it running? Start one with `conveyor up`, or point the SDK elsewhere "
            "with dl.setenv(url) or the CONVEYOR_URL environment variable."
        )
        super().__init__(text)

    def __reduce__(self):
        return (type(self), (self.url, self.reason))


_STATUS_TO_CLASS: dict[str, type[PlatformException]] = {
    "400": BadRequest,
    "401": Unauthorized,
    "403": Forbidden,
    "404": NotFound,
    "408": RequestTimeout,
    "409": Conflict,
    "424": FailedDependency,
    "500": InternalServerError,
    "600": TokenExpired,
}


def exception_for_status(status: int | str, message: str | None) -> PlatformException:
    """Return (not raise) the ``PlatformException`` subclass instance for ``status``."""
    return PlatformException(str(status), message)


def _status_and_message(error: Any, message: Any) -> tuple[str | None, str | None]:
    """Normalise ``error`` (status or response) into ``(status string, message)``."""
    if error is not None and hasattr(error, "status_code") and hasattr(error, "text"):
        return str(error.status_code), message if message is not None else _response_message(error)
    if error is None:
        return None, None if message is None else str(message)
    return str(error), None if message is None else str(message)


def _response_message(response: Any) -> str:
    """The JSON body's ``message`` (plus ``field`` when given), else the raw text."""
    try:
        body = response.json()
    except ValueError:
        return response.text
    if isinstance(body, dict) and "message" in body:
        field = body.get("field")
        text = str(body["message"])
        return f"{text} (field: {field})" if field and str(field) not in text else text
    return response.text
