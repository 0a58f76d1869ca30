"""Packages and their revisions."""

from __future__ import annotations

import json
from functools import lru_cache

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from conveyor_runner.errors import ConflictError, NotFoundError
from conveyor_runner.ids import new_id, now_iso
from conveyor_runner.store.query import FieldMap
from conveyor_runner.store.tables import MemberRow, PackageRevisionRow, PackageRow, ServiceRow

#: A revision's stored JSON as text, to select for ``modules_of`` (one labelled object:
#: SQLAlchemy's statement cache finds result columns by it).
REVISION_TEXT = cast(PackageRevisionRow.__table__.c.doc, Text).label("revision_text")

PACKAGE_FIELDS = FieldMap(
    columns={
        "id": PackageRow.id,
        "name": PackageRow.name,
        "projectId": PackageRow.project_id,
        "version": PackageRow.version,
        "type": PackageRow.type,
        "creator": PackageRow.creator,
        "createdAt": PackageRow.created_at,
        "updatedAt": PackageRow.updated_at,
    },
    json_roots={},
    fallback=PackageRow.doc,
)


def visible_package(session: Session, package_id: str, user_id: str) -> PackageRow:
    """The package if the user is a member of its project, else ``NotFoundError``."""
    row = session.scalar(
        select(PackageRow)
        .join(MemberRow, MemberRow.project_id == PackageRow.project_id)
        .where(PackageRow.id == package_id, MemberRow.user_id == user_id)
    )
    if row is None:
        raise NotFoundError(f"package {package_id} not found")
    return row


def create(session: Session, project_id: str, name: str, version: str, kind: str,
           doc: dict, creator: str) -> PackageRow:
    """Insert a package and its first revision. ``ConflictError`` if the name is taken."""
    if session.scalar(select(PackageRow.id).where(PackageRow.project_id == project_id,
                                                  PackageRow.name == name)):
        raise ConflictError(f"name: the project already has a package named {name!r}", "name")
    stamp = now_iso()
    row = PackageRow(id=new_id(), project_id=project_id, name=name, version=version, type=kind,
                     creator=creator, created_at=stamp, updated_at=stamp, doc=doc)
    session.add(row)
    session.flush()
    add_revision(session, row)
    return row


def add_revision(session: Session, row: PackageRow) -> None:
    """Record the package's current content under its current version (replacing any)."""
    existing = session.scalar(select(PackageRevisionRow).where(
        PackageRevisionRow.package_id == row.id, PackageRevisionRow.version == row.version))
    if existing is None:
        session.add(PackageRevisionRow(id=new_id(), package_id=row.id, version=row.version,
                                       created_at=now_iso(), doc=dict(row.doc)))
    else:
        existing.doc = dict(row.doc)
    session.flush()


def revisions(session: Session, package_id: str) -> list[PackageRevisionRow]:
    """Every recorded revision, oldest first."""
    return list(session.scalars(select(PackageRevisionRow).where(
        PackageRevisionRow.package_id == package_id).order_by(PackageRevisionRow.id)))


def revision(session: Session, package_id: str, version: str) -> PackageRevisionRow:
    """One revision. ``NotFoundError`` if that version was never recorded."""
    row = session.scalar(select(PackageRevisionRow).where(
        PackageRevisionRow.package_id == package_id, PackageRevisionRow.version == version))
    if row is None:
        raise NotFoundError(f"packageRevision: package {package_id} has no version {version!r}")
    return row


def revision_modules(session: Session, package_id: str, version: str) -> list[dict]:
    """The modules of one revision (shared: callers must not change them).

    ``NotFoundError`` if that version was never recorded.
    """
    text = session.scalar(select(REVISION_TEXT).where(
        PackageRevisionRow.package_id == package_id, PackageRevisionRow.version == version))
    if text is None:
        raise NotFoundError(f"packageRevision: package {package_id} has no version {version!r}")
    return modules_of(text)


@lru_cache(maxsize=256)
def modules_of(text: str) -> list[dict]:
    """The modules of a revision's stored JSON text, decoded once per distinct text.

    Keyed by the text itself, not by (package, version): a PATCH naming an earlier version
    rewrites that revision, and the new text is simply another key.
    """
    return json.loads(text).get("modules", [])


def services_using(session: Session, package_id: str) -> list[str]:
    """Names of the services deployed from the package."""
    return list(session.scalars(select(ServiceRow.name).where(ServiceRow.package_id == package_id)))


def delete(session: Session, row: PackageRow) -> None:
    """Delete the package and its revisions. ``ConflictError`` while services use it."""
    users = services_using(session, row.id)
    if users:
        raise ConflictError(f"id: package is used by services {', '.join(users)}; delete them "
                            "first", "id")
    session.delete(row)
