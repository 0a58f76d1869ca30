"""``conveyor execution get|wait|list|terminate``: the execution ledger, through the SDK."""

from __future__ import annotations

import argparse
import sys

from conveyor_runner.cli.output import CliError, print_json, print_table
from conveyor_runner.cli.sdk import call, one_line, project, sdk, service, subcommands

#: every execution status, for ``--status`` (the SDK's ExecutionStatus values)
STATUSES = ("created", "in-progress", "success", "failed", "terminated", "aborted",
            "canceled", "system-failure")


def register(groups: argparse._SubParsersAction) -> None:
    """Add the execution commands."""
    execution = subcommands(groups, "execution", "executions: inspect, wait for, terminate")
    get = execution.add_parser("get", help="print an execution's status, input and output")
    get.add_argument("id")
    get.set_defaults(handler=execution_get)

    wait = execution.add_parser(
        "wait", help="wait until an execution ends; exit 1 unless it succeeded")
    wait.add_argument("id")
    wait.add_argument("--timeout", type=float, default=None,
                      help="give up after this many seconds (default: wait forever)")
    wait.set_defaults(handler=execution_wait)

    listing = execution.add_parser("list", help="list a project's executions, newest first")
    listing.add_argument("--project", required=True, help="project name")
    listing.add_argument("--service", default=None, help="only this service's executions")
    listing.add_argument("--status", default=None, choices=STATUSES,
                         help="only executions whose latest status is this")
    listing.add_argument("--limit", type=int, default=50,
                         help="at most this many, 1-100 (default 50)")
    listing.set_defaults(handler=execution_list)

    terminate = execution.add_parser("terminate", help="stop an execution")
    terminate.add_argument("id")
    terminate.set_defaults(handler=execution_terminate)


def status_of(execution) -> str:
    """The execution's latest status (``created``, ``in-progress``, ``success``, ...)."""
    return (execution.latest_status or {}).get("status", "unknown")


def summary(execution) -> dict:
    """The fields of an execution a person looks at first, as a JSON object."""
    latest = execution.latest_status or {}
    return {"id": execution.id, "status": status_of(execution),
            "message": latest.get("message"), "functionName": execution.function_name,
            "serviceId": execution.service_id, "packageName": execution.package_name,
            "createdAt": execution.created_at, "duration": execution.duration,
            "attempts": execution.attempts, "input": execution.input,
            "output": execution.output, "error": execution.error}


def failure_message(execution) -> str:
    """One line saying how an unsuccessful execution ended, for stderr."""
    latest = execution.latest_status or {}
    reason = latest.get("message") or execution.error or "no message"
    reason = " ".join(str(reason).strip().splitlines()[-1:]) or "no message"
    return f"execution {execution.id} ended {status_of(execution)}: {reason}"


def execution_get(args: argparse.Namespace) -> int:
    """Print the execution's summary as JSON."""
    print_json(summary(call(sdk().executions.get, execution_id=args.id)))
    return 0


def execution_wait(args: argparse.Namespace) -> int:
    """Wait for the execution to end and print ``{id, status, output[, error]}`` as JSON.

    Exit code 0 only when it ended ``success``. When it failed, its traceback (if any)
    also goes to stderr, and the last line on stderr says how it ended. After
    ``--timeout``, exit code 1 and the execution keeps running.
    """
    dl = sdk()
    try:
        execution = dl.executions.wait(execution_id=args.id, timeout=args.timeout)
    except TimeoutError:
        raise CliError(f"execution {args.id} has not ended after {args.timeout:g} s; it is "
                       "still running (wait again, or 'conveyor execution terminate')") from None
    except dl.exceptions.ConveyorError as exc:
        raise CliError(one_line(exc)) from exc
    result = {"id": execution.id, "status": status_of(execution), "output": execution.output}
    if status_of(execution) != "success":
        result["error"] = execution.error
    print_json(result)
    require_success(execution)
    return 0


def require_success(execution) -> None:
    """Return if the execution ended ``success``.

    Raises:
        CliError: it did not. Its traceback (if any) is printed to stderr first; the
            error's message says how it ended.
    """
    if status_of(execution) == "success":
        return
    if execution.error:
        print(str(execution.error).rstrip(), file=sys.stderr)
    raise CliError(failure_message(execution))


def execution_list(args: argparse.Namespace) -> int:
    """Print up to ``--limit`` executions of the project, newest first."""
    dl = sdk()
    if not 1 <= args.limit <= 100:
        raise CliError("--limit: must be between 1 and 100")
    owner = project(args.project)
    filters = dl.Filters(resource=dl.FiltersResource.EXECUTION)
    if args.service:
        filters.add(field="serviceId", values=service(args.project, args.service).id)
    if args.status:
        filters.add(field="latestStatus.status", values=args.status)
    filters.sort_by(field="createdAt", value=dl.FiltersOrderByDirection.DESCENDING)
    filters.page_size = args.limit
    page = call(owner.executions.list, filters=filters)
    names = {s.id: s.name for p in call(owner.services.list) for s in p}
    rows = [{"id": e.id, "service": names.get(e.service_id, e.service_id),
             "function": e.function_name, "status": status_of(e), "created": e.created_at,
             "duration": _seconds(e.duration)} for e in page.items]
    print_table(rows, ["id", "service", "function", "status", "created", "duration"])
    return 0


def _seconds(duration) -> str:
    return f"{duration:.3f}" if isinstance(duration, (int, float)) else ""


def execution_terminate(args: argparse.Namespace) -> int:
    """Ask the execution to stop and print where it stands.

    A queued execution ends ``terminated`` at once. A running one is signalled and
    ends when its code next calls ``self.kill_event()`` (or when its replica stops it).
    """
    execution = call(sdk().executions.get, execution_id=args.id)
    execution = call(execution.terminate)
    if execution.in_progress():
        print(f"execution {execution.id}: termination requested (status "
              f"{status_of(execution)})")
    else:
        print(f"execution {execution.id}: {status_of(execution)}")
    return 0
