"""Items: files and folders of a dataset, addressed by their full remote path."""

from __future__ import annotations

import posixpath

from sqlalchemy import Connection, and_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conveyor_runner.errors import ConflictError, InvalidInputError, NotFoundError
from conveyor_runner.ids import new_id, now_iso
from conveyor_runner.store.query import FieldMap
from conveyor_runner.store.tables import DatasetRow, ItemRow, MemberRow

#: Wire field names of items and the columns that hold them.
ITEM_FIELDS = FieldMap(
    columns={
        "id": ItemRow.id,
        "datasetId": ItemRow.dataset_id,
        "filename": ItemRow.filename,
        "dir": ItemRow.dir,
        "name": ItemRow.name,
        "type": ItemRow.type,
        "hidden": ItemRow.hidden,
        "createdAt": ItemRow.created_at,
        "updatedAt": ItemRow.updated_at,
        "updatedBy": ItemRow.updated_by,
        "creator": ItemRow.creator,
        "description": ItemRow.description,
        "annotationsCount": ItemRow.annotations_count,
        "annotated": ItemRow.annotations_count > 0,
    },
    json_roots={"metadata": ItemRow.metadata_},
    fallback=ItemRow.doc,
)


def normalize_path(path: str, field: str = "filename") -> str:
    """A clean absolute remote path (``/a/b.jpg``).

    Raises:
        InvalidInputError: empty, relative after cleaning, or containing ``..``.
    """
    if not isinstance(path, str) or not path.strip():
        raise InvalidInputError(f"{field}: a remote path is required", field=field)
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InvalidInputError(f"{field}: '..' is not allowed in {path!r}", field=field)
    return "/" + "/".join(parts)


def split_path(filename: str) -> tuple[str, str]:
    """``/a/b/c.jpg`` -> (``/a/b``, ``c.jpg``); ``/c.jpg`` -> (``/``, ``c.jpg``)."""
    folder, name = posixpath.split(filename)
    return folder or "/", name


def _visible_to(user_id: str):
    """Items of the projects ``user_id`` is a member of."""
    return (select(ItemRow)
            .join(DatasetRow, DatasetRow.id == ItemRow.dataset_id)
            .join(MemberRow, MemberRow.project_id == DatasetRow.project_id)
            .where(MemberRow.user_id == user_id))


def visible_item(session: Session, item_id: str, user_id: str) -> ItemRow:
    """The item if the user is a member of its project, else ``NotFoundError``."""
    row = session.scalar(_visible_to(user_id).where(ItemRow.id == item_id))
    if row is None:
        raise NotFoundError(f"item {item_id} not found")
    return row


#: Core, on the tables, each column labelled with ``ItemRow``'s attribute name (so a result
#: row reads as an ``ItemRow``, ``render.item_json`` included): the claim batches ask it for
#: a batch's items, and an ORM select's compile and loading cost more than the query.
_VISIBLE_BY_IDS = (
    select(*(column.label(attribute.key) for attribute in ItemRow.__mapper__.column_attrs
             for column in attribute.columns))
    .join(DatasetRow.__table__, DatasetRow.__table__.c.id == ItemRow.__table__.c.dataset_id)
    .join(MemberRow.__table__,
          MemberRow.__table__.c.project_id == DatasetRow.__table__.c.project_id)
    .where(MemberRow.__table__.c.user_id == bindparam("user_id"),
           ItemRow.__table__.c.id.in_(bindparam("ids", expanding=True)))
)


def visible_items(connection: Connection, item_ids: list[str], user_id: str) -> dict:
    """``{id: row}`` of the given items the user may see (the others are left out); each
    row is read-only and has ``ItemRow``'s attributes."""
    rows = connection.execute(_VISIBLE_BY_IDS, {"user_id": user_id, "ids": list(item_ids)})
    return {row.id: row for row in rows}


def find_by_filename(session: Session, dataset_id: str, filename: str) -> ItemRow | None:
    """The item at this exact path, or None."""
    return session.scalar(
        select(ItemRow).where(ItemRow.dataset_id == dataset_id, ItemRow.filename == filename)
    )


#: Built once: the upload path asks it for every file.
_UPLOAD_TARGET = (
    select(DatasetRow.id, ItemRow.id)
    .join(MemberRow, MemberRow.project_id == DatasetRow.project_id)
    .outerjoin(ItemRow, and_(ItemRow.dataset_id == DatasetRow.id,
                             ItemRow.filename == bindparam("filename")))
    .where(DatasetRow.id == bindparam("dataset_id"), MemberRow.user_id == bindparam("user_id"))
)


def item_at(session: Session, dataset_id: str, user_id: str, filename: str) -> str | None:
    """The id of the item at ``filename`` (None if the path is free), in one query with
    the check that the user is a member of the dataset's project.

    Raises:
        NotFoundError: the dataset is not visible to the user.
    """
    found = session.execute(_UPLOAD_TARGET, {"dataset_id": dataset_id, "user_id": user_id,
                                             "filename": filename}).first()
    if found is None:
        raise NotFoundError(f"dataset {dataset_id} not found")
    return found[1]


def ensure_folders(session: Session, dataset_id: str, folder: str, creator: str) -> None:
    """Create the folder items of ``folder`` and its ancestors that do not exist yet.

    Safe under concurrency: an insert that races another one is ignored.
    """
    paths, current = [], folder
    while current not in ("/", ""):
        paths.append(current)
        current = posixpath.dirname(current)
    if not paths:
        return
    existing = set(session.scalars(select(ItemRow.filename).where(
        ItemRow.dataset_id == dataset_id, ItemRow.filename.in_(paths)
    )))
    for path in reversed(paths):
        if path in existing:
            continue
        parent, name = split_path(path)
        stamp = now_iso()
        values = {
            "id": new_id(), "dataset_id": dataset_id, "filename": path, "dir": parent,
            "name": name, "type": "dir", "hidden": False, "size": 0, "annotations_count": 0,
            "creator": creator, "created_at": stamp, "updated_at": stamp,
            "metadata": {"system": {}}, "doc": {},
        }
        _insert_ignore(session, values)


def _insert_ignore(session: Session, values: dict) -> None:
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(ItemRow.__table__).values(**values).on_conflict_do_nothing()
    session.execute(statement)


def add_file(session: Session, dataset_id: str, filename: str, creator: str, **fields) -> ItemRow:
    """Insert a file item (its folders are created too).

    Raises:
        ConflictError: the path is taken (the unique constraint decides, so concurrent
            inserts of one path cannot both succeed); the transaction must be rolled back.
    """
    folder, name = split_path(filename)
    ensure_folders(session, dataset_id, folder, creator)
    stamp = now_iso()
    row = ItemRow(
        id=new_id(), dataset_id=dataset_id, filename=filename, dir=folder, name=name,
        type="file", hidden=False, annotations_count=0, creator=creator, created_at=stamp,
        updated_at=stamp, updated_by=creator, doc={}, **fields,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(f"filename: {filename!r} already exists in the dataset",
                            "filename") from None
    return row


def move(session: Session, row: ItemRow, new_filename: str, actor: str) -> None:
    """Move a file or a folder (with everything under it) to ``new_filename``.

    Raises:
        ConflictError: something already exists at the target path.
        InvalidInputError: moving a folder into itself or moving the root.
    """
    if new_filename == row.filename:
        return
    if row.filename == "/":
        raise InvalidInputError("filename: the root folder cannot be moved", "filename")
    if new_filename.startswith(row.filename.rstrip("/") + "/"):
        raise InvalidInputError("filename: cannot move a folder into itself", "filename")
    if find_by_filename(session, row.dataset_id, new_filename) is not None:
        raise ConflictError(f"filename: {new_filename!r} already exists", "filename")
    folder, name = split_path(new_filename)
    ensure_folders(session, row.dataset_id, folder, actor)
    old_prefix = row.filename
    row.filename, row.dir, row.name = new_filename, folder, name
    row.updated_at, row.updated_by = now_iso(), actor
    if row.type == "dir":
        _move_children(session, row.dataset_id, old_prefix, new_filename)


def _move_children(session: Session, dataset_id: str, old: str, new: str) -> None:
    prefix = old.rstrip("/") + "/"
    children = session.scalars(select(ItemRow).where(
        ItemRow.dataset_id == dataset_id, ItemRow.filename.startswith(prefix, autoescape=True)
    ))
    for child in children:
        child.filename = new + child.filename[len(old):]
        child.dir = new + child.dir[len(old):]


def delete_items(session: Session, rows: list[ItemRow]) -> list[str]:
    """Delete items (a folder takes its contents with it); returns storage keys to remove."""
    keys: list[str] = []
    for row in rows:
        if row.type == "dir":
            prefix = row.filename.rstrip("/") + "/"
            children = list(session.scalars(select(ItemRow).where(
                ItemRow.dataset_id == row.dataset_id,
                ItemRow.filename.startswith(prefix, autoescape=True),
            )))
            rows_to_delete = children + ([row] if row.filename != "/" else [])
        else:
            rows_to_delete = [row]
        for victim in rows_to_delete:
            if victim.storage_key:
                keys.append(victim.storage_key)
            session.delete(victim)
    session.flush()
    return keys


def adjust_annotation_count(session: Session, item_id: str, delta: int) -> None:
    """Add ``delta`` to the item's annotation counter (kept so queries need no join)."""
    session.execute(
        update(ItemRow).where(ItemRow.id == item_id)
        .values(annotations_count=func.max(ItemRow.annotations_count + delta, 0)
                if session.bind.dialect.name == "sqlite"
                else func.greatest(ItemRow.annotations_count + delta, 0))
    )


def folders(session: Session, dataset_id: str) -> list[ItemRow]:
    """Every folder item of the dataset, root first, then by path."""
    return list(session.scalars(
        select(ItemRow).where(ItemRow.dataset_id == dataset_id, ItemRow.type == "dir")
        .order_by(ItemRow.filename)
    ))
