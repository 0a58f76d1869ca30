"""Command entity: a long-running server operation (clone, export, batch execute, ...)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from .base import BaseEntity, Field


class CommandsStatus(str, Enum):
    """Command status values (wire values)."""

    CREATED = "created"
    MAKING_CHILDREN = "making-children"
    WAITING_CHILDREN = "waiting-children"
    IN_PROGRESS = "in-progress"
    ABORTED = "aborted"
    CANCELED = "canceled"
    FINALIZING = "finalizing"
    SUCCESS = "success"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CLEANING_UP = "cleaning-up"
    ON_ERROR = "on-error"


#: statuses after which a command never changes again
FINAL_STATUSES = frozenset(
    {
        CommandsStatus.SUCCESS,
        CommandsStatus.FAILED,
        CommandsStatus.TIMEOUT,
        CommandsStatus.CANCELED,
        CommandsStatus.ABORTED,
    }
)


class Command(BaseEntity):
    """Command entity; ``spec`` carries the result keys (e.g. ``returnedModelId``)."""

    _repr_fields = ("id", "type", "status", "progress")

    id = Field("id")
    url = Field("url")
    status = Field("status")
    created_at = Field("createdAt")
    updated_at = Field("updatedAt")
    type = Field("type")
    progress = Field("progress")
    spec = Field("spec")
    error = Field("error")

    @classmethod
    def from_json(cls, _json: dict, client_api: Any, is_fetched: bool = True) -> Command:
        """Build a Command from the server's JSON."""
        return cls._build(_json, client_api, is_fetched=is_fetched)

    @property
    def commands(self):
        """The Commands repository."""
        from ..repositories.commands import Commands

        return self._relation("commands", lambda: Commands(client_api=self._client_api))

    @property
    def path(self) -> str:
        """API path to poll: the part of ``url`` after ``api/v1``, else ``/commands/{id}``."""
        if isinstance(self.url, str) and "api/v1" in self.url:
            return self.url.split("api/v1", 1)[1]
        return f"/commands/{self.id}"

    def in_progress(self) -> bool:
        """True while the status is not final.

        Raises:
            ValueError: the status is not a ``CommandsStatus`` value.
        """
        try:
            status = CommandsStatus(self.status)
        except ValueError:
            raise ValueError(f"status: {self.status!r} is not a valid CommandsStatus") from None
        return status not in FINAL_STATUSES

    def wait(
        self,
        timeout: float = 0,
        step: float | None = None,
        backoff_factor: float = 1,
        iteration_callback: Callable[[], Any] | None = None,
    ) -> Command:
        """Poll until the command is final; return the final Command.

        Args:
            timeout: seconds before ``TimeoutError``; 0 waits forever.
            step: fixed seconds between polls; default is backoff 2, 4, ... capped at 30 s.
            backoff_factor: multiplier of the default backoff.
            iteration_callback: called after every poll that is not final.

        Raises:
            FailedDependency: the command ended with a status other than ``success``.
            TimeoutError: ``timeout`` elapsed first.
        """
        if not self.in_progress():
            self.commands._raise_unless_success(self)
            return self
        return self.commands.wait(
            command_id=self.id,
            timeout=timeout,
            step=step,
            url=self.url,
            backoff_factor=backoff_factor,
            iteration_callback=iteration_callback,
        )

    def abort(self) -> Command:
        """Ask the server to abort the command (``POST /commands/{id}/abort``)."""
        return self.commands.abort(command_id=self.id)
