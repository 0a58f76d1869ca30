"""TriggerEngine: turns committed events (the outbox) into executions, on its own thread.

One pass takes a batch of events in one transaction, evaluates the active event triggers
of each event's project against the resource JSON (``dql.matches``, the evaluator of item
queries; ``trigger_index`` skips those whose filter cannot match), creates the executions,
records ``Once`` markers and deletes the events, then commits — all or nothing. So every
committed change is evaluated exactly once: a crash before that commit leaves the events in
the outbox for the next pass (or the next start), a crash after it leaves executions the
dispatcher publishes. After the commit the new executions are published and the reconciler
is woken (scale from zero).

Rules: a trigger fires for events of its own project only, of its ``resource``, one of its
``actions``, committed after the trigger was created; ``Once`` fires once per trigger and
resource id (persisted), ``Always`` every time. An event that makes a pass fail is retried
alone; after ``MAX_ATTEMPTS`` failures it stays in the outbox with its error and is
skipped, so one bad event never stops the others.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable

from sqlalchemy.orm import Session

from conveyor_runner.control import trigger_fire
from conveyor_runner.control.dql import matches
from conveyor_runner.control.events import EventBus
from conveyor_runner.control.loop_thread import LoopThread
from conveyor_runner.control.trigger_index import Compiled, TriggerCache, TriggerIndex
from conveyor_runner.store import outbox, users
from conveyor_runner.store import triggers as trigger_store
from conveyor_runner.store.db import Database
from conveyor_runner.store.tables import EventRow, ExecutionRow, ServiceRow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
#: Renders an event's resource JSON: ``(session, resource, snapshot) -> dict``.
EventBodies = Callable[[Session, str, dict], dict]


#: How long "is any event trigger active?" is answered from the last lookup, in seconds.
LISTENING_TTL = 0.25


class _Contended(Exception):
    """Another control plane processed some of the claimed events first."""


class TriggerEngine:
    """Evaluates event triggers for committed events.

    Args:
        db: the control plane's database (events come from its outbox).
        bus: wakes the worker when a commit wrote events.
        bodies: renders the resource JSON triggers are matched against.
        on_created: called with the executions of each committed pass (publish, wake).
        batch: events per pass (one transaction; on SQLite it holds the write lock, so
            it is kept small enough not to stall requests).
        poll_seconds: how often the outbox is looked at without a wake-up (events of
            other control planes, events left by a crash).

    While no active event trigger exists anywhere, a wake-up does not start a pass: the
    events can fire nothing, whenever they are looked at (a trigger fires only for events
    committed after it was created), so they are cleared by the periodic pass, in batches,
    instead of one write transaction per commit competing with the commits themselves.
    Whether a trigger exists is read again (one indexed lookup) at a wake-up once the last
    answer is ``LISTENING_TTL`` seconds old: a trigger just created by any control plane
    fires for every event committed after its creation, the first ones at most that much
    later.
    """

    def __init__(self, db: Database, bus: EventBus, bodies: EventBodies,
                 on_created: Callable[[list[ExecutionRow]], None], batch: int = 100,
                 poll_seconds: float = 1.0) -> None:
        self.db, self.bus, self.bodies, self.on_created = db, bus, bodies, on_created
        self.batch, self.poll_seconds = batch, poll_seconds
        self._triggers = TriggerCache()
        self._loop_thread = LoopThread("conveyor-triggers", self._loop, interrupt=bus.close)
        self._listening = (True, float("-inf"))  # (answer, when read)

    # ------------------------------------------------------------------ passes
    def run_pass(self) -> int:
        """Process events until the outbox has none left; returns how many were consumed."""
        total = 0
        while True:
            try:
                count = self.process_batch()
            except _Contended:
                continue  # another control plane took some of these events
            except Exception:
                log.exception("trigger pass failed; retrying its events one by one")
                count = self._one_by_one()
            if count == 0:
                return total
            total += count

    def process_batch(self, event_ids: list[str] | None = None) -> int:
        """One transaction: claim events, create their executions, delete them."""
        created: list[ExecutionRow] = []
        with self.db.transaction() as session:
            events = outbox.claim(session, len(event_ids) if event_ids else self.batch,
                                  MAX_ATTEMPTS, event_ids)
            if not events:
                return 0
            # Deleting first takes the events for this transaction: on SQLite, where reads
            # lock nothing, a control plane that lost the race deletes fewer and retries.
            if outbox.remove(session, [e.id for e in events]) != len(events):
                raise _Contended
            indexes = self._triggers.indexes(session, {e.project_id for e in events})
            services: dict[str, ServiceRow] = {}
            for event in events:
                if event.project_id in indexes:
                    created += self._evaluate(session, event, indexes[event.project_id],
                                              services)
        if created:
            self.on_created(created)
        return len(events)

    def _one_by_one(self) -> int:
        with self.db.transaction() as session:
            ids = [e.id for e in outbox.claim(session, self.batch, MAX_ATTEMPTS)]
        for event_id in ids:
            try:
                self.process_batch([event_id])
            except _Contended:
                continue
            except Exception:
                log.exception("event %s failed", event_id)
                with self.db.transaction() as session:
                    outbox.record_failure(session, event_id, traceback.format_exc())
        return len(ids)

    # -------------------------------------------------------------- matching
    def _evaluate(self, session: Session, event: EventRow, index: TriggerIndex,
                  services: dict[str, ServiceRow]) -> list[ExecutionRow]:
        if not index.wants(event.resource, event.action):
            return []  # nothing listens: the resource JSON is not even rendered
        body = self.bodies(session, event.resource, event.snapshot)
        matched = [t for t in index.candidates(event.resource, event.action, event.created_at,
                                               body) if matches(t.filter, body)]
        if not matched:
            return []
        user_id = event.user_id or _user_of(session, event.snapshot)
        return [row for trigger in matched
                if (row := self._fire(session, trigger, event, body, user_id, services))]

    @staticmethod
    def _fire(session: Session, trigger: Compiled, event: EventRow, body: dict,
              user_id: str | None, services: dict[str, ServiceRow]) -> ExecutionRow | None:
        view = trigger.view
        service = services.get(view.service_id) or session.get(ServiceRow, view.service_id)
        if service is None:  # deleted meanwhile; its triggers go with it
            return None
        services[view.service_id] = service
        if trigger.once and not trigger_store.claim_once(session, view.id, event.resource_id):
            return None
        row = trigger_fire.fire_event(session, view, service, event, body, user_id)
        if row is None and trigger.once:
            trigger_store.release_once(session, view.id, event.resource_id)
        return row

    # ---------------------------------------------------------------- thread
    def start(self) -> None:
        """Process events in a daemon thread until ``stop``."""
        self._loop_thread.start()

    def stop(self) -> None:
        """Stop the thread after its current pass (events left wait in the outbox)."""
        self._loop_thread.stop()

    def _loop(self) -> None:
        last_pass = float("-inf")
        while not self._loop_thread.stopping.is_set():
            if (time.monotonic() - last_pass >= self.poll_seconds
                    or self._anyone_listening()):
                try:
                    self.run_pass()
                except Exception:
                    log.exception("trigger engine pass failed")
                last_pass = time.monotonic()
            self.bus.wait(max(0.0, last_pass + self.poll_seconds - time.monotonic()))

    def _anyone_listening(self) -> bool:
        """Whether an active event trigger exists, as read at most ``LISTENING_TTL`` ago
        (True when that cannot be read: then the pass runs, and reports what is wrong)."""
        answer, read_at = self._listening
        if time.monotonic() - read_at < LISTENING_TTL:
            return answer
        try:
            with self.db.transaction() as session:
                answer = trigger_store.any_active_event_trigger(session)
        except Exception:
            return True
        self._listening = (answer, time.monotonic())
        return answer


def _user_of(session: Session, snapshot: dict) -> str | None:
    """The id of the user who last changed the row (when the change had no acting user)."""
    email = snapshot.get("updated_by") or snapshot.get("creator")
    user = users.find_user_by_email(session, email) if isinstance(email, str) else None
    return user.id if user is not None else None
