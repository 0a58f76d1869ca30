"""Annotations of items; each write keeps the item's annotation counter in step."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from conveyor_runner.errors import NotFoundError
from conveyor_runner.ids import new_id, now_iso
from conveyor_runner.store.items import adjust_annotation_count
from conveyor_runner.store.query import FieldMap
from conveyor_runner.store.tables import AnnotationRow, DatasetRow, ItemRow, MemberRow

ANNOTATION_FIELDS = FieldMap(
    columns={
        "id": AnnotationRow.id,
        "itemId": AnnotationRow.item_id,
        "datasetId": AnnotationRow.dataset_id,
        "type": AnnotationRow.type,
        "label": AnnotationRow.label,
        "creator": AnnotationRow.creator,
        "createdAt": AnnotationRow.created_at,
        "updatedAt": AnnotationRow.updated_at,
        "updatedBy": AnnotationRow.updated_by,
    },
    json_roots={"metadata": AnnotationRow.metadata_, "coordinates": AnnotationRow.coordinates},
    fallback=AnnotationRow.doc,
)

#: Keys of an annotation's JSON that the server owns; a client's values for them are ignored.
SERVER_KEYS = frozenset({
    "id", "_id", "itemId", "datasetId", "creator", "createdAt", "updatedAt", "updatedBy",
    "url", "item", "dataset", "type", "label", "coordinates", "metadata",
})


def visible_annotation(session: Session, annotation_id: str, user_id: str) -> AnnotationRow:
    """The annotation if the user is a member of its project, else ``NotFoundError``."""
    row = session.scalar(
        select(AnnotationRow)
        .join(DatasetRow, DatasetRow.id == AnnotationRow.dataset_id)
        .join(MemberRow, MemberRow.project_id == DatasetRow.project_id)
        .where(AnnotationRow.id == annotation_id, MemberRow.user_id == user_id)
    )
    if row is None:
        raise NotFoundError(f"annotation {annotation_id} not found")
    return row


def add(session: Session, item: ItemRow, body: dict, actor: str) -> AnnotationRow:
    """Insert one validated annotation body on ``item``."""
    stamp = now_iso()
    row = AnnotationRow(
        id=new_id(), item_id=item.id, dataset_id=item.dataset_id, type=body["type"],
        label=body.get("label"), creator=actor, created_at=stamp, updated_at=stamp,
        updated_by=actor, coordinates=body.get("coordinates"),
        metadata_=body.get("metadata") or {},
        doc={k: v for k, v in body.items() if k not in SERVER_KEYS},
    )
    session.add(row)
    adjust_annotation_count(session, item.id, +1)
    return row


def remove(session: Session, rows: list[AnnotationRow]) -> None:
    """Delete annotations and decrement their items' counters."""
    for row in rows:
        adjust_annotation_count(session, row.item_id, -1)
        session.delete(row)
    session.flush()


def of_item(session: Session, item_id: str) -> list[AnnotationRow]:
    """Every annotation of the item, oldest first."""
    return list(session.scalars(
        select(AnnotationRow).where(AnnotationRow.item_id == item_id).order_by(AnnotationRow.id)
    ))
