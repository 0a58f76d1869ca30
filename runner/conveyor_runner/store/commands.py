"""Commands: records of long-running operations, polled by their creator."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from conveyor_runner.errors import NotFoundError
from conveyor_runner.ids import new_id, now_iso
from conveyor_runner.store.tables import CommandRow

FINAL = frozenset({"success", "failed", "timeout", "canceled", "aborted"})


def create(session: Session, owner_id: str, kind: str, spec: dict, *,
           status: str = "created") -> CommandRow:
    """Record a new command owned by ``owner_id``."""
    stamp = now_iso()
    row = CommandRow(id=new_id(), type=kind, status=status, progress=0, owner_id=owner_id,
                     created_at=stamp, updated_at=stamp, spec=spec, error=None)
    session.add(row)
    session.flush()
    return row


def finish(row: CommandRow, status: str, *, spec: dict | None = None,
           error: str | None = None) -> None:
    """Move the command to a final status (progress 100 on success)."""
    row.status = status
    row.progress = 100 if status == "success" else row.progress
    if spec:
        row.spec = {**row.spec, **spec}
    row.error = error
    row.updated_at = now_iso()


def get(session: Session, command_id: str) -> CommandRow:
    """A command by id, without access checks (internal use). ``NotFoundError`` if absent."""
    row = session.get(CommandRow, command_id)
    if row is None:
        raise NotFoundError(f"command {command_id} not found")
    return row


def visible_command(session: Session, command_id: str, user_id: str) -> CommandRow:
    """The caller's command, else ``NotFoundError``."""
    row = session.get(CommandRow, command_id)
    if row is None or row.owner_id != user_id:
        raise NotFoundError(f"command {command_id} not found")
    return row


def list_commands(session: Session, user_id: str, limit: int = 1000) -> list[CommandRow]:
    """The caller's newest commands first."""
    return list(session.scalars(
        select(CommandRow).where(CommandRow.owner_id == user_id)
        .order_by(CommandRow.id.desc()).limit(limit)
    ))
