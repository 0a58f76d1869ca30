"""Batched agent exchanges: many log lines, progress reports, results and claims, at once.

A replica under load reports the results that finished while its previous exchange was in
flight, and claims the deliveries it received meanwhile, in one request; the route runs
each exchange in ONE transaction. The decisions stay the ledger's (``control.executions``):
these functions only apply them entry by entry, so a batch means exactly what the same
entries sent one by one would mean -- except that a bad entry never fails the others:

* an execution that is not the service's, or that the caller may not see, is answered
  ``skip``/``stored: false`` with reason ``not found``;
* a result is never an HTTP error: a replica that no longer owns the execution gets
  ``conflict``, a finished execution ``already <status>``, and a repeat of a result already
  stored (a retry after a lost reply) ``stored: true`` (see ``ledger.record_result``).

Order inside one exchange: log lines first, then progress, then results, then claims, all
in one transaction -- so the ``[Done]`` line an agent sends with a result is stored no
later than the result, and a claim of an execution whose result came in the same exchange
sees it finished. Callers run an exchange in an exclusive transaction
(``Database.connection``; every query here is Core, so a session will do too): the
decisions are made on the rows as loaded, and must still hold when the writes commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from conveyor_runner.control import executions as ledger
from conveyor_runner.control.janitor import owner_running
from conveyor_runner.errors import ConflictError, InvalidInputError
from conveyor_runner.ids import now_iso
from conveyor_runner.store import executions, ledger_rows, services
from conveyor_runner.store.ledger_rows import LedgerRow
from conveyor_runner.store.tables import ExecutionRow, ServiceRow

NOT_FOUND = "not found"


def claim_one(session: Session | Connection, row: ExecutionRow | LedgerRow,
              service: ServiceRow | None, replica_id: str, dispatch_id: str | None,
              token: str | None) -> tuple[str, str]:
    """The ledger's claim, plus: the execution of a deleted service is canceled, skipped;
    a running execution whose replica is alive and still runs it is a duplicate delivery.

    ``service`` is the service's row or its ``services.settings`` (the claim reads ``doc``).
    """
    if service is None:
        reason = "the service was deleted"
        if row.status not in ledger.TERMINAL:
            ledger.finish(row, "canceled", message=reason)
        return "skip", reason
    owner = (services.replica_report(session, row.replica_id)
             if row.status == "in-progress" and row.replica_id else None)
    alive = owner_running(row, owner, now=now_iso())
    return ledger.claim(row, service, replica_id, dispatch_id, token, owner_running=alive)


@dataclass
class ClaimAnswer:
    """One entry of a claim batch; ``row`` is None when the execution was not found."""

    execution_id: str
    action: str
    reason: str
    row: LedgerRow | None = None


@dataclass
class ExchangeOutcome:
    """What an exchange did: the answers to its reports and claims, in order, and the rows
    it made terminal, by id."""

    results: list[dict] = field(default_factory=list)
    progress: list[dict] = field(default_factory=list)
    logs: dict = field(default_factory=lambda: {"received": 0, "dropped": 0})
    claims: list[ClaimAnswer] = field(default_factory=list)
    ended: dict[str, LedgerRow] = field(default_factory=dict)


def exchange(session: Session | Connection, service_id: str, user_id: str, replica_id: str,
             *, logs: list[dict], progress: list[dict], results: list[dict],
             claims: list[dict]) -> ExchangeOutcome:
    """Store log lines, then progress reports, then results, then claims (entries already
    validated); the executions named are loaded once and written back once."""
    ids = [e["executionId"] for e in (*progress, *results, *claims)]
    ids += [line["executionId"] for line in logs if line.get("executionId")]
    rows = ledger_rows.visible_of_service(session, service_id, ids, user_id)
    outcome = ExchangeOutcome()
    lines = _visible_lines(session, service_id, user_id, logs, rows, outcome)
    for entry in progress:
        outcome.progress.append(_progress(rows.get(entry["executionId"]), entry, replica_id,
                                          outcome))
    for entry in results:
        outcome.results.append(_result(rows.get(entry["executionId"]), entry, replica_id,
                                       outcome))
    if claims:
        outcome.claims = _claims(session, service_id, replica_id, claims, rows)
    for answer in outcome.claims:
        if answer.row is not None and answer.row.status in ledger.TERMINAL:
            outcome.ended[answer.row.id] = answer.row
    executions.add_log_lines(session, service_id, replica_id, lines)
    ledger_rows.save(session, rows.values())
    return outcome


def _claims(session: Session | Connection, service_id: str, replica_id: str,
            claims: list[dict], rows: dict[str, LedgerRow]) -> list[ClaimAnswer]:
    """Claim every entry (``{executionId, dispatchId?, claimToken?}``), in order.

    An execution named twice in one batch is claimed once; the repeats are skipped (two
    deliveries of one message in hand at once: one of them is a duplicate).
    """
    service = (services.settings(session, service_id)
               if any(c["executionId"] in rows for c in claims) else None)
    answers, seen = [], set()
    for entry in claims:
        execution_id = entry["executionId"]
        row = rows.get(execution_id)
        if row is None:
            answers.append(ClaimAnswer(execution_id, "skip", NOT_FOUND))
        elif execution_id in seen:
            answers.append(ClaimAnswer(execution_id, "skip", "duplicate delivery in one batch",
                                       row))
        else:
            action, reason = claim_one(session, row, service, replica_id, entry.get("dispatchId"),
                                       entry.get("claimToken"))
            answers.append(ClaimAnswer(execution_id, action, reason, row))
        seen.add(execution_id)
    return answers


def _visible_lines(session: Session | Connection, service_id: str, user_id: str,
                   lines: list[dict], rows: dict[str, LedgerRow],
                   outcome: ExchangeOutcome) -> list[tuple]:
    """The lines to store: those of unknown executions are dropped; replica lines need the
    service visible."""
    replica_lines_visible = True
    if any(not line.get("executionId") for line in lines):
        replica_lines_visible = services.is_visible(session, service_id, user_id)
    kept = []
    for line in lines:
        execution_id = line.get("executionId") or None
        if (execution_id in rows) if execution_id else replica_lines_visible:
            kept.append((execution_id, line))
    outcome.logs = {"received": len(kept), "dropped": len(lines) - len(kept)}
    return kept


def _progress(row: LedgerRow | None, entry: dict, replica_id: str,
              outcome: ExchangeOutcome) -> dict:
    answer = {"executionId": entry["executionId"], "applied": False, "reason": NOT_FOUND}
    if row is None:
        return answer
    if row.status in ledger.TERMINAL:  # the ledger ignores it; say so
        return {**answer, "reason": f"already {row.status}"}
    body = {k: v for k, v in entry.items() if k != "executionId"}
    try:
        finished = ledger.report(row, body, replica_id)
    except ConflictError:
        return {**answer, "reason": "conflict"}
    except InvalidInputError as exc:
        return {**answer, "reason": exc.message}
    if finished:
        outcome.ended[row.id] = row
    return {**answer, "applied": True, "reason": "applied"}


def _result(row: LedgerRow | None, entry: dict, replica_id: str,
            outcome: ExchangeOutcome) -> dict:
    answer = {"executionId": entry["executionId"], "stored": False, "reason": NOT_FOUND}
    if row is None:
        return answer
    body = {k: v for k, v in entry.items() if k not in ("executionId", "claimToken")}
    try:
        stored, reason = ledger.record_result(row, body, replica_id, entry.get("claimToken"))
    except InvalidInputError as exc:
        return {**answer, "reason": exc.message}
    if stored and reason == "stored":
        outcome.ended[row.id] = row
    return {**answer, "stored": stored, "reason": reason}
