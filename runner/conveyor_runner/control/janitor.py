"""Janitor: no execution is ever left ``in-progress`` by a replica that is gone or stuck.

Every few seconds it looks at running executions and their replicas' heartbeats:

- the replica stopped reporting (dead for ``dead_after`` seconds), or reports without the
  execution in its ``running`` list (it restarted under the same id), or
- the execution outlived its service's ``executionTimeout`` by ``timeout_grace`` seconds
  (its replica should have stopped it and did not),

and then applies the service's ``onReset``: ``failed`` ends the execution ``failed``;
``rerun`` queues it again under a new dispatch id (so a late redelivery of the old message is
skipped as a stale duplicate), unless ``maxAttempts`` is reached. This is what makes the
ledger independent of the queue: a message the broker lost or acked as a duplicate can
never strand an execution.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from conveyor_runner.control import executions as ledger
from conveyor_runner.control.loop_thread import LoopThread
from conveyor_runner.ids import new_id, now_iso, parse_iso
from conveyor_runner.store import executions, services
from conveyor_runner.store.db import Database
from conveyor_runner.store.executions import status_entry
from conveyor_runner.store.tables import ExecutionRow, ReplicaRow, ServiceRow

log = logging.getLogger(__name__)


def verdict(row: ExecutionRow, replica: ReplicaRow | None, service: ServiceRow | None, *,
            now: str, dead_after: float, timeout_grace: float) -> str | None:
    """Why a running execution must be reset, or None if it is fine."""
    if service is None:
        return "its service was deleted"
    started = parse_iso(row.started_at or row.updated_at)
    age = (parse_iso(now) - started).total_seconds()
    timeout = float(service.doc.get("executionTimeout", 3600))
    if age > timeout + timeout_grace:
        return f"execution timed out after {timeout:.0f} s (executionTimeout)"
    if replica is None:
        return f"replica {row.replica_id} never reported" if age > dead_after else None
    silent = (parse_iso(now) - parse_iso(replica.heartbeat_at)).total_seconds()
    if silent > dead_after:
        return f"replica {row.replica_id} stopped while running it"
    reported_after_start = parse_iso(replica.heartbeat_at) > started + timedelta(seconds=10)
    if reported_after_start and row.id not in (replica.info.get("running") or []):
        return f"replica {row.replica_id} restarted while running it"
    return None


def owner_running(row: ExecutionRow, replica: ReplicaRow | None, *, now: str,
                  dead_after: float = 20.0) -> bool:
    """True if the replica that claimed a running execution is alive and still runs it.

    A redelivery of such an execution (e.g. the broker requeued it when a connection
    dropped) is a duplicate to skip, not a dead attempt to reset.
    """
    if replica is None or row.status != "in-progress" or replica.service_id != row.service_id:
        return False
    if (parse_iso(now) - parse_iso(replica.heartbeat_at)).total_seconds() > dead_after:
        return False
    started = parse_iso(row.started_at or row.updated_at)
    recent = parse_iso(replica.heartbeat_at) <= started + timedelta(seconds=10)
    return recent or row.id in (replica.info.get("running") or [])


def reset(row: ExecutionRow, service: ServiceRow | None, reason: str) -> bool:
    """Apply ``onReset``; returns True if the execution was queued again (to publish)."""
    on_reset = (service.doc.get("onReset", "failed") if service else "failed")
    if service is None or on_reset == "failed":
        ledger.finish(row, "failed" if service else "canceled",
                      message=f"{reason} (onReset: {on_reset})")
        return False
    if row.attempts >= row.max_attempts:
        ledger.finish(row, "failed", message=ledger.MAX_ATTEMPTS_MESSAGE.format(
            row.max_attempts) + f"; last attempt: {reason}")
        return False
    row.dispatch_id, row.published, row.replica_id = new_id(), False, None
    executions.append_status(row, status_entry(
        "created", message=f"queued again: {reason} (onReset: rerun)"))
    return True


class Janitor:
    """Runs the checks above on a timer.

    Args:
        db: the ledger database.
        publish: publishes requeued executions (the dispatcher's ``publish``).
        notify: wakes callers waiting on executions that ended.
    """

    def __init__(self, db: Database, publish: Callable[[list[ExecutionRow]], None],
                 notify: Callable[[], None], *, interval: float = 5.0,
                 dead_after: float = 20.0, timeout_grace: float = 30.0) -> None:
        self.db, self._publish, self._notify = db, publish, notify
        self._interval, self._dead_after, self._grace = interval, dead_after, timeout_grace
        self._loop_thread = LoopThread("conveyor-janitor", self._loop, join_timeout=10)

    def sweep(self) -> int:
        """One pass; returns how many executions were reset."""
        requeued, ended = [], 0
        now = now_iso()
        with self.db.transaction(exclusive=True) as session:
            for row in executions.in_progress(session):
                service = services.get(session, row.service_id)
                replica = (services.replica_report(session, row.replica_id)
                           if row.replica_id else None)
                reason = verdict(row, replica, service, now=now, dead_after=self._dead_after,
                                 timeout_grace=self._grace)
                if reason is None:
                    continue
                log.warning("execution %s: %s", row.id, reason)
                if reset(row, service, reason):
                    requeued.append(row)
                else:
                    ended += 1
        if requeued:
            self._publish(requeued)
        if requeued or ended:
            self._notify()
        return len(requeued) + ended

    def start(self) -> None:
        """Sweep every ``interval`` seconds in a daemon thread."""
        self._loop_thread.start()

    def stop(self) -> None:
        """Stop the thread."""
        self._loop_thread.stop()

    def _loop(self) -> None:
        while not self._loop_thread.stopping.wait(self._interval):
            try:
                self.sweep()
            except Exception:  # noqa: BLE001 - keep sweeping after a database hiccup
                log.exception("janitor sweep failed")
