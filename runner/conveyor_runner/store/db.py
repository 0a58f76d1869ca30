"""Database: engine, sessions and schema migrations for SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from conveyor_runner.errors import ConfigurationError
from conveyor_runner.store import events
from conveyor_runner.store.dql_sql import install_sqlite_functions
from conveyor_runner.store.write_gate import WriteBusy, WriteGate

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: How long a SQLite writer waits for the write lock before "database is locked".
SQLITE_BUSY_SECONDS = 30
#: SQLite's result code for "another connection holds the lock" (``sqlite3.SQLITE_BUSY``
#: from Python 3.11 on).
_SQLITE_BUSY = 5


class Database:
    """One engine and its session factory.

    Every session it makes records changes to items, datasets and annotations as event
    outbox rows in the same transaction (``store.events``); listeners registered with
    ``on_events_committed`` are told after each commit that wrote some.

    Args:
        url: SQLAlchemy URL (``sqlite:///...`` or ``postgresql://...``).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _create_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._event_listeners: list[Callable[[int], None]] = []
        events.install(self._sessions, self._events_committed)

    def on_events_committed(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(count)`` after every commit that wrote ``count`` > 0 events.

        It runs on the committing thread, inside the caller's request: it must only signal
        (set a flag, wake a thread), never do work.
        """
        self._event_listeners.append(listener)

    def _events_committed(self, count: int) -> None:
        for listener in self._event_listeners:
            listener(count)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextlib.contextmanager
    def transaction(self, exclusive: bool = False) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on error.

        ``exclusive`` is for read-decide-write transactions (the execution ledger's claims,
        results, resets): their reads must still hold when their writes commit. PostgreSQL
        gets that from the ``FOR UPDATE`` locks of their queries. SQLite's driver starts a
        transaction only at the first write, so reads before it see a moment that a
        concurrent commit may already have changed (two claims of one execution would both
        read ``created``); an exclusive transaction there takes the write lock first, with
        ``BEGIN IMMEDIATE``, and such transactions run one at a time.
        """
        with self._sessions() as session, session.begin():
            if exclusive and self.dialect == "sqlite":
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session

    @property
    def writes_are_local(self) -> bool:
        """Writes are calls into a library on this machine (SQLite), not round trips to a
        server: a small one takes a bounded, short time."""
        return self.dialect == "sqlite"

    @contextlib.contextmanager
    def connection(self, exclusive: bool = False, wait: bool = True) -> Iterator[Connection]:
        """A Core connection inside one transaction, as ``transaction`` gives a session
        (``exclusive`` alike), for the ledger's batch paths: no ORM session -- whose set-up,
        unit of work and commit hooks cost as much as a claim's queries -- so no event
        capture either: it writes only rows without events (executions, their logs,
        replicas), never items, datasets or annotations; reading any is fine.

        ``wait=False`` (SQLite, ``exclusive``): if another writer holds the database -- a
        thread of this process (``store.write_gate``) or another process -- raise
        ``WriteBusy`` at once, having done nothing, instead of waiting for its commit.
        """
        with self.engine.begin() as connection:
            if exclusive and self.dialect == "sqlite":
                if wait:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    _begin_without_waiting(connection)
            yield connection

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent).

        Raises:
            ConfigurationError: the database cannot be reached; the message names the URL
                (without its password) and the fix.
        """
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except OperationalError as exc:
            shown = self.engine.url.render_as_string(hide_password=True)
            raise ConfigurationError(
                f"cannot reach the database at {shown}: {exc.orig}; check "
                "CONVEYOR_DATABASE_URL and that the server is running"
            ) from exc

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # The engine's threads queue for the write lock at a WriteGate (store.write_gate)
        # instead of sleeping in SQLite's busy handler; other processes still use that.
        gate = WriteGate(timeout=SQLITE_BUSY_SECONDS)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS,
                               "factory": gate.connection_factory()},
            pool_size=20, max_overflow=20,
        )
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    if url.startswith("postgres"):
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    raise ConfigurationError(
        f"unsupported CONVEYOR_DATABASE_URL {url!r}: use sqlite:///path or postgresql://..."
    )


def _begin_without_waiting(connection: Connection) -> None:
    """``BEGIN IMMEDIATE`` on SQLite, or ``WriteBusy`` at once if another writer holds the
    write lock: no turn at the gate, no busy handler (a rollback follows the error)."""
    driver = connection.connection.driver_connection
    driver.gate_wait = False
    driver.execute("PRAGMA busy_timeout=0")
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as exc:
        if _is_busy(exc.orig):
            raise WriteBusy("another process is writing to the database") from exc
        raise
    finally:
        driver.gate_wait = True
        driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")


def _is_busy(error: BaseException) -> bool:
    """SQLite's SQLITE_BUSY (its code from Python 3.11 on; its message before)."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == _SQLITE_BUSY  # an extended code keeps the primary in its low byte
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


def _configure_sqlite(dbapi_connection, _record) -> None:
    # WAL lets readers proceed during a write; NORMAL sync is durable across process
    # crashes (only an OS crash can lose the last commits); foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cursor.close()
    install_sqlite_functions(dbapi_connection)
