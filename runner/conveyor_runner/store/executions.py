"""The execution ledger's rows, status history and log lines."""

from __future__ import annotations

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from conveyor_runner.errors import NotFoundError
from conveyor_runner.ids import new_id, now_iso
from conveyor_runner.store.ledger_rows import LedgerRow
from conveyor_runner.store.query import FieldMap
from conveyor_runner.store.tables import ExecutionLogRow, ExecutionRow, MemberRow

EXECUTION_FIELDS = FieldMap(
    columns={
        "id": ExecutionRow.id,
        "projectId": ExecutionRow.project_id,
        "serviceId": ExecutionRow.service_id,
        "functionName": ExecutionRow.function_name,
        "latestStatus.status": ExecutionRow.status,
        "status": ExecutionRow.status,
        "attempts": ExecutionRow.attempts,
        "maxAttempts": ExecutionRow.max_attempts,
        "toTerminate": ExecutionRow.to_terminate,
        "creator": ExecutionRow.creator,
        "createdAt": ExecutionRow.created_at,
        "updatedAt": ExecutionRow.updated_at,
        "duration": ExecutionRow.duration,
    },
    json_roots={"input": ExecutionRow.input, "output": ExecutionRow.output},
    fallback=ExecutionRow.doc,
)


def visible_execution(session: Session, execution_id: str, user_id: str,
                      lock: bool = False) -> ExecutionRow:
    """The execution if the user is a member of its project, else ``NotFoundError``.

    ``lock``: for a change decided on what is read, lock the row for the transaction where
    the database can (PostgreSQL; on SQLite use an exclusive transaction).
    """
    query = (select(ExecutionRow)
             .join(MemberRow, MemberRow.project_id == ExecutionRow.project_id)
             .where(ExecutionRow.id == execution_id, MemberRow.user_id == user_id))
    row = session.scalar(query.with_for_update(of=ExecutionRow) if lock else query)
    if row is None:
        raise NotFoundError(f"execution {execution_id} not found")
    return row


def status_entry(status: str, **fields) -> dict:
    """One ``statusLog`` entry; None-valued fields are left out."""
    entry = {"status": status, "timestamp": now_iso(), "percentComplete": 0}
    entry.update({k: v for k, v in fields.items() if v is not None})
    return entry


def create(session: Session, **fields) -> LedgerRow:
    """Insert an execution in status ``created`` with its first status entry.

    One Core ``INSERT`` in the session's transaction, without the ORM unit of work (an
    execution is no event source, see ``store.events``); the answer is the row as written,
    a ``LedgerRow`` in no session (a caller that changes it later loads it again).
    """
    return insert_new(session, [new_values(**fields)])[0]


def new_values(**fields) -> dict:
    """Every column of a new execution (status ``created``, its first status entry, fresh
    ids); ``fields`` gives the rest (project, service, function, input, ...)."""
    stamp = now_iso()
    return {"id": new_id(), "status": "created", "attempts": 0, "to_terminate": False,
            "published": False, "dispatch_id": new_id(), "replica_id": None,
            "started_at": None, "created_at": stamp, "updated_at": stamp, "duration": None,
            "error": None, "status_log": [status_entry("created")], **fields}


def insert_new(session: Session, values: list[dict]) -> list[LedgerRow]:
    """Insert new executions (``new_values``) in one statement; their rows, in order."""
    if values:
        session.execute(insert(ExecutionRow.__table__), values)
    return [LedgerRow.of(entry) for entry in values]


def append_status(row: ExecutionRow, entry: dict) -> None:
    """Make ``entry`` the latest status (and keep it in the history)."""
    row.status_log = [*row.status_log, entry]
    row.status = entry["status"]
    row.updated_at = entry["timestamp"]


def mark_published(session: Session, execution_ids: list[str]) -> None:
    """Record that the queue confirmed these executions' messages."""
    if execution_ids:
        session.execute(_MARK_PUBLISHED, {"ids": execution_ids})


#: Built once, and Core: the ORM's bulk update would also look for the rows in the
#: session to synchronise them, and this session has none.
_MARK_PUBLISHED = (update(ExecutionRow.__table__)
                   .where(ExecutionRow.__table__.c.id.in_(bindparam("ids", expanding=True)))
                   .values(published=True))


def unpublished(session: Session, older_than: str, limit: int = 500) -> list[ExecutionRow]:
    """Queued executions whose message was never confirmed, created before ``older_than``.

    Locked where the database can (PostgreSQL), skipping rows being claimed right now.
    """
    return list(session.scalars(
        select(ExecutionRow).where(ExecutionRow.published.is_(False),
                                   ExecutionRow.status == "created",
                                   ExecutionRow.updated_at < older_than)
        .order_by(ExecutionRow.id).limit(limit).with_for_update(skip_locked=True)))


def by_ids(session: Session, service_id: str, execution_ids: list[str]) -> list[ExecutionRow]:
    """The service's executions among ``execution_ids``.

    Selected by primary key only and filtered here: with ``service_id`` in the query,
    SQLite's planner walks the service's whole history (its index) instead.
    """
    if not execution_ids:
        return []
    rows = session.scalars(select(ExecutionRow).where(ExecutionRow.id.in_(execution_ids)))
    return [row for row in rows if row.service_id == service_id]


def add_logs(session: Session, service_id: str, execution_id: str | None,
             replica_id: str | None, lines: list[dict]) -> None:
    """Append log lines (``{timestamp?, level?, message}``)."""
    add_log_lines(session, service_id, replica_id, [(execution_id, line) for line in lines])


def add_log_lines(session: Session, service_id: str, replica_id: str | None,
                  lines: list[tuple[str | None, dict]]) -> None:
    """Append ``(execution id or None, line)`` pairs, in order, in one bulk insert.

    Log lines are write-only rows (no events, nothing reads them back in the transaction),
    so they skip the ORM: one Core executemany, ids ascending in list order.
    """
    if not lines:
        return
    stamp = now_iso()
    session.execute(insert(ExecutionLogRow.__table__), [
        {"execution_id": execution_id, "service_id": service_id, "replica_id": replica_id,
         "timestamp": str(line.get("timestamp") or stamp)[:24],
         "level": str(line.get("level") or "INFO")[:16],
         "message": str(line.get("message", ""))}
        for execution_id, line in lines
    ])


def logs(session: Session, service_id: str, *, execution_ids: list[str] | None = None,
         after_id: int = 0, text: str | None = None, replica_id: str | None = None,
         start: str | None = None, end: str | None = None,
         limit: int = 100) -> list[ExecutionLogRow]:
    """Log lines of a service, oldest first, after the ``after_id`` checkpoint."""
    query = select(ExecutionLogRow).where(ExecutionLogRow.service_id == service_id,
                                          ExecutionLogRow.id > after_id)
    if execution_ids:
        query = query.where(ExecutionLogRow.execution_id.in_(execution_ids))
    if text:
        query = query.where(ExecutionLogRow.message.contains(text, autoescape=True))
    if replica_id:
        query = query.where(ExecutionLogRow.replica_id == replica_id)
    if start:
        query = query.where(ExecutionLogRow.timestamp >= start)
    if end:
        query = query.where(ExecutionLogRow.timestamp <= end)
    return list(session.scalars(query.order_by(ExecutionLogRow.id).limit(limit)))


def unfinished(session: Session, service_id: str) -> list[ExecutionRow]:
    """Executions of the service that are queued or running."""
    return list(session.scalars(select(ExecutionRow).where(
        ExecutionRow.service_id == service_id,
        ExecutionRow.status.in_(("created", "in-progress")))))


def load(session: Session, service_id: str) -> tuple[int, int]:
    """``(queued, running)`` execution counts of the service."""
    counts = dict(session.execute(
        select(ExecutionRow.status, func.count()).where(
            ExecutionRow.service_id == service_id,
            ExecutionRow.status.in_(("created", "in-progress")))
        .group_by(ExecutionRow.status)).all())
    return counts.get("created", 0), counts.get("in-progress", 0)


def in_progress(session: Session, limit: int = 1000) -> list[ExecutionRow]:
    """Running executions, oldest start first (the janitor's view).

    Locked for the transaction where the database can (PostgreSQL), skipping rows another
    transaction holds: a result being stored right now is not overwritten by a reset.
    """
    return list(session.scalars(select(ExecutionRow).where(
        ExecutionRow.status == "in-progress").order_by(ExecutionRow.started_at).limit(limit)
        .with_for_update(skip_locked=True)))
