"""Bot entity: a project's machine user (services run as one)."""

from __future__ import annotations

from typing import Any

from .base import Field
from .user import User


class Bot(User):
    """Bot entity; a ``User`` with ``password`` (only when just created) and ``org_bot``."""

    password = Field("password")
    org_bot = Field("orgBot")

    def __init__(
        self,
        client_api: Any = None,
        platform_dict: dict | None = None,
        is_fetched: bool = True,
        project: Any = None,
        users: Any = None,
        bots: Any = None,
        **values: Any,
    ):
        super().__init__(
            client_api=client_api,
            platform_dict=platform_dict,
            is_fetched=is_fetched,
            project=project,
            users=users,
            **values,
        )
        self._bots = bots

    @classmethod
    def from_json(cls, _json: dict, project: Any, client_api: Any, bots: Any = None) -> Bot:  # type: ignore[override]
        """Build a Bot from the server's JSON.

        Args:
            _json: bot JSON.
            project: the bot's project, or None.
            client_api: the ``ApiClient``.
            bots: the Bots repository to delete through (created on demand if None).
        """
        if project is None and _json.get("projectId"):
            from .project import Project

            project = Project.from_json({"id": _json["projectId"]}, client_api, is_fetched=False)
        return cls._build(_json, client_api, project=project, _bots=bots)

    @property
    def bots(self):
        """The project's Bots repository."""
        if self._bots is None:
            from ..repositories.bots import Bots

            self._bots = Bots(client_api=self._client_api, project=self.project)
        return self._bots

    def delete(self) -> bool:
        """Delete the bot (``DELETE /projects/{projectId}/bots/{botId}``); returns True."""
        return self.bots.delete(bot_id=self.id)
