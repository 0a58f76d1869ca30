"""Gated SQLite connections: the threads of one process queue for the write lock.

SQLite admits one writer at a time. A connection that finds the lock taken retries in its
busy handler, which sleeps 1, 2, 5, 10 ... 100 ms between tries; under a steady stream of
small write transactions from many request threads those sleeps, not the writes, set the
latency (measured: ~8 ms per execution insert at ~300 inserts/s, 0.15 ms of it working).

A ``WriteGate`` is a process-wide lock that a connection takes just before the first write
of a transaction -- the statement before which the ``sqlite3`` module opens the transaction
with ``BEGIN``, or an explicit ``BEGIN IMMEDIATE`` -- and gives back right after that
transaction's ``COMMIT`` or ``ROLLBACK`` (or when the connection closes), so it is held
while SQLite's own write lock is. Waiting threads wake the moment it is free instead of at
their next sleep's end.

Nothing about isolation changes: SQLite serialises writers either way, and writers in
other processes still meet the busy handler. A thread whose other transaction holds the
gate (two connections on one thread) is not held back: SQLite decides that conflict, as
before. A gate not obtained within its timeout is skipped, leaving SQLite's own waiting.

A connection whose ``gate_wait`` is False does not wait at all: a write that finds the gate
taken raises ``WriteBusy`` before anything is sent to SQLite (``Database.connection``
with ``wait=False``, which also keeps SQLite from waiting for another process).
"""

from __future__ import annotations

import sqlite3
import threading

from conveyor_runner.errors import RunnerError

#: Statements before which the sqlite3 module (legacy transaction control) sends ``BEGIN``,
#: and the explicit start of a write transaction (``store.db``'s exclusive transactions).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE")


class WriteBusy(RunnerError):
    """Another writer holds the database, and the caller asked not to wait for it."""


class WriteGate:
    """The process-wide turn for SQLite write transactions (see the module docstring).

    Args:
        timeout: seconds to wait for the gate before leaving it to SQLite's busy handler.
    """

    def __init__(self, timeout: float) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._timeout = timeout

    def enter(self, wait: bool = True) -> bool:
        """Wait for the gate; True if taken (then ``leave`` must follow exactly once).

        Raises:
            WriteBusy: ``wait`` is False and another thread holds the gate.
        """
        me = threading.get_ident()
        if self._owner == me:
            return False
        if not wait:
            if not self._lock.acquire(blocking=False):
                raise WriteBusy("another thread is writing to the database")
        elif not self._lock.acquire(timeout=self._timeout):
            return False
        self._owner = me
        return True

    def leave(self) -> None:
        """Give the gate back (from any thread: a connection may be closed elsewhere)."""
        self._owner = None
        self._lock.release()

    def connection_factory(self) -> type[sqlite3.Connection]:
        """A ``sqlite3.connect(factory=...)`` class whose connections pass this gate."""
        gate = self

        class GatedCursor(sqlite3.Cursor):
            def execute(self, sql, parameters=()):
                self.connection._gate_write(sql)
                return super().execute(sql, parameters)

            def executemany(self, sql, seq_of_parameters):
                self.connection._gate_write(sql)
                return super().executemany(sql, seq_of_parameters)

        class GatedConnection(sqlite3.Connection):
            _gated = False
            #: False: a write finding the gate taken raises ``WriteBusy`` at once.
            gate_wait = True

            def cursor(self, factory=GatedCursor):
                return super().cursor(factory)

            def _gate_write(self, sql: str) -> None:
                # Only where the sqlite3 module opens a transaction before a write (legacy
                # transaction control): an autocommit connection writes statement by
                # statement and would never give the gate back.
                if (not self._gated and not self.in_transaction
                        and self.isolation_level is not None
                        and sql.lstrip()[:15].upper().startswith(_WRITES)):
                    self._gated = gate.enter(self.gate_wait)

            def commit(self):
                try:
                    super().commit()
                finally:
                    self._ungate()

            def rollback(self):
                try:
                    super().rollback()
                finally:
                    self._ungate()

            def close(self):
                try:
                    super().close()
                finally:
                    self._ungate()

            def _ungate(self) -> None:
                if self._gated:
                    self._gated = False
                    gate.leave()

        return GatedConnection
