"""Execution rows without the ORM, for the paths every execution takes.

Creating an execution, and the replicas' claim and result batches
(``control.replica_batches``), handle executions in numbers; as ORM objects -- loaded,
tracked, flushed by the unit of work -- they cost more than the decisions and the SQL
together. ``LedgerRow`` is a plain object with ``ExecutionRow``'s attribute names, so the
ledger's decisions (``control.executions``) and the renderers apply to it unchanged.

``visible_of_service`` loads a batch of them in one Core query; ``save`` writes back only
the columns decisions changed, one ``UPDATE`` statement per set of columns. Like the ORM,
``save`` sees a change when an attribute holds a different value afterwards (the ledger
assigns new lists and dicts, never edits them in place), and leaves every other column
as the database has it.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from conveyor_runner.store.tables import ExecutionRow, MemberRow

_TABLE = ExecutionRow.__table__
_MEMBERS = MemberRow.__table__
_COLUMNS = tuple(column.key for column in _TABLE.columns)
#: What ledger decisions may change (the rest -- ids, service, input, creator -- never do).
_MUTABLE = ("status", "attempts", "max_attempts", "to_terminate", "published", "dispatch_id",
            "replica_id", "started_at", "updated_at", "duration", "output", "status_log",
            "error", "doc")


class LedgerRow:
    """One execution's columns; attributes as on ``ExecutionRow``.

    Args:
        values: every column's value, in the table's column order.
    """

    __slots__ = (*_COLUMNS, "_loaded")

    def __init__(self, values) -> None:
        for key, value in zip(_COLUMNS, values, strict=True):
            setattr(self, key, value)
        self._loaded = tuple(values)

    @classmethod
    def of(cls, columns: dict) -> LedgerRow:
        """The row with these column values (absent columns are None)."""
        return cls(tuple(columns.get(key) for key in _COLUMNS))

    def changes(self) -> dict:
        """Column -> value for each mutable column whose value differs from the loaded one."""
        return {key: getattr(self, key) for key, old in zip(_COLUMNS, self._loaded, strict=True)
                if key in _MUTABLE and getattr(self, key) != old}


#: Core, on the tables: naming an ORM class (even only to join it) makes the select
#: ORM-enabled, and its compile and result machinery cost more than the query.
_VISIBLE_BY_IDS = (
    select(_TABLE)
    .join(_MEMBERS, _MEMBERS.c.project_id == _TABLE.c.project_id)
    .where(_MEMBERS.c.user_id == bindparam("user_id"),
           _TABLE.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_TABLE.c.id).with_for_update(of=_TABLE))


def visible_of_service(session: Session, service_id: str, execution_ids: list[str],
                       user_id: str) -> dict[str, LedgerRow]:
    """The service's executions among ``execution_ids`` that the user may see, by id.

    One query for the whole batch, by primary key only (with ``service_id`` in the query,
    SQLite's planner walks the service's whole history instead); ids of other services,
    unknown ids and executions outside the user's projects are absent from the answer.
    The rows are locked for the transaction where the database can (PostgreSQL; in id
    order, so two batches never deadlock): two overlapping batches -- a retry and the
    request it repeats -- apply one after the other, never interleaved.
    """
    if not execution_ids:
        return {}
    result = session.execute(_VISIBLE_BY_IDS, {"user_id": user_id,
                                               "ids": list(set(execution_ids))})
    rows = (LedgerRow(values) for values in result)
    return {row.id: row for row in rows if row.service_id == service_id}


def save(session: Session, rows) -> None:
    """Write back what decisions changed in ``rows`` (one executemany per set of columns)."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        changes = row.changes()
        if changes:
            groups.setdefault(tuple(changes), []).append(
                {"row_id": row.id, **{f"new_{key}": value for key, value in changes.items()}})
    for keys, params in groups.items():
        session.execute(_update(keys), params)


_UPDATES: dict[tuple[str, ...], object] = {}


def _update(keys: tuple[str, ...]):
    """``UPDATE executions SET <keys> WHERE id = :row_id``, built once per set of keys."""
    statement = _UPDATES.get(keys)
    if statement is None:
        statement = _UPDATES[keys] = (
            update(_TABLE).where(_TABLE.c.id == bindparam("row_id"))
            .values({key: bindparam(f"new_{key}") for key in keys}))
    return statement
