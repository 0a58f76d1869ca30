"""One execution's call: inputs -> user function -> output, as a terminal report body.

Shared by the thread mode (``invoker``) and the process mode (``child``), so both run user
code identically, through THE shared runtime module ``conveyor.runtime.invocation``.
A user exception is data, not a crash: it becomes a ``failed`` outcome with the message
``"<ExceptionType>: <text>"`` and the full traceback, and the replica carries on.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conveyor.runtime import invocation
from conveyor.runtime.context import Context
from conveyor.runtime.progress import ReportingProgress
from conveyor_runner.agent.errors import AgentError

log = logging.getLogger("conveyor.execution")


@dataclass(frozen=True)
class Outcome:
    """How an execution ended: ``status`` and the body of its terminal report."""

    status: str
    body: dict


def deleted_snapshots(execution: dict) -> dict[str, dict]:
    """``{id: JSON}`` of the resource a ``Deleted`` event was about: it cannot be fetched
    any more, so the function gets it as it was (the event carries its JSON)."""
    context = execution.get("eventContext") or {}
    body = context.get("body")
    if context.get("action") != "Deleted" or not isinstance(body, dict):
        return {}
    return {str(context.get("resourceId") or body.get("id")): body}


def success(output: Any, duration: float) -> Outcome:
    """A ``success`` report (percent 100, the converted output, seconds spent)."""
    return Outcome("success", {"status": "success", "output": output, "duration": duration,
                               "percentComplete": 100})


def failure(message: str, error: str, duration: float, percent: float | None = None) -> Outcome:
    """A ``failed`` report; ``error`` is the traceback (or the reason, when there is none)."""
    body = {"status": "failed", "message": message, "error": error, "duration": duration}
    if percent is not None:
        body["percentComplete"] = percent
    return Outcome("failed", body)


def stopped(reason: str, duration: float, timeout: float) -> Outcome:
    """The outcome of an execution stopped by a terminate request or its timeout."""
    if reason == "timeout":
        message = f"execution timed out after {timeout:g} s (executionTimeout)"
        return failure(message, message, duration)
    return Outcome("terminated", {"status": "terminated", "duration": duration,
                                  "message": "terminated on request"})


def perform(loaded: Any, execution: dict, client: Any,
            send: Callable[[dict], Any], entities: dict[str, dict] | None = None) -> Outcome:
    """Run the execution's function on ``loaded.runner`` in the calling thread.

    Args:
        loaded: the ``LoadedService``.
        execution: the Execution JSON the claim returned (the ledger record).
        client: the SDK ``ApiClient`` inputs are fetched with.
        send: posts a progress body for this execution.
        entities: ``{id: JSON}`` of input entities the claim answered with: built from
            that JSON rather than fetched (one request fewer per entity input).

    Returns:
        ``success`` with the converted output, or ``failed`` with the traceback. Never
        raises for anything the user's code, its inputs or its output did.
    """
    started = time.monotonic()
    progress = ReportingProgress(send=_best_effort(send), logger=log)
    try:
        output = _call(loaded, execution, client, progress, entities or {})
    except BaseException as exc:  # noqa: BLE001 - SystemExit in user code fails one execution
        text = traceback.format_exc()
        log.error("execution failed: %s", text.rstrip())
        return failure(f"{type(exc).__name__}: {exc}", text, time.monotonic() - started,
                       progress.percent)
    return success(output, time.monotonic() - started)


def _call(loaded: Any, execution: dict, client: Any, progress: ReportingProgress,
          entities: dict[str, dict]) -> Any:
    name = execution.get("functionName") or "run"
    function = loaded.function(name)
    if function is None:
        raise LookupError(f"module {loaded.module.get('name')!r} declares no function {name!r}")
    method = getattr(loaded.runner, name, None)
    if not callable(method):
        raise TypeError(f"{type(loaded.runner).__name__}.{name} is not a method")
    kwargs = invocation.resolve_inputs(function.get("input") or [], execution.get("input"),
                                       client, {**entities, **deleted_snapshots(execution)})
    context = Context(service=loaded.entities.get("service"),
                      package=loaded.entities.get("package"),
                      project=loaded.entities.get("project"),
                      event_context=execution.get("eventContext"), execution_dict=execution,
                      progress=progress, logger=log)
    value = invocation.call_function(method, kwargs, progress=progress, context=context)
    output = invocation.to_output(value)
    try:
        json.dumps(output)
    except (TypeError, ValueError) as exc:
        raise invocation.OutputError(f"output: not JSON-serialisable ({exc})") from exc
    return output


def _best_effort(send: Callable[[dict], Any]) -> Callable[[dict], None]:
    """Progress is advisory: a report that cannot be delivered must not fail the function.

    A report without a status is marked ``in-progress``: the control plane would otherwise
    read ``percentComplete: 100`` as completion (its rule for external callers) and end the
    execution before the function returned.
    """
    def deliver(body: dict) -> None:
        try:
            send({"status": "in-progress", **body})
        except AgentError as exc:
            log.warning("progress report not delivered: %s", exc)
    return deliver
