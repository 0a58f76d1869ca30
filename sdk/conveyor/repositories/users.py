"""Users repository: the logged-in user."""

from __future__ import annotations

from typing import Any

from ..entities.user import User


class Users:
    """All I/O for users.

    Args:
        client_api: the ``ApiClient``.
        project: the project through which users are seen (may be None).
    """

    def __init__(self, client_api: Any, project: Any = None):
        self._client_api = client_api
        self._project = project

    def me(self) -> User:
        """The user the token belongs to (``GET /users/me``)."""
        return User.from_json(
            self._client_api.json("GET", "/users/me"),
            project=self._project,
            client_api=self._client_api,
            users=self,
        )
