"""First-run decisions: the local administrator whose login ``conveyor up`` stores."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from conveyor_runner.control.auth import new_password, verify_password
from conveyor_runner.store import users
from conveyor_runner.store.tables import UserRow

ADMIN_EMAIL = "admin@conveyor.local"


@dataclass(frozen=True)
class Credentials:
    """An e-mail and password that log in to this server."""

    user_id: str
    email: str
    password: str


def ensure_admin(session: Session, known: Credentials | None) -> Credentials:
    """Return working administrator credentials, creating the administrator if needed.

    ``known`` (from an existing login file) is kept when it still logs in; otherwise the
    first administrator gets a new random password, which the caller stores. Only someone
    who can run ``conveyor up`` on the data directory gets here, so resetting is safe.
    """
    if known is not None:
        user = users.find_user_by_email(session, known.email)
        if user is not None and verify_password(known.password, user.password_hash):
            return Credentials(user.id, user.email, known.password)
    admin = session.scalar(
        select(UserRow).where(UserRow.is_admin.is_(True)).order_by(UserRow.id).limit(1)
    )
    password = new_password()
    if admin is None:
        admin = users.create_user(session, ADMIN_EMAIL, password, first_name="Admin",
                                  is_admin=True)
    else:
        users.set_password(session, admin, password)
    return Credentials(admin.id, admin.email, password)
