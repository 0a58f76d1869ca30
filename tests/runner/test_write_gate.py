"""WriteGate: the threads of a process take turns for SQLite's write lock; a writer that
will not wait is refused at once, by the gate or by SQLite."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from conveyor_runner.store.db import SQLITE_BUSY_SECONDS, Database
from conveyor_runner.store.write_gate import WriteBusy, WriteGate


def connect(path, gate: WriteGate) -> sqlite3.Connection:
    """A gated connection. Statements go through cursors, as SQLAlchemy sends them:
    ``Connection.execute`` calls the C cursor code directly, past the gated cursor."""
    connection = sqlite3.connect(path, timeout=30, check_same_thread=False,
                                 factory=gate.connection_factory())
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def test_concurrent_writers_all_commit_and_the_gate_is_free_after(tmp_path):
    gate = WriteGate(timeout=30)
    path = tmp_path / "gate.db"
    setup = connect(path, gate)
    setup.execute("CREATE TABLE t (n INTEGER)")
    setup.commit()
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        connection = connect(path, gate)
        cursor = connection.cursor()
        try:
            for n in range(50):
                cursor.execute("INSERT INTO t VALUES (?)", (offset + n,))
                cursor.executemany("UPDATE t SET n = n WHERE n = ?", [(offset + n,)])
                connection.commit()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i * 1000,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert setup.execute("SELECT count(*) FROM t").fetchone() == (400,)
    assert gate.enter()  # nobody kept it
    gate.leave()


def test_the_gate_is_held_for_the_transaction_and_given_back_on_rollback(tmp_path):
    gate = WriteGate(timeout=0.2)
    connection = connect(tmp_path / "gate.db", gate)
    connection.execute("CREATE TABLE t (n INTEGER)")
    connection.commit()
    connection.execute("SELECT * FROM t")  # a read takes no turn
    assert _free_from_another_thread(gate)
    connection.cursor().execute("INSERT INTO t VALUES (1)")
    assert not _free_from_another_thread(gate)
    connection.rollback()
    assert _free_from_another_thread(gate)
    assert connection.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_an_autocommit_connection_never_takes_the_gate(tmp_path):
    gate = WriteGate(timeout=0.2)
    connection = connect(tmp_path / "gate.db", gate)
    connection.isolation_level = None
    connection.execute("CREATE TABLE t (n INTEGER)")
    connection.cursor().execute("INSERT INTO t VALUES (1)")
    assert _free_from_another_thread(gate)


def test_closing_a_connection_mid_transaction_gives_the_gate_back(tmp_path):
    gate = WriteGate(timeout=0.2)
    connection = connect(tmp_path / "gate.db", gate)
    connection.execute("CREATE TABLE t (n INTEGER)")
    connection.commit()
    connection.cursor().execute("INSERT INTO t VALUES (1)")
    connection.close()
    assert _free_from_another_thread(gate)


def _free_from_another_thread(gate: WriteGate) -> bool:
    """Whether another thread can take the gate now (giving it straight back)."""
    taken: list[bool] = []

    def attempt() -> None:
        taken.append(gate.enter())
        if taken[0]:
            gate.leave()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    return taken[0]


def test_an_explicit_begin_immediate_takes_the_gate_until_commit(tmp_path):
    gate = WriteGate(timeout=0.2)
    connection = connect(tmp_path / "gate.db", gate)
    connection.cursor().execute("CREATE TABLE t (n INTEGER)")
    connection.commit()
    connection.cursor().execute("BEGIN IMMEDIATE")
    assert not _free_from_another_thread(gate)
    connection.cursor().execute("SELECT count(*) FROM t")
    connection.commit()
    assert _free_from_another_thread(gate)


def test_a_writer_that_will_not_wait_is_refused_while_another_thread_holds_the_gate():
    gate = WriteGate(timeout=30)
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        assert gate.enter()
        held.set()
        release.wait(10)
        gate.leave()

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)
    begun = time.monotonic()
    with pytest.raises(WriteBusy):
        gate.enter(wait=False)
    assert time.monotonic() - begun < 1.0
    release.set()
    thread.join()
    assert gate.enter(wait=False)
    gate.leave()


def test_a_database_write_that_will_not_wait_is_refused_while_another_thread_writes(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'ledger.db'}")
    with database.connection() as connection:
        connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with database.connection(exclusive=True) as connection:
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)
    begun = time.monotonic()
    with pytest.raises(WriteBusy), database.connection(exclusive=True, wait=False) as connection:
        connection.exec_driver_sql("INSERT INTO t VALUES (2)")
    assert time.monotonic() - begun < 1.0
    release.set()
    thread.join()
    with database.connection(exclusive=True, wait=False) as connection:
        connection.exec_driver_sql("INSERT INTO t VALUES (3)")
    with database.connection() as connection:
        assert [n for (n,) in connection.exec_driver_sql("SELECT n FROM t ORDER BY n")] == [1, 3]
    database.dispose()


def test_a_database_write_that_will_not_wait_is_refused_while_another_process_writes(
        tmp_path):
    """Another process's lock is SQLite's own: the refusal skips its busy handler, and the
    connection gets its usual busy timeout back."""
    path = tmp_path / "ledger.db"
    database = Database(f"sqlite:///{path}")
    with database.connection() as connection:
        connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    other = sqlite3.connect(path, isolation_level=None)  # outside this process's gate
    other.execute("BEGIN IMMEDIATE")
    begun = time.monotonic()
    with pytest.raises(WriteBusy), database.connection(exclusive=True, wait=False):
        pass
    assert time.monotonic() - begun < 1.0
    other.execute("COMMIT")
    other.close()
    with database.connection(exclusive=True, wait=False) as connection:
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    assert timeout == SQLITE_BUSY_SECONDS * 1000
    database.dispose()
