"""Projects repository: create, get, list, update, delete projects and manage members."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from .. import exceptions
from ..entities.project import MemberRole, Project
from ..entities.user import User

logger = logging.getLogger("conveyor")


class Projects:
    """All I/O for projects.

    Args:
        client_api: the ``ApiClient``.
        org: unused; accepted for dtlpy compatibility.
    """

    def __init__(self, client_api: Any, org: Any = None):
        self._client_api = client_api

    # ------------------------------------------------------------------ helpers
    def _get_json(self, project_id: str) -> dict:
        try:
            return self._client_api.json("GET", f"/projects/{quote(str(project_id), safe='')}")
        except exceptions.PlatformException as exc:
            # dtlpy turns every failure of get-by-id into 404
            raise exceptions.NotFound(
                message=f"Project not found. id: {project_id!r} ({exc.message})"
            ) from exc

    def _entity(self, _json: dict) -> Project:
        return Project.from_json(_json=_json, client_api=self._client_api)

    @staticmethod
    def _role(role: Any) -> str:
        try:
            return MemberRole(role).value
        except ValueError:
            raise ValueError(
                f"role: {role!r} is not one of {[r.value for r in MemberRole]}"
            ) from None

    # ---------------------------------------------------------------- queries
    def create(self, project_name: str, checkout: bool = False) -> Project:
        """Create a project (``POST /projects``, form field ``name``); returns it.

        Raises:
            ValueError: ``project_name`` is empty.
            Conflict: a project with that name already exists for you.
        """
        if not isinstance(project_name, str) or not project_name.strip():
            raise ValueError("project_name: expected a non-empty string")
        project = self._entity(
            self._client_api.json("POST", "/projects", data={"name": project_name})
        )
        if checkout:
            self.checkout(project=project)
        return project

    def get(
        self,
        project_name: str | None = None,
        project_id: str | None = None,
        checkout: bool = False,
        fetch: bool | None = None,
        log_error: bool = True,
    ) -> Project:
        """Get a project by id, by name, or the checked-out one when neither is given.

        ``fetch=False`` returns a lazy stub without a request (needs ``project_id``).

        Raises:
            NotFound: no such project (or you are not a member).
            BadRequest: several projects have that name, or nothing identifies a project.
        """
        if fetch is False:
            if project_id is None:
                raise exceptions.BadRequest(message="project_id: required when fetch is False")
            project = Project.from_json({"id": project_id}, self._client_api, is_fetched=False)
        elif project_id is not None:
            project = self._entity(self._get_json(project_id))
        elif project_name is not None:
            project = self._get_by_name(project_name)
        else:
            state = self._client_api.state.get("project")
            if state is None:
                raise exceptions.BadRequest(
                    message=(
                        "No checked-out project: pass project_id or project_name, "
                        "or call project.checkout()"
                    )
                )
            project = self._entity(state)
        if checkout:
            self.checkout(project=project)
        return project

    def _get_by_name(self, project_name: str) -> Project:
        found = self._client_api.json("GET", f"/projects/{quote(project_name, safe='')}/name") or []
        if isinstance(found, dict):
            found = [found]
        if not found:
            raise exceptions.NotFound(message=f"Project not found. name: {project_name!r}")
        if len(found) > 1:
            raise exceptions.BadRequest(
                message=f"More than one project named {project_name!r}; get it by id"
            )
        return self._entity(found[0])

    def list(self) -> list[Project]:
        """Every project you are a member of (``GET /projects``)."""
        return [self._entity(j) for j in self._client_api.json("GET", "/projects") or []]

    def get_system_project(self, org_id: str | None = None) -> Project:
        """The project flagged ``systemProject`` among yours.

        Raises:
            NotFound: there is none.
        """
        path = f"/orgs/{org_id}/projects" if org_id else "/projects"
        for _json in self._client_api.json("GET", path) or []:
            if _json.get("systemProject") is True:
                return self._entity(_json)
        raise exceptions.NotFound(message="System project not found")

    # ---------------------------------------------------------------- changes
    def delete(
        self,
        project_name: str | None = None,
        project_id: str | None = None,
        sure: bool = False,
        really: bool = False,
    ) -> bool:
        """Delete a project forever; returns True.

        Raises:
            Forbidden: ``sure`` and ``really`` were not both True (nothing sent).
        """
        if not (sure and really):
            raise exceptions.Forbidden(
                message="Deleting a project requires sure=True and really=True"
            )
        if project_id is None:
            project_id = self.get(project_name=project_name).id
        self._client_api.request("DELETE", f"/projects/{quote(str(project_id), safe='')}")
        state = self._client_api.state.get("project")
        if state is not None and state.get("id") == project_id:
            self._client_api.state.put("project", None)
        return True

    def update(self, project: Project, system_metadata: bool = False) -> Project:
        """Send the project's full JSON (``PATCH /projects/{id}``); returns the saved project."""
        path = f"/projects/{project.id}" + ("?system=true" if system_metadata else "")
        answer = self._client_api.json("PATCH", path, json=project.to_json())
        if isinstance(answer, dict) and answer.get("id"):
            project._load_json(answer)
        return project

    def checkout(
        self,
        identifier: str | None = None,
        project_name: str | None = None,
        project_id: str | None = None,
        project: Project | None = None,
    ) -> None:
        """Remember a project as the default of ``dl.datasets`` (``.conveyor/state.json``)."""
        if project is None:
            if identifier is not None:
                project_id = identifier if _looks_like_id(identifier) else None
                project_name = None if project_id else identifier
            project = self.get(project_name=project_name, project_id=project_id)
        self._client_api.state.put("project", project.to_json())
        logger.info("checked out project %s (%s)", project.name, project.id)

    # ---------------------------------------------------------------- members
    def _member_path(self, project_id: str, email: str) -> str:
        return f"/projects/{project_id}/members/{quote(email, safe='@')}"

    def add_member(
        self, email: str, project_id: str, role: MemberRole = MemberRole.DEVELOPER
    ) -> dict:
        """Add user ``email`` to the project with ``role``; returns the member JSON."""
        body = {"role": self._role(role)}
        return self._client_api.json("POST", self._member_path(project_id, email), json=body)

    def update_member(
        self, email: str, project_id: str, role: MemberRole = MemberRole.DEVELOPER
    ) -> dict:
        """Change the role of member ``email``; returns the member JSON."""
        body = {"role": self._role(role)}
        return self._client_api.json("PATCH", self._member_path(project_id, email), json=body)

    def remove_member(self, email: str, project_id: str) -> Any:
        """Remove member ``email`` from the project; returns the server's answer."""
        return self._client_api.json("DELETE", self._member_path(project_id, email))

    def list_members(self, project: Project, role: MemberRole | None = None) -> list[User]:
        """Members as ``User`` entities (``GET /projects/{id}/members``), optionally by role."""
        wanted = self._role(role) if role is not None else None
        members = [
            User.from_json(_json=j, project=project, client_api=self._client_api)
            for j in self._client_api.json("GET", f"/projects/{project.id}/members") or []
        ]
        return [m for m in members if wanted is None or m.role == wanted]

    def open_in_web(self, *args: Any, **kwargs: Any) -> None:
        """Not available: Conveyor has no web console."""
        raise NotImplementedError("Conveyor has no web console; use the SDK or the REST API.")


def _looks_like_id(text: str) -> bool:
    return len(text) == 24 and all(c in "0123456789abcdef" for c in text)
