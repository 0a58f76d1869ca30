"""Event capture on the session factory: outbox rows commit with their change, or not at all.

Runs against a real, migrated database (SQLite and PostgreSQL) through ``Database`` only:
no server, no trigger engine, so the outbox keeps what the transactions wrote.
"""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import select

from conveyor_runner.store import annotations, datasets, items, projects, users
from conveyor_runner.store.db import Database
from conveyor_runner.store.events import acting_user
from conveyor_runner.store.tables import EventRow, ItemRow


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path):
    with contextlib.ExitStack() as stack:
        url = f"sqlite:///{tmp_path / 'events.db'}"
        if request.param == "postgres":
            from conveyor_runner.testing.databases import temporary_postgres_database

            url = stack.enter_context(temporary_postgres_database(
                request.getfixturevalue("postgres_url")))
        database = Database(url)
        database.migrate()
        yield database
        database.dispose()


@pytest.fixture
def dataset(db):
    with db.transaction() as session:
        owner = users.create_user(session, "owner@example.com", None)
        project = projects.create_project(session, "p", owner)
        row = datasets.create_dataset(session, project.id, "d", owner.email)
    _drain(db)
    return row


def _drain(db) -> list[tuple]:
    """The outbox as (resource, action, resource id, project id), emptied."""
    with db.transaction() as session:
        rows = list(session.scalars(select(EventRow).order_by(EventRow.id)))
        for row in rows:
            session.delete(row)
        return [(r.resource, r.action, r.resource_id, r.project_id, r.snapshot, r.user_id)
                for r in rows]


def test_a_commit_writes_one_event_per_changed_row_and_says_so(db, dataset):
    told = []
    db.on_events_committed(told.append)
    with db.transaction() as session:
        item = items.add_file(session, dataset.id, "/a/b.txt", "owner@example.com", size=1)
        item.description = "set after the insert was flushed"
    (event,) = _drain(db)
    resource, action, resource_id, project_id, snapshot, _user = event
    assert (resource, action, resource_id, project_id) == (
        "Item", "Created", item.id, dataset.project_id)
    assert snapshot["description"] == "set after the insert was flushed"
    assert told == [1]


def test_rolled_back_transactions_write_nothing(db, dataset):
    told = []
    db.on_events_committed(told.append)
    with pytest.raises(RuntimeError), db.transaction() as session:
        items.add_file(session, dataset.id, "/x.txt", "owner@example.com", size=1)
        session.flush()
        raise RuntimeError("the request failed after its insert")
    assert _drain(db) == [] and told == []


def test_actions_merge_within_a_transaction(db, dataset):
    with db.transaction() as session:
        kept = items.add_file(session, dataset.id, "/kept.txt", "o", size=1)
        gone = items.add_file(session, dataset.id, "/gone.txt", "o", size=1)
    _drain(db)
    with db.transaction() as session:
        short_lived = items.add_file(session, dataset.id, "/tmp.txt", "o", size=1)
        session.flush()
        items.delete_items(session, [short_lived])  # created and deleted: never visible
        row = session.get(ItemRow, kept.id)
        row.description = "one"
        session.flush()
        row.description = "two"  # two updates: one Updated with the final state
        doomed = session.get(ItemRow, gone.id)
        doomed.description = "last words"
        session.flush()
        items.delete_items(session, [doomed])  # updated then deleted: Deleted, as it was
    events = {(e[0], e[1], e[2]): e[4] for e in _drain(db)}
    assert set(events) == {("Item", "Updated", kept.id), ("Item", "Deleted", gone.id)}
    assert events[("Item", "Updated", kept.id)]["description"] == "two"
    assert events[("Item", "Deleted", gone.id)]["description"] == "last words"


def test_a_rolled_back_savepoint_keeps_the_outer_events_only(db, dataset):
    with db.transaction() as session:
        outer = items.add_file(session, dataset.id, "/outer.txt", "o", size=1)
        savepoint = session.begin_nested()
        items.add_file(session, dataset.id, "/inner.txt", "o", size=1)
        savepoint.rollback()
    assert [(e[1], e[2]) for e in _drain(db)] == [("Created", outer.id)]


def test_annotation_dataset_clone_and_acting_user(db, dataset):
    token = acting_user.set("u" * 24)
    try:
        with db.transaction() as session:
            item = items.add_file(session, dataset.id, "/i.png", "o", size=1)
            clone = items.add_file(session, dataset.id, "/copy.png", "o", size=1)
            clone.doc = {"srcItem": item.id}
            annotation = annotations.add(session, item, {"type": "box", "label": "car"}, "o")
            dataset_row = session.merge(dataset)
            dataset_row.name = "renamed"
    finally:
        acting_user.reset(token)
    events = {(e[0], e[2]): (e[1], e[3], e[5]) for e in _drain(db)}
    project = dataset.project_id
    assert events == {
        ("Item", item.id): ("Created", project, "u" * 24),
        ("Item", clone.id): ("Clone", project, "u" * 24),
        ("Annotation", annotation.id): ("Created", project, "u" * 24),
        ("Dataset", dataset.id): ("Updated", project, "u" * 24),
    }


def test_implicit_folders_and_read_only_transactions_emit_nothing(db, dataset):
    with db.transaction() as session:
        items.ensure_folders(session, dataset.id, "/deep/er", "o")  # Core inserts
        items.find_by_filename(session, dataset.id, "/deep")
    assert _drain(db) == []


def test_the_hidden_binaries_dataset_emits_nothing(db, dataset):
    with db.transaction() as session:
        binaries = datasets.create_dataset(session, dataset.project_id, datasets.BINARIES, "o",
                                           system=True)
        items.add_file(session, binaries.id, "/codebases/pkg/1.zip", "o", size=1)
    with db.transaction() as session:
        items.add_file(session, binaries.id, "/codebases/pkg/2.zip", "o", size=1)
    assert _drain(db) == []
