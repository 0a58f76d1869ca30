"""Event capture: every committed change to an item, dataset or annotation becomes an
outbox row written in the same transaction.

How (installed on the session factory by ``store.db.Database``, so no route or store
function has to remember it):

* ``before_flush`` notes each ORM insert, real update and delete of an ``ItemRow``,
  ``DatasetRow`` or ``AnnotationRow`` on ``session.info``; a deletion keeps a snapshot of
  the row's columns as they were.
* ``before_commit`` flushes, merges the notes per row (created then updated -> Created;
  created then deleted -> nothing; updated then deleted -> Deleted), snapshots the final
  state of created/updated rows and adds one ``EventRow`` each. They commit with the change,
  or roll back with it: a rolled-back transaction never produces an event.
* ``after_commit`` calls the database's listeners (the trigger engine's wake-up); it runs
  on the committing thread, so listeners must only signal.

Actions: ``Created``, ``Updated``, ``Deleted``, and ``Clone`` instead of ``Created`` for a
row made as a copy (an item with ``srcItem``, a dataset with ``metadata.system.clonedFrom``).
The acting user is :data:`acting_user` (set by the API for the request); background work
has none, and the trigger engine then names the row's last editor.

Not captured (documented limits): rows changed by Core statements instead of the ORM
(implicit folder items an upload creates, the annotation counter of an item) and rows
removed by a database cascade (the items of a deleted dataset or project) — a dataset or
project deletion is one ``Dataset Deleted`` event, not one per item. The root folder item
(``/``) of a dataset and everything in a project's hidden ``Binaries`` dataset (package
codebases) never emit events: pushing code must not run users' item triggers.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from conveyor_runner.ids import new_id, now_iso
from conveyor_runner.store.tables import AnnotationRow, DatasetRow, EventRow, ItemRow

#: The user the current request acts as (set by ``api.deps``); None in background work.
acting_user: ContextVar[str | None] = ContextVar("conveyor_acting_user", default=None)

RESOURCES: dict[type, str] = {ItemRow: "Item", DatasetRow: "Dataset", AnnotationRow: "Annotation"}
_NOTES = "conveyor.events.notes"
_WRITTEN = "conveyor.events.written"
_OWNERS: dict[str, tuple[str, bool]] = {}  # dataset id -> (project id, system dataset?)
_OWNERS_MAX = 50_000


@dataclass
class _Note:
    resource: str
    action: str
    row: object
    snapshot: dict | None = None  # Deleted: the columns before the deletion


def install(factory: sessionmaker, committed: Callable[[int], None]) -> None:
    """Capture events on every session ``factory`` makes; ``committed(n)`` runs after a
    commit that wrote ``n`` > 0 events."""
    event.listen(factory, "before_flush", _before_flush)
    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_soft_rollback", _forget)

    def after_commit(session: Session) -> None:
        written = session.info.pop(_WRITTEN, 0)
        session.info.pop(_NOTES, None)
        if written:
            committed(written)

    event.listen(factory, "after_commit", after_commit)


def columns(row: object) -> dict:
    """The mapped column values of a row, by attribute name (the snapshot format)."""
    mapper = inspect(type(row))
    return {attr.key: getattr(row, attr.key) for attr in mapper.column_attrs}


def _before_flush(session: Session, _context, _instances) -> None:
    notes: dict[tuple[str, str], _Note] = session.info.setdefault(_NOTES, {})
    for row in session.new:
        if type(row) in RESOURCES:
            _note(notes, row, "Created")
    for row in session.dirty:
        if type(row) in RESOURCES and session.is_modified(row, include_collections=False):
            _note(notes, row, "Updated")
    for row in session.deleted:
        if type(row) in RESOURCES:
            _note(notes, row, "Deleted", columns(row))


def _note(notes: dict, row: object, action: str, snapshot: dict | None = None) -> None:
    key = (RESOURCES[type(row)], row.id)
    previous = notes.get(key)
    if previous is None:
        notes[key] = _Note(key[0], action, row, snapshot)
    elif action == "Deleted" and previous.action == "Created":
        del notes[key]  # never visible outside the transaction
    elif action == "Deleted":
        notes[key] = _Note(key[0], action, row, snapshot)
    # Created then Updated stays Created; Updated twice stays Updated.


def _before_commit(session: Session) -> None:
    session.flush()  # note changes not flushed yet (a no-op for a clean session)
    notes = [n for n in session.info.pop(_NOTES, {}).values() if _still_true(n)]
    if not notes:
        return
    owners = _owners(session, notes)
    stamp, user_id = now_iso(), acting_user.get()
    rows = []
    for note in notes:
        snapshot = note.snapshot if note.action == "Deleted" else columns(note.row)
        dataset_id = snapshot["id"] if note.resource == "Dataset" else snapshot["dataset_id"]
        project_id, system = owners.get(dataset_id, ("", False))
        if system or (note.resource == "Item" and snapshot.get("filename") == "/"):
            continue
        rows.append(EventRow(
            id=new_id(), resource=note.resource, action=_action(note, snapshot),
            project_id=project_id, dataset_id=dataset_id,
            resource_id=snapshot["id"], user_id=user_id, created_at=stamp,
            snapshot=snapshot, attempts=0))
    session.add_all(rows)  # flushed by the commit that is under way
    session.info[_WRITTEN] = len(rows)


def _still_true(note: _Note) -> bool:
    # A savepoint rolled back after the flush undoes the change: drop its note.
    state = inspect(note.row)
    if note.action == "Deleted":
        return state.was_deleted
    return state.persistent


def _action(note: _Note, snapshot: dict) -> str:
    if note.action != "Created":
        return note.action
    if note.resource == "Item" and (snapshot.get("doc") or {}).get("srcItem"):
        return "Clone"
    if note.resource == "Dataset" and ((snapshot.get("metadata_") or {}).get("system") or {}
                                       ).get("clonedFrom"):
        return "Clone"
    return "Created"


def _owners(session: Session, notes: list[_Note]) -> dict[str, tuple[str, bool]]:
    """Dataset id -> (project id, system dataset?) for every note; a process-wide cache
    first (a dataset never changes project or becomes a system dataset)."""
    found = {}
    for note in notes:
        if note.resource == "Dataset":
            found[_value(note, "id")] = (_value(note, "project_id"), _value(note, "system"))
    wanted = {_value(n, "dataset_id") for n in notes if n.resource != "Dataset"} - set(found)
    cached = {d: _OWNERS.get(d) for d in wanted}
    found.update({d: owner for d, owner in cached.items() if owner is not None})
    missing = wanted - set(found)
    if missing:
        found.update({d: (p, bool(system)) for d, p, system in session.execute(
            select(DatasetRow.id, DatasetRow.project_id, DatasetRow.system)
            .where(DatasetRow.id.in_(missing)))})
    if len(_OWNERS) > _OWNERS_MAX:
        _OWNERS.clear()
    _OWNERS.update(found)
    return found


def _value(note: _Note, key: str):
    return note.snapshot[key] if note.snapshot is not None else getattr(note.row, key)


def _forget(session: Session, previous_transaction) -> None:
    # A savepoint's rollback keeps the outer transaction's notes (_still_true sorts them).
    if previous_transaction.parent is not None:
        return
    session.info.pop(_NOTES, None)
    session.info.pop(_WRITTEN, None)
