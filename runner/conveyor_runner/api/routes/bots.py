"""Bots of a project (``/projects/{id}/bots``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from conveyor_runner.api.bodies import read_body, validate
from conveyor_runner.api.deps import DbDep, PrincipalDep
from conveyor_runner.api.render import user_json
from conveyor_runner.store import bots, projects

router = APIRouter(tags=["bots"])


class BotCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str


@router.get("/projects/{project_id}/bots")
def list_bots(project_id: str, principal: PrincipalDep, db: DbDep) -> list[dict]:
    """The project's bots (a plain array)."""
    with db.transaction() as session:
        projects.visible_project(session, project_id, principal.user_id)
        return [user_json(bot, "engineer") for bot in bots.list_bots(session, project_id)]


@router.post("/projects/{project_id}/bots", status_code=201)
async def create_bot(project_id: str, request: Request, principal: PrincipalDep,
                     db: DbDep) -> dict:
    """Create a bot member of the project."""
    body = validate(BotCreate, await read_body(request))
    with db.transaction() as session:
        projects.visible_project(session, project_id, principal.user_id)
        return user_json(bots.create_bot(session, project_id, body.name), "engineer")


@router.get("/projects/{project_id}/bots/{bot_id}")
def get_bot(project_id: str, bot_id: str, principal: PrincipalDep, db: DbDep) -> dict:
    """One bot."""
    with db.transaction() as session:
        projects.visible_project(session, project_id, principal.user_id)
        return user_json(bots.get_bot(session, project_id, bot_id), "engineer")


@router.delete("/projects/{project_id}/bots/{bot_id}")
def delete_bot(project_id: str, bot_id: str, principal: PrincipalDep, db: DbDep) -> dict:
    """Delete a bot (it loses its membership and can no longer act)."""
    with db.transaction() as session:
        projects.visible_project(session, project_id, principal.user_id)
        bots.delete_bot(session, project_id, bot_id)
        return {"id": bot_id, "deleted": True}
