"""Triggers, their ``Once`` markers and the cron slot claim."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from conveyor_runner.errors import NotFoundError
from conveyor_runner.ids import new_id, now_iso
from conveyor_runner.store.query import FieldMap
from conveyor_runner.store.tables import MemberRow, TriggerFiredRow, TriggerRow

TRIGGER_FIELDS = FieldMap(
    columns={
        "id": TriggerRow.id,
        "name": TriggerRow.name,
        "projectId": TriggerRow.project_id,
        "type": TriggerRow.type,
        "active": TriggerRow.active,
        "creator": TriggerRow.creator,
        "createdAt": TriggerRow.created_at,
        "updatedAt": TriggerRow.updated_at,
        "spec.operation.serviceId": TriggerRow.service_id,
    },
    json_roots={},
    fallback=TriggerRow.doc,
)


def visible_trigger(session: Session, trigger_id: str, user_id: str) -> TriggerRow:
    """The trigger if the user is a member of its project, else ``NotFoundError``."""
    row = session.scalar(
        select(TriggerRow)
        .join(MemberRow, MemberRow.project_id == TriggerRow.project_id)
        .where(TriggerRow.id == trigger_id, MemberRow.user_id == user_id)
    )
    if row is None:
        raise NotFoundError(f"trigger {trigger_id} not found")
    return row


def create(session: Session, **fields) -> TriggerRow:
    """Insert a trigger (names need not be unique, as in dtlpy)."""
    stamp = now_iso()
    row = TriggerRow(id=new_id(), created_at=stamp, updated_at=stamp, **fields)
    session.add(row)
    session.flush()
    return row


def delete_trigger(session: Session, row: TriggerRow) -> None:
    """Delete the trigger (its ``Once`` markers cascade; its executions stay)."""
    session.delete(row)


def any_active_event_trigger(session: Session) -> bool:
    """Whether any project has an active event trigger (one indexed lookup)."""
    return session.scalar(select(TriggerRow.id).where(
        TriggerRow.type == "Event", TriggerRow.active.is_(True)).limit(1)) is not None


def active_event_triggers(session: Session, project_ids: set[str]) -> list[TriggerRow]:
    """Active event triggers of these projects, oldest first."""
    if not project_ids:
        return []
    return list(session.scalars(select(TriggerRow).where(
        TriggerRow.project_id.in_(project_ids), TriggerRow.type == "Event",
        TriggerRow.active.is_(True)).order_by(TriggerRow.id)))


def due_cron_triggers(session: Session, now: str, limit: int = 100) -> list[TriggerRow]:
    """Active cron triggers whose next slot is at or before ``now``, most overdue first."""
    return list(session.scalars(select(TriggerRow).where(
        TriggerRow.type == "Cron", TriggerRow.active.is_(True),
        TriggerRow.next_fire_at.is_not(None), TriggerRow.next_fire_at <= now)
        .order_by(TriggerRow.next_fire_at, TriggerRow.id).limit(limit)))


def next_cron_slot(session: Session) -> str | None:
    """The earliest upcoming slot of any active cron trigger."""
    return session.scalar(select(TriggerRow.next_fire_at).where(
        TriggerRow.type == "Cron", TriggerRow.active.is_(True),
        TriggerRow.next_fire_at.is_not(None)).order_by(TriggerRow.next_fire_at).limit(1))


def claim_slot(session: Session, trigger_id: str, slot: str, following: str | None) -> bool:
    """Move the trigger from ``slot`` to ``following``; True only for the one caller that
    did it (a conditional UPDATE: a concurrent claimer of the same slot updates nothing)."""
    result = session.execute(
        update(TriggerRow)
        .where(TriggerRow.id == trigger_id, TriggerRow.next_fire_at == slot,
               TriggerRow.active.is_(True))
        .values(next_fire_at=following)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def record_error(session: Session, trigger_id: str, error: dict) -> None:
    """Keep why the trigger's last fire created no execution (``lastError``)."""
    row = session.get(TriggerRow, trigger_id)
    if row is not None:
        row.doc = {**row.doc, "lastError": error}


def claim_once(session: Session, trigger_id: str, resource_id: str) -> bool:
    """Record that a ``Once`` trigger runs for the resource; False if it already did.

    An insert that ignores conflicts: of two concurrent transactions only the first to
    commit inserts, the other waits for it and then inserts nothing.
    """
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    table = TriggerFiredRow.__table__
    inserted = session.execute(
        insert(table).values(trigger_id=trigger_id, resource_id=resource_id,
                             created_at=now_iso())
        .on_conflict_do_nothing().returning(table.c.trigger_id)).first()
    return inserted is not None


def release_once(session: Session, trigger_id: str, resource_id: str) -> None:
    """Undo ``claim_once`` (the execution could not be created)."""
    session.execute(delete(TriggerFiredRow).where(TriggerFiredRow.trigger_id == trigger_id,
                                                  TriggerFiredRow.resource_id == resource_id))

