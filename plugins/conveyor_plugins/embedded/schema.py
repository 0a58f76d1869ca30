"""The embedded queue's SQLite file: tables, indexes and connection settings.

One row per message in ``messages``. A message is *waiting* when ``visible_at <= now``
(0 for never-delivered or returned messages) and *leased* while ``visible_at`` lies in the
future: a delivery sets ``visible_at = now + delivery_timeout``, so an unsettled delivery
that outlives its timeout becomes waiting again without any background thread. ``lease``
identifies the one delivery allowed to settle the message, and ``lease_owner`` the
transport incarnation that holds it (see :mod:`conveyor_plugins.embedded.owners`).
Times are wall-clock seconds (``time.time()``) because several processes compare them; a
clock jump can make a delivery timeout fire early or late, never lose a message.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conveyor_runner.errors import ConfigurationError

#: Bumped whenever the tables change; stored in ``PRAGMA user_version``.
SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS queues (
    name TEXT PRIMARY KEY,
    delivery_timeout REAL
);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    message_id TEXT NOT NULL,
    body BLOB NOT NULL,
    headers TEXT NOT NULL,
    delivery_count INTEGER NOT NULL DEFAULT 0,
    visible_at REAL NOT NULL DEFAULT 0,
    lease TEXT,
    lease_owner TEXT
);
-- Covering index: a receive walks one queue in publish order and skips leased rows
-- without touching the table (leased rows are few: bounded by the consumers' prefetch).
CREATE INDEX IF NOT EXISTS messages_by_queue ON messages (queue, seq, visible_at);
CREATE INDEX IF NOT EXISTS messages_by_owner ON messages (lease_owner)
    WHERE lease_owner IS NOT NULL;
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    message_id TEXT NOT NULL,
    body BLOB NOT NULL,
    headers TEXT NOT NULL,
    reason TEXT NOT NULL,
    dead_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_by_queue ON dead_letters (queue, id);
CREATE TABLE IF NOT EXISTS owners (
    owner TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    started_at REAL NOT NULL
);
"""

#: SQLite waits this long for another process's write lock before giving up.
BUSY_TIMEOUT_MS = 10_000


def connect(path: Path, *, synchronous: str) -> sqlite3.Connection:
    """Open (creating if needed) the queue file in WAL mode with the tables in place.

    The connection is in autocommit mode (``isolation_level=None``): every statement is
    its own transaction unless the caller issues ``BEGIN``. ``check_same_thread`` is off
    because the transport serialises all use of the connection behind one lock.

    Args:
        path: the SQLite file; its parent folders are created.
        synchronous: ``"normal"`` (survives a process crash; a power loss may drop the
            last commits) or ``"full"`` (fsync on every commit; survives a power loss).

    Raises:
        ConfigurationError: the folder cannot be created, or the file was written by a
            newer schema.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigurationError(
            f"cannot create the queue file's folder {path.parent} ({error}); point "
            "CONVEYOR_QUEUE_URL at a writable place") from error
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # WAL lets readers in other processes proceed while one process writes.
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        conn.close()
        raise ConfigurationError(
            f"queue file {path} was written by a newer Conveyor (schema {version}, this "
            f"one knows {SCHEMA_VERSION}); upgrade Conveyor or point CONVEYOR_QUEUE_URL "
            "at another file")
    if version < SCHEMA_VERSION:
        # BEGIN IMMEDIATE: two processes opening a new file at once create it once.
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _DDL.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return conn
