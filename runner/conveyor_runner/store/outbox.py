"""The event outbox: claiming, deleting and failing committed events (``EventRow``)."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from conveyor_runner.store.tables import EventRow


def claim(session: Session, limit: int, max_attempts: int,
          ids: list[str] | None = None) -> list[EventRow]:
    """The oldest pending events (or those of ``ids``), locked for this transaction.

    On PostgreSQL the rows are locked ``FOR UPDATE SKIP LOCKED``, so two control planes
    never take the same event; SQLite has one writer at a time, which serialises them.
    Events that failed ``max_attempts`` times are left for inspection and skipped.
    """
    query = select(EventRow).where(EventRow.attempts < max_attempts)
    if ids is not None:
        query = query.where(EventRow.id.in_(ids))
    return list(session.scalars(query.order_by(EventRow.id).limit(limit)
                                .with_for_update(skip_locked=True)))


def remove(session: Session, event_ids: list[str]) -> int:
    """Delete events; returns how many this transaction deleted (others may have first)."""
    if not event_ids:
        return 0
    return session.execute(delete(EventRow).where(EventRow.id.in_(event_ids))
                           .execution_options(synchronize_session=False)).rowcount


def record_failure(session: Session, event_id: str, error: str) -> None:
    """Count a failed attempt at processing the event and keep why."""
    session.execute(update(EventRow).where(EventRow.id == event_id)
                    .values(attempts=EventRow.attempts + 1, error=error[:4000]))


def pending_count(session: Session, max_attempts: int) -> int:
    """How many events wait to be processed."""
    return session.scalar(select(func.count()).select_from(EventRow)
                          .where(EventRow.attempts < max_attempts)) or 0
