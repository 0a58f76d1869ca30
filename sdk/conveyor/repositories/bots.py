"""Bots repository: a project's machine users."""

from __future__ import annotations

import logging
from typing import Any

from .. import exceptions
from ..entities.bot import Bot

logger = logging.getLogger("conveyor")


class Bots:
    """All I/O for bots of ``project``.

    Args:
        client_api: the ``ApiClient``.
        project: the project owning the bots.
    """

    def __init__(self, client_api: Any, project: Any):
        self._client_api = client_api
        self._project = project

    @property
    def project(self) -> Any:
        """The owning project.

        Raises:
            BadRequest: the repository has no project.
        """
        if self._project is None:
            raise exceptions.BadRequest(message="project: bots are listed through project.bots")
        return self._project

    def _entity(self, _json: dict) -> Bot:
        return Bot.from_json(
            _json=_json, project=self._project, client_api=self._client_api, bots=self
        )

    def list(self) -> list[Bot]:
        """The project's bots (``GET /projects/{id}/bots``)."""
        found = self._client_api.json("GET", f"/projects/{self.project.id}/bots") or []
        return [self._entity(j) for j in found]

    def get(
        self, bot_email: str | None = None, bot_id: str | None = None, bot_name: str | None = None
    ) -> Bot:
        """Get a bot by id, or by e-mail / name among the project's bots.

        Raises:
            NotFound: no matching bot.
            ValueError: no identifier given.
        """
        if bot_id is None:
            if bot_email is None and bot_name is None:
                raise ValueError("bot_id, bot_email or bot_name: one is required")
            match = [
                b
                for b in self.list()
                if (bot_email is not None and b.email == bot_email)
                or (bot_name is not None and bot_name in (b.name, b.username))
            ]
            if not match:
                raise exceptions.NotFound(message=f"Bot not found: {bot_email or bot_name!r}")
            bot_id = match[0].id
        return self._entity(
            self._client_api.json("GET", f"/projects/{self.project.id}/bots/{bot_id}")
        )

    def delete(self, bot_id: str | None = None, bot_email: str | None = None) -> bool:
        """Delete a bot (``DELETE /projects/{id}/bots/{botId}``); returns True."""
        if bot_id is None:
            bot_id = self.get(bot_email=bot_email).id
        self._client_api.request("DELETE", f"/projects/{self.project.id}/bots/{bot_id}")
        return True

    def create(self, name: str, return_credentials: bool = False) -> None:
        """Deprecated, as in dtlpy: bots are created by the server. Warns and returns None."""
        logger.warning("bots.create is deprecated: the server assigns a bot to each service")
        return None
