"""Commands: poll and abort long-running operations."""

from __future__ import annotations

from fastapi import APIRouter

from conveyor_runner.api.deps import BaseUrlDep, DbDep, PrincipalDep
from conveyor_runner.api.render import command_json
from conveyor_runner.store import commands

router = APIRouter(tags=["commands"])


@router.get("/commands")
def list_commands(principal: PrincipalDep, db: DbDep, base: BaseUrlDep) -> list[dict]:
    """The caller's commands, newest first (a plain array)."""
    with db.transaction() as session:
        return [command_json(r, base) for r in commands.list_commands(session, principal.user_id)]


@router.get("/commands/{command_id}")
def get_command(command_id: str, principal: PrincipalDep, db: DbDep, base: BaseUrlDep) -> dict:
    """One command of the caller."""
    with db.transaction() as session:
        return command_json(commands.visible_command(session, command_id, principal.user_id), base)


@router.post("/commands/{command_id}/abort")
def abort_command(command_id: str, principal: PrincipalDep, db: DbDep, base: BaseUrlDep) -> dict:
    """Abort a command that has not finished; a finished one is returned unchanged."""
    with db.transaction() as session:
        row = commands.visible_command(session, command_id, principal.user_id)
        if row.status not in commands.FINAL:
            commands.finish(row, "aborted", error="aborted by the user")
        return command_json(row, base)
