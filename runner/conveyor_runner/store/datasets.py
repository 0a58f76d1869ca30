"""Datasets: creation (with each project's hidden Binaries dataset), lookup, counts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conveyor_runner.errors import ConflictError, InvalidInputError, NotFoundError
from conveyor_runner.ids import new_id, now_iso
from conveyor_runner.store.tables import AnnotationRow, DatasetRow, ItemRow, MemberRow

BINARIES = "Binaries"


def visible_dataset(session: Session, dataset_id: str, user_id: str) -> DatasetRow:
    """The dataset if the user is a member of its project, else ``NotFoundError``."""
    row = session.scalar(
        select(DatasetRow)
        .join(MemberRow, MemberRow.project_id == DatasetRow.project_id)
        .where(DatasetRow.id == dataset_id, MemberRow.user_id == user_id)
    )
    if row is None:
        raise NotFoundError(f"dataset {dataset_id} not found")
    return row


def create_dataset(
    session: Session, project_id: str, name: str, creator: str, *, system: bool = False,
    doc: dict | None = None, metadata: dict | None = None,
) -> DatasetRow:
    """Create a dataset with its root folder item.

    Raises:
        InvalidInputError: empty name.
        ConflictError: the project already has a dataset with this name.
    """
    name = name.strip()
    if not name:
        raise InvalidInputError("name: a dataset needs a non-empty name", field="name")
    if session.scalar(
        select(DatasetRow.id).where(DatasetRow.project_id == project_id, DatasetRow.name == name)
    ):
        raise ConflictError(f"name: the project already has a dataset named {name!r}", "name")
    stamp = now_iso()
    row = DatasetRow(
        id=new_id(), project_id=project_id, name=name, system=system, creator=creator,
        created_at=stamp, updated_at=stamp, updated_by=creator,
        metadata_=metadata or {"system": {}}, doc=doc or {},
    )
    session.add(row)
    session.flush()
    session.add(ItemRow(
        id=new_id(), dataset_id=row.id, filename="/", dir="", name="", type="dir",
        hidden=False, size=0, creator=creator, created_at=stamp, updated_at=stamp,
        metadata_={"system": {}}, doc={},
    ))
    return row


def rename_dataset(session: Session, row: DatasetRow, name: str) -> None:
    """Rename; ``ConflictError`` on a clash inside the project."""
    name = name.strip()
    if not name:
        raise InvalidInputError("name: a dataset needs a non-empty name", field="name")
    if row.system and name != row.name:
        raise InvalidInputError("name: the Binaries dataset cannot be renamed", field="name")
    clash = session.scalar(select(DatasetRow.id).where(
        DatasetRow.project_id == row.project_id, DatasetRow.name == name, DatasetRow.id != row.id,
    ))
    if clash:
        raise ConflictError(f"name: the project already has a dataset named {name!r}", "name")
    row.name = name


def counts(session: Session, dataset_ids: list[str]) -> dict[str, tuple[int, int]]:
    """``{dataset_id: (file items, annotations)}`` for the given datasets."""
    if not dataset_ids:
        return {}
    files = dict(session.execute(
        select(ItemRow.dataset_id, func.count())
        .where(ItemRow.dataset_id.in_(dataset_ids), ItemRow.type == "file")
        .group_by(ItemRow.dataset_id)
    ).all())
    annotations = dict(session.execute(
        select(AnnotationRow.dataset_id, func.count())
        .where(AnnotationRow.dataset_id.in_(dataset_ids))
        .group_by(AnnotationRow.dataset_id)
    ).all())
    return {i: (files.get(i, 0), annotations.get(i, 0)) for i in dataset_ids}


def storage_keys(session: Session, dataset_ids: list[str]) -> list[str]:
    """Storage keys of every binary held by these datasets (to delete after a commit)."""
    return list(session.scalars(
        select(ItemRow.storage_key).where(
            ItemRow.dataset_id.in_(dataset_ids), ItemRow.storage_key.is_not(None)
        )
    ))


def project_dataset_ids(session: Session, project_id: str) -> list[str]:
    """Ids of every dataset of the project, system ones included."""
    return list(session.scalars(select(DatasetRow.id).where(DatasetRow.project_id == project_id)))


def delete_dataset(session: Session, row: DatasetRow) -> list[str]:
    """Delete the dataset (items and annotations cascade); returns storage keys to remove.

    Raises:
        InvalidInputError: ``row`` is the project's Binaries dataset.
    """
    if row.system:
        raise InvalidInputError("id: the Binaries dataset cannot be deleted", field="id")
    keys = storage_keys(session, [row.id])
    session.delete(row)
    return keys
