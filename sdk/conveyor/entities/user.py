"""User entity: a person (or bot) as seen by a project."""

from __future__ import annotations

from typing import Any

from .base import BaseEntity, Field


class User(BaseEntity):
    """User entity; ``name`` is the JSON ``firstName``."""

    _repr_fields = ("id", "email", "role")

    created_at = Field("createdAt")
    updated_at = Field("updatedAt")
    name = Field("firstName")
    last_name = Field("lastName")
    username = Field("username")
    avatar = Field("avatar")
    email = Field("email")
    role = Field("role")
    type = Field("type")
    org = Field("org")
    id = Field("id")

    def __init__(
        self,
        client_api: Any = None,
        platform_dict: dict | None = None,
        is_fetched: bool = True,
        project: Any = None,
        users: Any = None,
        **values: Any,
    ):
        super().__init__(
            client_api=client_api, platform_dict=platform_dict, is_fetched=is_fetched, **values
        )
        #: the project through which the user was listed (may be None)
        self.project = project
        self._users = users

    @classmethod
    def from_json(cls, _json: dict, project: Any, client_api: Any, users: Any = None) -> User:
        """Build a User from the server's JSON.

        Args:
            _json: user JSON.
            project: project through which the user was listed, or None.
            client_api: the ``ApiClient``.
            users: unused; kept for dtlpy compatibility.
        """
        return cls._build(_json, client_api, project=project, _users=users)
