"""Outbox: everything a replica says to the ledger about its executions, shipped in batches.

Log lines (of executions and of the replica), progress reports, terminal results and the
claims of new deliveries all leave through ``POST /services/{id}/exchange`` from ONE
sending thread, one request at a time (natural batching, ``batching.BatchSender``): under
load, the results of the executions that just finished and the claims of the deliveries
that took their slots share one request and one transaction, where separate senders paid
for two (each request costs both processes about a millisecond of CPU, which decided the
throughput of short executions). One channel also keeps the order the ledger needs
without any flush round trips:

* an execution's lines and progress reports are queued before its result, and a request
  carries the lines queued up to the moment its results were taken -- so the ``[Done]``
  line reaches the ledger with (never after) the result, and the server stores lines,
  then progress, then results, then claims, in one transaction;
* progress reports never block the function's thread (they are queued; the throttling of
  ``conveyor.runtime.progress`` happens before), and stay in order per execution.

Each claim is made with a token of its own (resent by every retry of the request): if a
claim was stored but its reply lost, the retry is recognised as the same claim instead
of a dead previous attempt, and the token names the attempt when its result is reported
(``ledger.record_result``).

Retries: a request carrying results is retried until it got through, or until every
waiting caller gave up (the drain deadline); one carrying claims but no results is tried
``CLAIM_ATTEMPTS`` times (about 15 s of backoff), then its claims fail with
``ControlPlaneUnreachable`` (their deliveries return to the queue); lines and progress
are best effort: a request carrying only them is tried ``ATTEMPTS`` times, then dropped
with a warning on stderr -- logs never block or fail an execution. A request the control
plane refuses (4xx) that mixed claims with reports is sent again as two, so that each
part gets its own answer. Lines are shipped ``interval`` seconds after the first one
queued, or as soon as ``line_batch`` are queued, or with the next request.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from conveyor_runner.agent.errors import AgentError, ControlPlaneUnreachable, ReportRejected
from conveyor_runner.agent.logs import iso
from conveyor_runner.agent.reporter import ATTEMPTS as CLAIM_ATTEMPTS
from conveyor_runner.batching import BatchSender, Ticket

#: Tries of a request that carries neither results nor claims. One that carries claims
#: but no result gets ``CLAIM_ATTEMPTS``, the reporter's bounded calls (about 15 s).
ATTEMPTS = 3
#: Log lines in one request (a longer backlog goes first, in requests of its own).
MAX_LINES = 1000
#: The kinds of ticket the ledger answers one by one (the others finish when sent).
_ANSWERED = ("result", "claim")


class Outbox(BatchSender):
    """Queues lines, progress, results and claims; ships them from one thread.

    Args:
        reporter: the ``Reporter`` whose ``exchange`` sends a batch.
        interval: longest time a queued line waits for company.
        line_batch: ship as soon as this many lines are queued.
        max_results: results, progress reports and claims in one request.
    """

    def __init__(self, reporter, interval: float = 0.5, line_batch: int = 100,
                 max_results: int = 200) -> None:
        super().__init__("conveyor-outbox", max_results, expected=(AgentError,),
                         failure=ControlPlaneUnreachable)
        self.reporter, self.interval, self.line_batch = reporter, interval, line_batch
        self._lines: list[dict] = []
        self._first_line_at: float | None = None

    # -- what the agent calls -----------------------------------------------------------

    def add(self, target: str | None, level: str, message: str,
            timestamp: float | None = None) -> None:
        """Queue one log line of ``target`` (an execution id, or None: the replica).

        Never blocks on the network, never raises.
        """
        line = {"executionId": target, "timestamp": iso(timestamp or time.time()),
                "level": level, "message": message}
        with self._cond:
            self._lines.append(line)
            if len(self._lines) == 1:
                self._first_line_at = time.monotonic()
                self._cond.notify()  # start the interval
            elif len(self._lines) == self.line_batch:
                self._cond.notify()

    def progress(self, execution_id: str, body: dict) -> None:
        """Queue a non-terminal progress report (returns at once)."""
        self.submit(Ticket(("progress", {**body, "executionId": execution_id})))

    def submit_result(self, execution_id: str, body: dict, claim_token: str | None = None,
                      give_up: threading.Event | None = None) -> Ticket:
        """Queue a terminal result and return at once. The ticket's answer is the ledger's
        ``{executionId, stored, reason}``, once it answered (the request is retried until
        then); it fails with ``ReportRejected`` if the control plane refused the request
        (4xx), or with ``ControlPlaneUnreachable`` if ``give_up`` was set first."""
        entry = {**body, "executionId": execution_id}
        if claim_token:
            entry["claimToken"] = claim_token
        ticket = Ticket(("result", entry), give_up)
        self.submit(ticket)
        return ticket

    @staticmethod
    def claim(execution_id: str, dispatch_id: str | None,
              item_inputs: list[str] | None = None) -> Ticket:
        """A claim ticket for one delivery, with a new claim token; ``submit`` the tickets
        of one receive together, so they leave in one request.

        The ticket's answer is the ledger's ``{executionId, action, reason, execution,
        entities?}``; it fails with ``ControlPlaneUnreachable`` or ``ReportRejected``.
        ``item_inputs``: the names of the function's ``Item``/``Item[]`` inputs; the answer
        then carries those items' JSON (``entities``), so they need no fetching.
        """
        payload = {"executionId": execution_id, "dispatchId": dispatch_id,
                   "claimToken": uuid.uuid4().hex}
        if item_inputs:
            payload["itemInputs"] = item_inputs
        return Ticket(("claim", payload))

    @staticmethod
    def claim_token(ticket: Ticket) -> str:
        """The claim token of a ticket made by ``claim``."""
        return ticket.payload[1]["claimToken"]

    def flush(self) -> None:
        """Ship every line queued so far before returning (best effort, never raises)."""
        ticket = Ticket(("flush", None))
        self.submit(ticket)
        try:
            ticket.wait()
        except AgentError:
            pass

    # -- the sending thread -------------------------------------------------------------

    def _due(self) -> bool:
        if not self._lines:
            return False
        return (len(self._lines) >= self.line_batch or self._stopping
                or time.monotonic() - self._first_line_at >= self.interval)

    def _has_work(self) -> bool:
        return bool(self._lines)

    def _idle_wait(self) -> float | None:
        if not self._lines:
            return None
        return max(self.interval - (time.monotonic() - self._first_line_at), 0.001)

    def _take_extra(self) -> list[dict]:
        lines, self._lines, self._first_line_at = self._lines, [], None
        return lines

    def _send(self, tickets: list[Ticket], lines: list[dict]) -> None:
        chunks = list(_chunks(lines, MAX_LINES)) or [[]]
        for chunk in chunks[:-1]:  # an old backlog of lines goes first, best effort
            self._post(chunk, [])
        self._post(chunks[-1], tickets)

    def _post(self, lines: list[dict], tickets: list[Ticket]) -> None:
        entries = {"progress": [], "result": [], "claim": []}
        for ticket in tickets:
            if ticket.payload[0] in entries:
                entries[ticket.payload[0]].append(ticket)
        results, claims = entries["result"], entries["claim"]
        if not (lines or entries["progress"] or results or claims):
            self._finish(tickets, None)
            return
        body = {"logs": lines, "progress": [t.payload[1] for t in entries["progress"]],
                "results": [t.payload[1] for t in results],
                "claims": [t.payload[1] for t in claims]}
        try:
            reply = self.reporter.exchange(
                body, attempts=None if results else CLAIM_ATTEMPTS if claims else ATTEMPTS,
                give_up=_AllGaveUp(results) if results else None)
        except ReportRejected as exc:
            others = [t for t in tickets if t.payload[0] != "claim"]
            if claims and (lines or others):
                # Refused as a whole: the claims and the reports each get their own answer.
                self._post([], claims)
                self._post(lines, others)
                return
            self._failed(lines, body["progress"], tickets, exc)
            return
        except ControlPlaneUnreachable as exc:
            self._failed(lines, body["progress"], tickets, exc)
            return
        # A reply shorter than the batch leaves the rest to _finish, which fails them.
        for kind, key in (("result", "results"), ("claim", "claims")):
            for ticket, answer in zip(entries[kind], reply.get(key) or [], strict=False):
                ticket.finish(answer)
        self._finish(tickets, None)

    def _failed(self, lines: list[dict], progress: list[dict], tickets: list[Ticket],
                error: AgentError) -> None:
        _warn(f"dropped {len(lines)} log lines and {len(progress)} progress reports: {error}",
              lines or progress)
        self._finish(tickets, error)

    @staticmethod
    def _finish(tickets: list[Ticket], error: BaseException | None) -> None:
        """Progress and flush tickets never fail; a result or claim without an answer
        does."""
        for ticket in tickets:
            if ticket.payload[0] not in _ANSWERED:
                ticket.finish()
            elif error is not None:
                ticket.finish(error=error)
            elif not ticket.done:
                ticket.finish(error=ControlPlaneUnreachable(
                    f"the control plane answered no entry for this {ticket.payload[0]}"))


class _AllGaveUp:
    """``give_up`` for a request: set once every result in it gave up."""

    def __init__(self, tickets: list[Ticket]) -> None:
        self._events = [t.give_up for t in tickets]

    def is_set(self) -> bool:
        return all(e is not None and e.is_set() for e in self._events)

    def wait(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while not self.is_set() and time.monotonic() < end:
            time.sleep(min(0.1, max(end - time.monotonic(), 0)))
        return self.is_set()


def _chunks(lines: list[dict], size: int) -> Iterator[list[dict]]:
    for start in range(0, len(lines), size):
        yield lines[start:start + size]


def _warn(text: str, anything: Any) -> None:
    if anything:
        sys.__stderr__.write(f"conveyor agent: {text}\n")
