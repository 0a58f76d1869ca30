"""The runner's errors: one root, translated to HTTP once in ``api.errors``.

Hierarchy::

    RunnerError
      ConfigurationError        bad settings; fail at start-up with the fix
      PluginError
        PluginNotFoundError     a name no installed plugin registers
        PluginConflictError     two plugins register the same name
      RequestError              the caller's fault (maps to 4xx)
        InvalidInputError       400, names the offending field
        AuthenticationError     401
        PermissionDeniedError   403
        NotFoundError           404 (also for anything outside the caller's projects)
        ConflictError           409
      StorageError              a storage driver failed (maps to 500)
"""

from __future__ import annotations


class RunnerError(Exception):
    """Root of every error the runner raises on purpose."""


class ConfigurationError(RunnerError):
    """Settings are wrong; the message says which one and how to fix it."""


class PluginError(RunnerError):
    """A plugin could not be found, loaded or registered."""


class PluginNotFoundError(PluginError):
    """No installed plugin registers the requested name."""


class PluginConflictError(PluginError):
    """Two plugins register the same name for the same role."""


class RequestError(RunnerError):
    """An error caused by the request; carries the HTTP status it maps to."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInputError(RequestError):
    """A field is missing, of the wrong type or out of range."""

    status_code = 400


class AuthenticationError(RequestError):
    """The token is missing, malformed, expired or wrongly signed."""

    status_code = 401


class PermissionDeniedError(RequestError):
    """The caller is known but may not do this."""

    status_code = 403


class NotFoundError(RequestError):
    """The entity does not exist or is not visible to the caller."""

    status_code = 404


class ConflictError(RequestError):
    """The request conflicts with existing state (e.g. a duplicate name)."""

    status_code = 409


class StorageError(RunnerError):
    """A storage driver failed to store or read a binary."""
