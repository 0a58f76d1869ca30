"""Project entity: the unit of membership that owns datasets, packages and services."""

from __future__ import annotations

from enum import Enum
from typing import Any

from .base import BaseEntity, Field, Timestamped


class MemberRole(str, Enum):
    """Role of a project member (wire values as in dtlpy)."""

    OWNER = "owner"
    DEVELOPER = "engineer"
    ANNOTATOR = "annotator"
    ANNOTATION_MANAGER = "annotationManager"


class Project(Timestamped, BaseEntity):
    """Project entity.

    A stub (``Project.from_json({'id': ...}, client_api, is_fetched=False)``) fetches the
    full project with ``GET /projects/{id}`` the first time a missing attribute is read.
    """

    contributors = Field("contributors")
    created_at = Field("createdAt")
    creator = Field("creator")
    id = Field("id")
    url = Field("url")
    name = Field("name")
    org = Field("org")
    updated_at = Field("updatedAt")
    role = Field("role")
    account = Field("account")
    is_blocked = Field("isBlocked")
    archived = Field("archived")
    feature_constraints = Field("featureConstraints")
    system_project = Field("systemProject")

    @classmethod
    def from_json(cls, _json: dict, client_api: Any, is_fetched: bool = True) -> Project:
        """Build a Project from the server's JSON.

        Args:
            _json: project JSON (``{'id': ...}`` is enough for a lazy stub).
            client_api: the ``ApiClient``.
            is_fetched: False for a stub that fetches itself when a missing field is read.
        """
        return cls._build(_json, client_api, is_fetched=is_fetched)

    def _fetch_json(self) -> dict:
        return self.projects._get_json(self.id)

    # dtlpy camelCase aliases
    @property
    def isBlocked(self) -> Any:  # noqa: N802 - dtlpy name
        """dtlpy alias of ``is_blocked``."""
        return self.is_blocked

    # ------------------------------------------------------------ repositories
    @property
    def projects(self):
        """Projects repository (client-wide)."""
        from ..repositories.projects import Projects

        return self._relation("projects", lambda: Projects(client_api=self._client_api))

    @property
    def datasets(self):
        """Datasets repository scoped to this project."""
        from ..repositories.datasets import Datasets

        return self._relation(
            "datasets", lambda: Datasets(client_api=self._client_api, project=self)
        )

    @property
    def items(self):
        """Items repository for items of this project (``get(item_id=...)`` only)."""
        from ..repositories.items import Items

        return self._relation("items", lambda: Items(client_api=self._client_api, project=self))

    @property
    def bots(self):
        """Bots repository of this project."""
        from ..repositories.bots import Bots

        return self._relation("bots", lambda: Bots(client_api=self._client_api, project=self))

    # ---------------------------------------------------------------- actions
    def delete(self, sure: bool = False, really: bool = False) -> bool:
        """Delete the project forever; requires ``sure=True`` and ``really=True``.

        Returns:
            True once the server confirmed the deletion.
        """
        return self.projects.delete(project_id=self.id, sure=sure, really=really)

    def update(self, system_metadata: bool = False) -> Project:
        """Send the project's JSON with ``PATCH /projects/{id}``; returns this project."""
        return self.projects.update(project=self, system_metadata=system_metadata)

    def checkout(self) -> None:
        """Make this the default project of ``dl.datasets`` (local state only)."""
        self.projects.checkout(project=self)

    def list_members(self, role: MemberRole | None = None) -> list:
        """Members of the project as ``User`` entities, optionally only those with ``role``."""
        return self.projects.list_members(project=self, role=role)

    def add_member(self, email: str, role: MemberRole = MemberRole.DEVELOPER) -> dict:
        """Add the user ``email`` with ``role``; returns the member JSON."""
        return self.projects.add_member(email=email, project_id=self.id, role=role)

    def update_member(self, email: str, role: MemberRole = MemberRole.DEVELOPER) -> dict:
        """Change the role of member ``email``; returns the member JSON."""
        return self.projects.update_member(email=email, project_id=self.id, role=role)

    def remove_member(self, email: str) -> dict:
        """Remove member ``email``; returns the server's answer."""
        return self.projects.remove_member(email=email, project_id=self.id)

    def open_in_web(self) -> None:
        """Not available: Conveyor has no web console."""
        raise NotImplementedError("Conveyor has no web console; use the SDK or the REST API.")
