"""Runs a parsed DQL query against one table: field resolution, filter, count, sort, page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from conveyor_runner.control.dql import Query
from conveyor_runner.store.dql_sql import FieldRef, compile_filter, compile_sort


@dataclass(frozen=True)
class FieldMap:
    """How a resource's wire field names map onto its table.

    Attributes:
        columns: wire field -> column (or boolean/number SQL expression) for real columns.
        json_roots: wire field prefix -> JSON column (``metadata`` -> items.metadata).
        fallback: JSON column holding every other top-level field.
    """

    columns: Mapping[str, object]
    json_roots: Mapping[str, object]
    fallback: object

    def resolve(self, field: str) -> FieldRef:
        """The column or JSON path for a dotted wire field name."""
        if field in self.columns:
            return FieldRef(column=self.columns[field])
        head, _, rest = field.partition(".")
        if head in self.json_roots:
            path = tuple(rest.split(".")) if rest else ()
            return FieldRef(json=(self.json_roots[head], path))
        return FieldRef(json=(self.fallback, tuple(field.split("."))))


def run_query(
    session: Session,
    base: Select,
    query: Query,
    fields: FieldMap,
    *,
    extra_where: Callable[[Select], Select] | None = None,
) -> tuple[list, int]:
    """Apply the query's filter to ``base`` and return ``(rows of the page, total count)``.

    ``pageSize`` 0 returns no rows, only the count. Sorting always ends with ``id`` so pages
    are stable; keyset paging works because dtlpy sends ``{"id": {"$gt": last}}`` clauses.
    """
    statement = base.where(compile_filter(query.filter, fields.resolve))
    if extra_where is not None:
        statement = extra_where(statement)
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    if query.page_size == 0:
        return [], total or 0
    statement = statement.order_by(*compile_sort(query.sort, fields.resolve))
    statement = statement.limit(query.page_size).offset(query.page * query.page_size)
    return list(session.scalars(statement)), total or 0


def all_matching(session: Session, base: Select, query: Query, fields: FieldMap) -> list:
    """Every row matching the query's filter, ignoring paging (for bulk update/delete)."""
    statement = base.where(compile_filter(query.filter, fields.resolve))
    return list(session.scalars(statement.order_by(fields.resolve("id").column)))
