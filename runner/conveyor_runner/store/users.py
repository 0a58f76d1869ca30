"""Users, bots and the server's signing key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from conveyor_runner.control.auth import hash_password, new_signing_key
from conveyor_runner.errors import ConflictError, NotFoundError
from conveyor_runner.ids import new_id, now_iso
from conveyor_runner.store.tables import SettingRow, UserRow

SIGNING_KEY = "jwt-signing-key"


def signing_key(session: Session) -> str:
    """The server's token signing key, created on first use and stable afterwards."""
    row = session.get(SettingRow, SIGNING_KEY)
    if row is None:
        row = SettingRow(key=SIGNING_KEY, value=new_signing_key())
        session.add(row)
        session.flush()
    return row.value


def create_user(
    session: Session,
    email: str,
    password: str | None,
    *,
    first_name: str = "",
    last_name: str = "",
    is_admin: bool = False,
    kind: str = "human",
    project_id: str | None = None,
) -> UserRow:
    """Insert a user. Raises ``ConflictError`` if the e-mail is taken."""
    email = email.strip().lower()
    if session.scalar(select(UserRow.id).where(UserRow.email == email)):
        raise ConflictError(f"email: a user with email {email!r} already exists", field="email")
    stamp = now_iso()
    row = UserRow(
        id=new_id(), email=email, username=email, first_name=first_name, last_name=last_name,
        type=kind, password_hash=hash_password(password) if password else None,
        is_admin=is_admin, project_id=project_id, created_at=stamp, updated_at=stamp,
    )
    session.add(row)
    session.flush()
    return row


def get_user(session: Session, user_id: str) -> UserRow:
    """The user with this id. Raises ``NotFoundError``."""
    row = session.get(UserRow, user_id)
    if row is None:
        raise NotFoundError(f"user {user_id} not found")
    return row


def find_user_by_email(session: Session, email: str) -> UserRow | None:
    """The user with this e-mail (case-insensitive), or None."""
    return session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))


def set_password(session: Session, user: UserRow, password: str) -> None:
    """Replace the user's password."""
    user.password_hash = hash_password(password)
    user.updated_at = now_iso()
