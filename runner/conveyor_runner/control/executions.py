"""The execution ledger's decisions: creation, claims, progress, results, terminate, rerun.

Status flow::

    created -> in-progress -> success | failed | terminated | aborted | canceled | system-failure

A terminal execution never changes again except through ``rerun``. Each delivery of an
execution's message is claimed first; the claim applies ``maxAttempts`` and ``onReset``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from conveyor_runner.control.execution_inputs import check_inputs
from conveyor_runner.control.package_spec import find_function
from conveyor_runner.errors import ConflictError, InvalidInputError, NotFoundError
from conveyor_runner.ids import new_id, now_iso, parse_iso
from conveyor_runner.store import executions, packages
from conveyor_runner.store.executions import status_entry
from conveyor_runner.store.ledger_rows import LedgerRow
from conveyor_runner.store.services import ExecutionTarget
from conveyor_runner.store.tables import ExecutionRow, ServiceRow

TERMINAL = frozenset({"success", "failed", "terminated", "aborted", "canceled", "system-failure"})
_ALIASES = {"inProgress": "in-progress", "in_progress": "in-progress", "completed": "success",
            "complete": "success", "created": "created"}
MAX_ATTEMPTS_MESSAGE = "Execution has reached max attempts ({})"


def normalize_status(status: object) -> str:
    """Map dtlpy's progress spellings onto the execution statuses."""
    if not isinstance(status, str) or not status:
        raise InvalidInputError("status: must be a non-empty string", field="status")
    return _ALIASES.get(status, status)


def create(session: Session, user_id: str, creator: str, service: ServiceRow,
           function_name: str, values: object, extra: dict | None = None, *,
           trusted: dict | None = None) -> LedgerRow:
    """Validate and write a new execution record (status ``created``, not yet published).

    ``trusted`` inputs (name -> value) are added as they are, without checks: a trigger
    passes its event's resource this way, which may already be deleted.

    Raises:
        InvalidInputError: unknown function or bad inputs, named; nothing is written.
        NotFoundError: the package (or its revision) is not visible to ``user_id``.
    """
    modules = packages.revision_modules(session, service.package_id, service.package_revision)
    function = _function(service.name, modules, service.module_name, function_name)
    inputs = _inputs(session, user_id, function, values, trusted)
    package = packages.visible_package(session, service.package_id, user_id)
    return _write(session, ExecutionTarget.of(service, package.name, modules), creator,
                  function_name, inputs, extra)


def new_for_target(session: Session, target: ExecutionTarget, user_id: str, creator: str,
                   function_name: str, values: object, trusted: dict | None = None) -> dict:
    """The columns of a new execution (``executions.new_values``) for a caller who must see
    the service (the API), checked as ``create`` checks, but not written:
    ``executions.insert_new`` writes many in one statement. ``target`` is the service as
    ``services.visible_target`` read it in this transaction for ``user_id`` (the intake
    reads each service once for a group of creations). ``trusted`` inputs are taken as they
    are, unchecked: the caller found them itself (``execute_batch``'s entities, selected
    in the service's own project).

    Raises:
        NotFoundError: the package or its revision is not visible.
        InvalidInputError: unknown function or bad inputs, named.
    """
    if target.modules is None:
        raise NotFoundError(f"packageRevision: package {target.package_id} has no version "
                            f"{target.package_revision!r}")
    function = _function(target.service_name, target.modules, target.module_name,
                         function_name)
    inputs = _inputs(session, user_id, function, values, trusted)
    if target.package_name is None:
        raise NotFoundError(f"package {target.package_id} not found")
    return executions.new_values(**_fields(target, creator, function_name, inputs, None))


def _function(service_name: str, modules: list[dict], module_name: str,
              function_name: str) -> dict:
    function = find_function(modules, module_name, function_name)
    if function is None:
        raise InvalidInputError(
            f"functionName: service {service_name} has no function {function_name!r}",
            "functionName")
    return function


def _inputs(session: Session, user_id: str, function: dict, values: object,
            trusted: dict | None) -> dict:
    declared = [io for io in function.get("input", []) if io["name"] not in (trusted or {})]
    return {**check_inputs(session, user_id, declared, values), **(trusted or {})}


def _write(session: Session, target: ExecutionTarget, creator: str, function_name: str,
           inputs: dict, extra: dict | None) -> LedgerRow:
    return executions.create(session, **_fields(target, creator, function_name, inputs, extra))


def _fields(target: ExecutionTarget, creator: str, function_name: str, inputs: dict,
            extra: dict | None) -> dict:
    doc = {"packageId": target.package_id, "packageName": target.package_name,
           "packageRevision": target.package_revision, "serviceName": target.service_name,
           "serviceVersion": str(target.revision), **(extra or {})}
    return {"project_id": target.project_id, "service_id": target.service_id,
            "function_name": function_name,
            "max_attempts": int(target.doc.get("maxAttempts", 3)), "creator": creator,
            "input": inputs, "output": None, "doc": doc}


def claim(row: ExecutionRow, service: ServiceRow, replica_id: str,
          dispatch_id: str | None, token: str | None = None, *,
          owner_running: bool = False) -> tuple[str, str]:
    """Decide whether a delivered message should run; returns ``(action, reason)``.

    ``run`` moves the execution to ``in-progress`` with one more attempt; ``skip`` means
    the delivery is settled without running (already final, a stale duplicate, terminated,
    out of attempts, or its previous replica died and ``onReset`` is ``failed``). A retry
    of the claim that already succeeded (same ``token``) answers ``run`` again unchanged.
    ``owner_running`` says the replica that claimed it before is alive and still runs it:
    this delivery is then a duplicate (a broker requeue) and is skipped.
    """
    if token and row.status == "in-progress" and row.doc.get("claimToken") == token:
        return "run", "claimed (repeated request)"
    if row.status in TERMINAL:
        return "skip", f"already {row.status}"
    if dispatch_id and dispatch_id != row.dispatch_id:
        return "skip", "stale duplicate message"
    if row.to_terminate:
        finish(row, "terminated", message="terminated before it started")
        return "skip", "terminated"
    if row.status == "in-progress" and owner_running:
        return "skip", f"running on live replica {row.replica_id} (duplicate delivery)"
    if row.status == "in-progress" and service.doc.get("onReset", "failed") == "failed":
        finish(row, "failed", message=f"replica {row.replica_id} stopped while running it "
                                      "(onReset: failed)")
        return "skip", "previous replica died (onReset: failed)"
    if row.attempts >= row.max_attempts:
        finish(row, "failed", message=MAX_ATTEMPTS_MESSAGE.format(row.max_attempts))
        return "skip", "max attempts reached"
    row.attempts += 1
    row.replica_id, row.started_at = replica_id, now_iso()
    row.doc = {**row.doc, "claimToken": token}
    executions.append_status(row, status_entry(
        "in-progress", replicaId=replica_id, message=f"attempt {row.attempts}"))
    return "run", "claimed"


def report(row: ExecutionRow, body: dict, replica_id: str | None) -> bool:
    """Apply a progress or result report; returns True if the execution became terminal.

    A report for a terminal execution is ignored (a late result after terminate). A report
    from a replica that no longer owns the execution raises ``ConflictError``, so a result
    is never recorded twice.
    """
    # Without a status a report only moves progress (dtlpy clients always send one; a bare
    # percentComplete of 100 must not end someone else's execution).
    status = normalize_status(body.get("status") or "in-progress")
    if row.status in TERMINAL:
        return False
    if replica_id and row.replica_id and replica_id != row.replica_id:
        raise ConflictError(f"replicaId: execution {row.id} is now owned by {row.replica_id}",
                            "replicaId")
    percent = body.get("percentComplete")
    if percent is not None and (isinstance(percent, bool) or not isinstance(percent, (int, float))):
        raise InvalidInputError("percentComplete: must be a number", "percentComplete")
    if status in TERMINAL:
        finish(row, status, output=body.get("output"), error=body.get("error"),
               message=body.get("message"), duration=body.get("duration"),
               action=body.get("action"))
        return True
    executions.append_status(row, status_entry(
        status, percentComplete=percent if percent is not None else _last_percent(row),
        message=body.get("message"), action=body.get("action"), replicaId=replica_id))
    return False


def _last_percent(row: ExecutionRow) -> float:
    return row.status_log[-1].get("percentComplete", 0) if row.status_log else 0


def finish(row: ExecutionRow, status: str, *, output: object = None, error: str | None = None,
           message: str | None = None, duration: float | None = None,
           action: str | None = None) -> None:
    """Move the execution to a terminal status with its result."""
    if duration is None and row.started_at:
        duration = (parse_iso(now_iso()) - parse_iso(row.started_at)).total_seconds()
    percent = 100 if status == "success" else _last_percent(row)
    row.output = output if status == "success" else row.output
    row.error = error
    row.duration = duration
    row.to_terminate = row.to_terminate and status != "terminated"
    executions.append_status(row, status_entry(
        status, percentComplete=percent, message=message, error=error, duration=duration,
        action=action, replicaId=row.replica_id))


def terminate(row: ExecutionRow) -> bool:
    """Ask to stop the execution; returns True if it became terminal right away (queued)."""
    if row.status in TERMINAL:
        return False
    if row.status == "created":
        finish(row, "terminated", message="terminated while queued")
        return True
    row.to_terminate = True
    row.updated_at = now_iso()
    return False


def rerun(row: ExecutionRow) -> None:
    """Queue a terminal execution again (same id, new message, attempts from zero).

    Raises:
        ConflictError: the execution has not finished yet.
    """
    if row.status not in TERMINAL:
        raise ConflictError(f"id: execution {row.id} is still {row.status}", "id")
    row.attempts, row.to_terminate, row.published = 0, False, False
    row.output, row.error, row.duration, row.replica_id = None, None, None, None
    row.dispatch_id = new_id()
    executions.append_status(row, status_entry("created", message="rerun"))


def increment_attempts(row: ExecutionRow) -> int:
    """Count one more attempt (dtlpy's ``execution.increment()``).

    Raises:
        InvalidInputError: the execution reached ``maxAttempts`` (400, as dtlpy expects).
    """
    if row.attempts >= row.max_attempts:
        raise InvalidInputError(MAX_ATTEMPTS_MESSAGE.format(row.max_attempts), "attempts")
    row.attempts += 1
    row.updated_at = now_iso()
    return row.attempts


def record_result(row: ExecutionRow, body: dict, replica_id: str | None,
                  claim_token: str | None = None) -> tuple[bool, str]:
    """Store a replica's terminal result exactly once; returns ``(stored, reason)``.

    ``claim_token`` names the attempt the result belongs to (the token of its claim). A
    result of another attempt -- or from a replica that no longer owns the execution -- is
    refused (``(False, "conflict")``), so a stale replica never records a result. A repeat
    of the result this attempt already stored (a retried request whose reply was lost)
    answers ``(True, "already stored")``: the caller may ack its delivery. Without a token a
    repeat is recognised by the stored terminal entry's replica and status. Any other
    terminal execution answers ``(False, "already <status>")`` and is not changed.

    Raises:
        InvalidInputError: ``status`` is not a terminal status, or a bad ``percentComplete``.
    """
    status = normalize_status(body.get("status"))
    if status not in TERMINAL:
        raise InvalidInputError(f"status: {status!r} is not a terminal status", "status")
    if row.status in TERMINAL:
        latest = row.status_log[-1] if row.status_log else {}
        same = (row.doc.get("resultToken") == claim_token if claim_token else
                (latest.get("replicaId"), latest.get("status")) == (replica_id, status))
        return (True, "already stored") if same else (False, f"already {row.status}")
    if claim_token and row.doc.get("claimToken") not in (None, claim_token):
        return False, "conflict"
    try:
        report(row, body, replica_id)
    except ConflictError:
        return False, "conflict"
    if claim_token:
        row.doc = {**row.doc, "resultToken": claim_token}
    return True, "stored"
