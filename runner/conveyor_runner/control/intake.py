"""ExecutionIntake: the executions API requests create, written and published in groups.

Written one per request -- each in its own transaction, on a worker thread of its own --
creations queue for SQLite's single write lock, and every holder of it is slowed by the
other threads' turns at the interpreter lock: measured at about 120 creations/s, a request
spent 8 ms waiting for a worker thread and 20 ms inside its transaction, most of it
waiting. The intake has one thread write every creation that arrived while the previous
group was being written, in one transaction, then publish the group (natural batching,
``batching.BatchSender``): one commit and one handoff for many executions under load,
none added at low load, where a creation leaves alone at once.

Guarantees, as for a creation written alone:

* a request is answered once its execution is committed: the record is written first,
  and is what makes an execution durable. The group is published right after its answers
  leave (a sync execute does not wait for the broker's confirm before its long-poll); a
  publish that fails, or that a crash cut short, is redone by the dispatcher's sweeper;
* a request the ledger refuses (unknown function, bad input, service not visible) writes
  nothing and gets its own error, without touching the rest of its group;
* if the group's transaction fails as a whole, each of its creations is written again in a
  transaction of its own, so one bad creation fails only its own request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from conveyor_runner.batching import BatchSender, Ticket
from conveyor_runner.control import executions as ledger
from conveyor_runner.errors import RequestError, RunnerError
from conveyor_runner.store import executions, services
from conveyor_runner.store.db import Database
from conveyor_runner.store.ledger_rows import LedgerRow

log = logging.getLogger(__name__)
#: Most creations in one transaction (bounds how long one group holds the write lock).
MAX_GROUP = 200


class IntakeUnavailable(RunnerError):
    """The intake stopped, or failed on a bug, before the creation was written."""


@dataclass(frozen=True)
class Creation:
    """One requested execution, as the API received it."""

    user_id: str
    creator: str
    service_id: str
    function_name: str
    values: object


class ExecutionIntake(BatchSender):
    """Creates executions for the API (see the module docstring).

    Args:
        db: the ledger database.
        publish: publishes committed executions (``Dispatcher.publish``; it never raises
            for a queue that is down, leaving them to the sweeper).
    """

    def __init__(self, db: Database, publish: Callable[[list[LedgerRow]], None]) -> None:
        super().__init__("conveyor-intake", MAX_GROUP, expected=(), failure=IntakeUnavailable)
        self.db, self._publish = db, publish

    async def create(self, creation: Creation) -> LedgerRow:
        """Write and publish ``creation``; returns its row once committed.

        Raises:
            RequestError: the ledger refused it (nothing was written).
            IntakeUnavailable: the intake is stopping.
        """
        loop = asyncio.get_running_loop()
        answer: asyncio.Future = loop.create_future()
        ticket = Ticket(creation)
        ticket.on_done(lambda done: loop.call_soon_threadsafe(_settle, answer, done))
        self.submit(ticket)
        return await answer

    def _send(self, tickets: list[Ticket], _extra: None) -> None:
        try:
            rows = self._write(tickets)
        except Exception as exc:  # noqa: BLE001 - the group failed as a whole: isolate
            if len(tickets) == 1:
                tickets[0].finish(error=exc)
                return
            log.warning("writing a group of %d executions failed (%s); writing each alone",
                        len(tickets), exc)
            for ticket in tickets:
                if not ticket.done:
                    self._send([ticket], None)
            return
        for ticket, row in rows:
            ticket.finish(row)
        self._publish([row for _, row in rows])

    def _write(self, tickets: list[Ticket]) -> list[tuple[Ticket, LedgerRow]]:
        """One transaction and one ``INSERT`` for the group; refused creations are answered
        at once (nothing is written for them)."""
        accepted, new, targets = [], [], {}
        with self.db.transaction() as session:
            for ticket in tickets:
                creation: Creation = ticket.payload
                key = (creation.service_id, creation.user_id)
                try:
                    if key not in targets:  # one read per service and caller in the group
                        targets[key] = services.visible_target(session, *key)
                    new.append(ledger.new_for_target(
                        session, targets[key], creation.user_id, creation.creator,
                        creation.function_name, creation.values))
                except RequestError as exc:
                    ticket.finish(error=exc)
                    continue
                accepted.append(ticket)
            rows = executions.insert_new(session, new)
        return list(zip(accepted, rows, strict=True))


def _settle(answer: asyncio.Future, ticket: Ticket) -> None:
    if answer.cancelled():  # the request went away; its execution stands
        return
    if ticket.error is not None:
        answer.set_exception(ticket.error)
    else:
        answer.set_result(ticket.answer)
