"""Projects and their members; membership is the access rule for everything inside."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from conveyor_runner.errors import ConflictError, InvalidInputError, NotFoundError
from conveyor_runner.ids import new_id, now_iso
from conveyor_runner.store.tables import MemberRow, ProjectRow, UserRow

ROLES = ("owner", "engineer", "annotationManager", "annotator")


def visible_project(session: Session, project_id: str, user_id: str) -> ProjectRow:
    """The project if ``user_id`` is a member, else ``NotFoundError`` (no existence leak)."""
    row = session.scalar(
        select(ProjectRow)
        .join(MemberRow, MemberRow.project_id == ProjectRow.id)
        .where(ProjectRow.id == project_id, MemberRow.user_id == user_id)
    )
    if row is None:
        raise NotFoundError(f"project {project_id} not found")
    return row


def member_role(session: Session, project_id: str, user_id: str) -> str | None:
    """The user's role in the project, or None if not a member."""
    return session.scalar(
        select(MemberRow.role).where(
            MemberRow.project_id == project_id, MemberRow.user_id == user_id
        )
    )


def list_projects(session: Session, user_id: str, name: str | None = None) -> list[ProjectRow]:
    """Projects the user is a member of (optionally with this exact name), oldest first."""
    query = (
        select(ProjectRow)
        .join(MemberRow, MemberRow.project_id == ProjectRow.id)
        .where(MemberRow.user_id == user_id)
        .order_by(ProjectRow.id)
    )
    if name is not None:
        query = query.where(ProjectRow.name == name)
    return list(session.scalars(query))


def create_project(session: Session, name: str, owner: UserRow) -> ProjectRow:
    """Create a project owned by ``owner``, who becomes its first member.

    Raises:
        InvalidInputError: empty name.
        ConflictError: the owner already has a project with this name.
    """
    name = name.strip()
    if not name:
        raise InvalidInputError("name: a project needs a non-empty name", field="name")
    taken = session.scalar(
        select(ProjectRow.id).where(ProjectRow.owner_id == owner.id, ProjectRow.name == name)
    )
    if taken:
        raise ConflictError(f"name: you already have a project named {name!r}", field="name")
    stamp = now_iso()
    row = ProjectRow(
        id=new_id(), name=name, owner_id=owner.id, creator=owner.email,
        created_at=stamp, updated_at=stamp, doc={},
    )
    session.add(row)
    session.flush()  # the membership row references the project: insert the project first
    session.add(MemberRow(project_id=row.id, user_id=owner.id, role="owner", created_at=stamp))
    session.flush()
    return row


def rename_project(session: Session, project: ProjectRow, name: str) -> None:
    """Rename; ``ConflictError`` if the owner has another project with that name."""
    name = name.strip()
    if not name:
        raise InvalidInputError("name: a project needs a non-empty name", field="name")
    clash = session.scalar(
        select(ProjectRow.id).where(
            ProjectRow.owner_id == project.owner_id,
            ProjectRow.name == name,
            ProjectRow.id != project.id,
        )
    )
    if clash:
        raise ConflictError(f"name: a project named {name!r} already exists", field="name")
    project.name = name
    project.updated_at = now_iso()


def members(session: Session, project_id: str) -> list[tuple[UserRow, str]]:
    """``(user, role)`` pairs of the project's human members."""
    rows = session.execute(
        select(UserRow, MemberRow.role)
        .join(MemberRow, MemberRow.user_id == UserRow.id)
        .where(MemberRow.project_id == project_id, UserRow.type == "human")
        .order_by(MemberRow.created_at)
    )
    return [(user, role) for user, role in rows]


def set_member(session: Session, project_id: str, user: UserRow, role: str) -> None:
    """Add the user to the project with ``role``, or change their role."""
    if role not in ROLES:
        raise InvalidInputError(f"role: must be one of {', '.join(ROLES)}", field="role")
    row = session.get(MemberRow, (project_id, user.id))
    if row is None:
        session.add(MemberRow(project_id=project_id, user_id=user.id, role=role,
                              created_at=now_iso()))
    else:
        row.role = role
    session.flush()


def remove_member(session: Session, project_id: str, user_id: str) -> None:
    """Remove the user from the project; the last owner cannot be removed."""
    owners = session.scalars(
        select(MemberRow.user_id).where(
            MemberRow.project_id == project_id, MemberRow.role == "owner"
        )
    ).all()
    if owners == [user_id]:
        raise ConflictError("email: cannot remove the project's last owner", field="email")
    session.execute(
        delete(MemberRow).where(MemberRow.project_id == project_id, MemberRow.user_id == user_id)
    )


def delete_project(session: Session, project: ProjectRow) -> None:
    """Delete the project; datasets, items and memberships cascade."""
    session.delete(project)
