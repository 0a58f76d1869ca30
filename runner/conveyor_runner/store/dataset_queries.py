"""DQL over datasets, and over the items and annotations of one dataset."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from conveyor_runner.control.dql import Query
from conveyor_runner.store.annotations import ANNOTATION_FIELDS
from conveyor_runner.store.dql_sql import compile_filter
from conveyor_runner.store.items import ITEM_FIELDS
from conveyor_runner.store.query import FieldMap, all_matching, run_query
from conveyor_runner.store.tables import AnnotationRow, DatasetRow, ItemRow, MemberRow

DATASET_FIELDS = FieldMap(
    columns={
        "id": DatasetRow.id,
        "name": DatasetRow.name,
        "projects": DatasetRow.project_id,
        "projectId": DatasetRow.project_id,
        "createdAt": DatasetRow.created_at,
        "updatedAt": DatasetRow.updated_at,
        "creator": DatasetRow.creator,
    },
    json_roots={"metadata": DatasetRow.metadata_},
    fallback=DatasetRow.doc,
)


def query_datasets(session: Session, user_id: str, query: Query, project_ids: list[str] | None,
                   system_space: bool) -> tuple[list[DatasetRow], int]:
    """Datasets of the caller's projects (optionally only ``project_ids``) matching ``query``.

    System datasets (Binaries) are included only with ``system_space``.
    """
    base = (select(DatasetRow)
            .join(MemberRow, MemberRow.project_id == DatasetRow.project_id)
            .where(MemberRow.user_id == user_id))
    if project_ids is not None:
        base = base.where(DatasetRow.project_id.in_(project_ids))
    if not system_space:
        base = base.where(DatasetRow.system.is_(False))
    return run_query(session, base, query, DATASET_FIELDS)


def items_select(dataset_id: str, query: Query) -> Select:
    """Items of one dataset, narrowed by the query's annotations join (filter not applied)."""
    base = select(ItemRow).where(ItemRow.dataset_id == dataset_id)
    if query.join is not None:
        matching = select(AnnotationRow.item_id).where(
            AnnotationRow.dataset_id == dataset_id,
            compile_filter(query.join.filter, ANNOTATION_FIELDS.resolve),
        )
        base = base.where(ItemRow.id.in_(matching))
    return base


def annotations_select(dataset_id: str, query: Query) -> Select:
    """Annotations of one dataset, narrowed by the query's items join (filter not applied)."""
    base = select(AnnotationRow).where(AnnotationRow.dataset_id == dataset_id)
    if query.join is not None:
        matching = select(ItemRow.id).where(
            ItemRow.dataset_id == dataset_id,
            compile_filter(query.join.filter, ITEM_FIELDS.resolve),
        )
        base = base.where(AnnotationRow.item_id.in_(matching))
    return base


def query_items(session: Session, dataset_id: str, query: Query) -> tuple[list[ItemRow], int]:
    """One page of the dataset's items matching ``query``, and the total count."""
    return run_query(session, items_select(dataset_id, query), query, ITEM_FIELDS)


def query_annotations(session: Session, dataset_id: str,
                      query: Query) -> tuple[list[AnnotationRow], int]:
    """One page of the dataset's annotations matching ``query``, and the total count."""
    return run_query(session, annotations_select(dataset_id, query), query, ANNOTATION_FIELDS)


def all_items(session: Session, dataset_id: str, query: Query) -> list[ItemRow]:
    """Every item matching ``query`` (for bulk operations)."""
    return all_matching(session, items_select(dataset_id, query), query, ITEM_FIELDS)


def all_annotations(session: Session, dataset_id: str, query: Query) -> list[AnnotationRow]:
    """Every annotation matching ``query`` (for bulk operations)."""
    return all_matching(session, annotations_select(dataset_id, query), query,
                        ANNOTATION_FIELDS)


def item(session: Session, item_id: str) -> ItemRow:
    """An item by id, without access checks (the caller checked its dataset)."""
    return session.get(ItemRow, item_id)
