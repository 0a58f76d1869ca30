"""Projects, their members and their bots."""

from __future__ import annotations

from urllib.parse import unquote

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from conveyor_runner.api.bodies import read_body, validate
from conveyor_runner.api.deps import BaseUrlDep, DbDep, PrincipalDep, StorageDep
from conveyor_runner.api.render import project_json, user_json
from conveyor_runner.control import projects as project_control
from conveyor_runner.control.auth import Principal
from conveyor_runner.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from conveyor_runner.store import projects, users

router = APIRouter(tags=["projects"])


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=200)


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    featureConstraints: dict | None = None


class MemberBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str = "engineer"


def _require_owner(session, project_id: str, principal: Principal) -> None:
    if projects.member_role(session, project_id, principal.user_id) != "owner":
        raise PermissionDeniedError("only a project owner can do this")


@router.post("/projects")
async def create_project(request: Request, principal: PrincipalDep, db: DbDep,
                         base: BaseUrlDep) -> dict:
    """Create a project (form-encoded ``name`` as dtlpy sends it, or JSON)."""
    body = validate(ProjectCreate, await read_body(request))
    with db.transaction() as session:
        owner = users.get_user(session, principal.user_id)
        row = project_control.create_project(session, body.name, owner)
        return project_json(row, base, "owner")


@router.get("/projects")
def list_projects(principal: PrincipalDep, db: DbDep, base: BaseUrlDep) -> list[dict]:
    """Every project the caller is a member of (a plain array, as dtlpy expects)."""
    with db.transaction() as session:
        rows = projects.list_projects(session, principal.user_id)
        return [project_json(r, base, projects.member_role(session, r.id, principal.user_id))
                for r in rows]


@router.get("/projects/{name}/name")
def get_by_name(name: str, principal: PrincipalDep, db: DbDep, base: BaseUrlDep) -> list[dict]:
    """The caller's projects with this exact name (a plain array)."""
    with db.transaction() as session:
        rows = projects.list_projects(session, principal.user_id, name=unquote(name))
        return [project_json(r, base, projects.member_role(session, r.id, principal.user_id))
                for r in rows]


@router.get("/projects/{project_id}")
def get_project(project_id: str, principal: PrincipalDep, db: DbDep, base: BaseUrlDep) -> dict:
    """One project; 404 unless the caller is a member."""
    with db.transaction() as session:
        row = projects.visible_project(session, project_id, principal.user_id)
        return project_json(row, base, projects.member_role(session, row.id, principal.user_id))


@router.patch("/projects/{project_id}")
async def update_project(project_id: str, request: Request, principal: PrincipalDep,
                         db: DbDep, base: BaseUrlDep) -> dict:
    """Rename a project or change its settings (owners only); unknown keys are ignored."""
    body = validate(ProjectUpdate, await read_body(request))
    with db.transaction() as session:
        row = projects.visible_project(session, project_id, principal.user_id)
        _require_owner(session, project_id, principal)
        if body.name is not None and body.name != row.name:
            projects.rename_project(session, row, body.name)
        if body.featureConstraints is not None:
            row.doc = {**row.doc, "featureConstraints": body.featureConstraints}
        return project_json(row, base, "owner")


@router.delete("/projects/{project_id}")
def delete_project(project_id: str, principal: PrincipalDep, db: DbDep,
                   storage: StorageDep) -> dict:
    """Delete a project with all its datasets, items and binaries (owners only)."""
    with db.transaction() as session:
        row = projects.visible_project(session, project_id, principal.user_id)
        _require_owner(session, project_id, principal)
        keys = project_control.delete_project(session, row)
    for key in keys:
        storage.delete(key)
    return {"id": project_id, "deleted": True}


@router.get("/projects/{project_id}/members")
def list_members(project_id: str, principal: PrincipalDep, db: DbDep) -> list[dict]:
    """The project's human members with their roles."""
    with db.transaction() as session:
        projects.visible_project(session, project_id, principal.user_id)
        return [user_json(user, role) for user, role in projects.members(session, project_id)]


@router.api_route("/projects/{project_id}/members/{email}", methods=["POST", "PATCH"])
async def set_member(project_id: str, email: str, request: Request, principal: PrincipalDep,
                     db: DbDep) -> dict:
    """Add a member or change their role (owners only)."""
    body = validate(MemberBody, await read_body(request))
    with db.transaction() as session:
        projects.visible_project(session, project_id, principal.user_id)
        _require_owner(session, project_id, principal)
        user = users.find_user_by_email(session, unquote(email))
        if user is None:
            raise NotFoundError(f"email: no user with email {unquote(email)!r}")
        projects.set_member(session, project_id, user, body.role)
        return user_json(user, body.role)


@router.delete("/projects/{project_id}/members/{email}")
def remove_member(project_id: str, email: str, principal: PrincipalDep, db: DbDep) -> dict:
    """Remove a member (owners only; the last owner stays)."""
    with db.transaction() as session:
        projects.visible_project(session, project_id, principal.user_id)
        _require_owner(session, project_id, principal)
        user = users.find_user_by_email(session, unquote(email))
        if user is None:
            raise InvalidInputError(f"email: no user with email {unquote(email)!r}", "email")
        projects.remove_member(session, project_id, user.id)
        return user_json(user)
