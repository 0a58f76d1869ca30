"""Commands repository: read, wait for and abort long-running server operations."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import tqdm

from .. import exceptions
from ..entities.command import Command, CommandsStatus

logger = logging.getLogger("conveyor")

#: longest pause between two polls, seconds
MAX_SLEEP_TIME = 30.0


class Commands:
    """All I/O for commands.

    Args:
        client_api: the ``ApiClient``.
    """

    def __init__(self, client_api: Any):
        self._client_api = client_api

    def list(self) -> list[Command]:
        """Your commands (``GET /commands``)."""
        return [
            Command.from_json(j, self._client_api)
            for j in self._client_api.json("GET", "/commands") or []
        ]

    def get(self, command_id: str | None = None, url: str | None = None) -> Command:
        """Get a command by id, or by its ``url`` (the part after ``api/v1`` is requested).

        Raises:
            ValueError: neither ``command_id`` nor a ``url`` containing ``api/v1`` given.
        """
        if url is not None and "api/v1" in url:
            path = url.split("api/v1", 1)[1]
        elif command_id:
            path = f"/commands/{command_id}"
        else:
            raise ValueError("command_id or url: one is required (url must contain 'api/v1')")
        return Command.from_json(self._client_api.json("GET", path), self._client_api)

    def wait(
        self,
        command_id: str,
        timeout: float = 0,
        step: float | None = None,
        url: str | None = None,
        backoff_factor: float = 1,
        iteration_callback: Callable[[], Any] | None = None,
    ) -> Command:
        """Poll the command until its status is final and return it.

        Polls ``url``'s path when given (dtlpy behaviour), else ``/commands/{id}``; sleeps
        ``step`` seconds between polls, or ``backoff_factor * 2**n`` capped at 30 s.

        Raises:
            TimeoutError: ``timeout`` (> 0) seconds passed first.
            FailedDependency: the final status is not ``success`` (message has ``error``).
        """
        deadline = time.monotonic() + timeout if timeout and timeout > 0 else None
        bar = tqdm.tqdm(
            total=100,
            disable=self._client_api.verbose.disable_progress_bar,
            file=sys.stdout,
            desc=f"Command {command_id}",
        )
        tries = 1
        try:
            while True:
                command = self.get(command_id=command_id, url=url)
                _advance(bar, command)
                if not command.in_progress():
                    break
                pause = step if step is not None else min(backoff_factor * 2**tries, MAX_SLEEP_TIME)
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(
                            f"command {command.id!r} still {command.status} "
                            f"({command.progress}%) after {timeout} s"
                        )
                    pause = min(pause, left)
                if iteration_callback is not None:
                    _call_safely(iteration_callback)
                time.sleep(max(pause, 0))
                tries += 1
        finally:
            bar.close()
        self._raise_unless_success(command)
        return command

    @staticmethod
    def _raise_unless_success(command: Command) -> None:
        if command.status != CommandsStatus.SUCCESS.value:
            raise exceptions.FailedDependency(
                message=f"Command {command.id!r} {command.status}: {command.error!r}"
            )

    def abort(self, command_id: str) -> Command:
        """Ask the server to abort the command; returns the command as answered."""
        return Command.from_json(
            self._client_api.json("POST", f"/commands/{command_id}/abort"), self._client_api
        )


def _advance(bar: tqdm.tqdm, command: Command) -> None:
    bar.set_description(f"Command {command.id} ({command.status})")
    try:
        bar.update(float(command.progress or 0) - bar.n)
    except (TypeError, ValueError):
        pass  # a non-numeric progress only affects the bar


def _call_safely(callback: Callable[[], Any]) -> None:
    try:
        callback()
    except Exception as exc:  # noqa: BLE001 - a faulty callback must not stop the wait
        logger.warning("iteration_callback failed: %s", exc)
