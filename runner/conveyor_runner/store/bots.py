"""Project bots: non-human users that services act as."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from conveyor_runner.errors import InvalidInputError, NotFoundError
from conveyor_runner.ids import new_id
from conveyor_runner.store import projects, users
from conveyor_runner.store.tables import UserRow

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def create_bot(session: Session, project_id: str, name: str) -> UserRow:
    """Create a bot that is an ``engineer`` member of the project.

    Raises:
        InvalidInputError: the name is not lowercase letters, digits and dashes.
    """
    if not _NAME.match(name or ""):
        raise InvalidInputError(
            "name: a bot name is 1-63 lowercase letters, digits and dashes", field="name"
        )
    email = f"bot.{name}.{new_id()}@bots.conveyor"
    bot = users.create_user(session, email, None, first_name=name, kind="bot",
                            project_id=project_id)
    projects.set_member(session, project_id, bot, "engineer")
    return bot


def list_bots(session: Session, project_id: str) -> list[UserRow]:
    """The project's bots, oldest first."""
    return list(session.scalars(
        select(UserRow).where(UserRow.project_id == project_id, UserRow.type == "bot")
        .order_by(UserRow.id)
    ))


def get_bot(session: Session, project_id: str, bot_id: str) -> UserRow:
    """One bot of the project; ``NotFoundError`` otherwise."""
    row = session.get(UserRow, bot_id)
    if row is None or row.type != "bot" or row.project_id != project_id:
        raise NotFoundError(f"bot {bot_id} not found")
    return row


def delete_bot(session: Session, project_id: str, bot_id: str) -> None:
    """Delete one bot of the project (its membership cascades)."""
    session.delete(get_bot(session, project_id, bot_id))
