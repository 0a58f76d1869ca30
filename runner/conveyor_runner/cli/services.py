"""``conveyor service ...``: list, inspect, execute, pause, resume and delete services."""

from __future__ import annotations

import argparse
import contextlib
import sys

from conveyor_runner.cli.executions import require_success
from conveyor_runner.cli.output import CliError, print_json, print_table
from conveyor_runner.cli.sdk import call, json_object, project, service, subcommands


def register(groups: argparse._SubParsersAction) -> None:
    """Add the service commands."""
    commands = subcommands(groups, "service", "services: status, logs, execute, pause, resume")
    listing = commands.add_parser("list", help="list a project's services")
    listing.add_argument("--project", required=True, help="project name")
    listing.set_defaults(handler=service_list)

    status = _named(commands, "status", "print replicas, queue and last error")
    status.add_argument("--json", action="store_true", help="print the raw status JSON")
    status.set_defaults(handler=service_status)

    logs = _named(commands, "logs", "print the service's log lines")
    logs.add_argument("--execution", default=None, help="only this execution's lines")
    logs.add_argument("--follow", action="store_true",
                      help="keep printing new lines (until the execution ends, or Ctrl-C)")
    logs.set_defaults(handler=service_logs)

    execute = _named(commands, "execute", "run a function of the service")
    execute.add_argument("--function", default="run", help="function name (default run)")
    execute.add_argument("--input", default=None, help="inputs as a JSON object, e.g. "
                         "'{\"name\": \"Ada\"}'")
    execute.add_argument("--item", default=None, help="an item id, passed as input 'item'")
    execute.add_argument("--sync", action="store_true",
                         help="wait and print the output (default: print the execution id)")
    execute.add_argument("--timeout", type=float, default=None,
                         help="with --sync: give up after this many seconds")
    execute.add_argument("--logs", action="store_true",
                         help="with --sync: stream the execution's log lines to stderr")
    execute.set_defaults(handler=service_execute)

    dead = _named(commands, "dead-letters",
                  "list messages of the service's queue that could not be processed")
    dead.set_defaults(handler=service_dead_letters)
    redrive = _named(commands, "redrive", "put dead letters back on the service's queue")
    redrive.add_argument("--message", default=None, help="only this message id (default all)")
    redrive.set_defaults(handler=service_redrive)

    for action, text in (("pause", "stop the replicas; queued executions wait"),
                         ("resume", "start the replicas of a paused service again"),
                         ("delete", "delete the service; unfinished executions are canceled")):
        _named(commands, action, text).set_defaults(handler=service_action, action=action)


def _named(commands: argparse._SubParsersAction, name: str, help_text: str):
    parser = commands.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("name", help="service name")
    parser.add_argument("--project", required=True, help="project name")
    return parser


def service_list(args: argparse.Namespace) -> int:
    """Print the project's services."""
    pages = call(project(args.project).services.list)
    rows = [{"name": s.name, "id": s.id, "version": s.package_revision,
             "active": s.active, "replicas": getattr(s.runtime, "num_replicas", None),
             "updated": s.updated_at} for page in pages for s in page]
    print_table(rows, ["name", "id", "version", "active", "replicas", "updated"])
    return 0


def service_status(args: argparse.Namespace) -> int:
    """Print the service's state, its replicas and its last error (or the raw JSON)."""
    found = service(args.project, args.name)
    status = call(found.status)
    if args.json:
        print_json(status)
        return 0
    replicas = status.get("replicas") or []
    print(f"service {found.name} ({found.id}): {status.get('status', 'unknown')}, "
          f"{len(replicas)}/{status.get('desired', '?')} replica(s), "
          f"{status.get('queued', 0)} queued, version {found.package_revision}")
    if replicas:
        print_table(replicas, _replica_columns(replicas))
    for replica in replicas:
        if replica.get("error"):
            print(f"replica {replica.get('replica_id')} error:\n{replica['error']}")
    if status.get("error"):
        print(f"last error:\n{status['error']}")
    scaling = status.get("scaling") or []
    if scaling:
        print("scaling decisions (newest last):")
        print_table(scaling[-10:], ["timestamp", "from", "to", "reason"])
    return 0


def _replica_columns(replicas: list[dict]) -> list[str]:
    """Known replica fields first, then any other scalar field, in a stable order."""
    known = ["replica_id", "state", "reported", "busy", "restarts", "revision", "message"]
    present = {k for r in replicas for k, v in r.items() if not isinstance(v, (dict, list))}
    return [k for k in known if k in present] + sorted(present - set(known) - {"error"})


def service_logs(args: argparse.Namespace) -> int:
    """Print log lines: all of the service's, or one execution's.

    With ``--execution`` the output stops after the execution's ``[Done]`` line. With
    ``--follow`` and no execution, it follows until Ctrl-C.
    """
    found = service(args.project, args.name)
    start = found.created_at
    if args.execution:
        start = call(found.executions.get, execution_id=args.execution).created_at
    call(found.log, execution_id=args.execution, follow=args.follow, start=start,
         view=True, until_completed=bool(args.execution))
    return 0


def service_execute(args: argparse.Namespace) -> int:
    """Create an execution; print its id, or with ``--sync`` wait and print its output.

    With ``--sync``, the output JSON is the only thing on stdout. The exit code is 1 when
    the execution ended other than ``success``: its traceback and a one-line reason go to
    stderr. After ``--timeout``, the exit code is 1 and the execution keeps running.
    """
    if (args.timeout is not None or args.logs) and not args.sync:
        raise CliError("--timeout and --logs: only with --sync")
    found = service(args.project, args.name)
    inputs = json_object(args.input, "--input") if args.input is not None else None
    item_id = args.item
    if item_id is not None and inputs is not None:
        if "item" in inputs:
            raise CliError("--item: --input already has an 'item'; give it once")
        inputs, item_id = {**inputs, "item": item_id}, None
    request = {"execution_input": inputs, "item_id": item_id, "function_name": args.function}
    if not args.sync:
        print(call(found.executions.create, **request).id)
        return 0
    # the SDK prints streamed log lines to stdout: keep them off the output JSON
    redirect = contextlib.redirect_stdout(sys.stderr) if args.logs else contextlib.nullcontext()
    with redirect:
        execution = call(found.executions.create, **request, sync=True,
                         stream_logs=args.logs, timeout=args.timeout)
    require_success(execution)
    print_json(execution.output)
    return 0


def service_action(args: argparse.Namespace) -> int:
    """Pause, resume or delete the service and say so."""
    found = service(args.project, args.name)
    call(getattr(found, args.action))
    done = {"pause": "paused", "resume": "resumed", "delete": "deleted"}[args.action]
    print(f"service {found.name} ({found.id}) {done}")
    return 0


def service_dead_letters(args: argparse.Namespace) -> int:
    """Print the service's dead letters with their reasons."""
    letters = call(service(args.project, args.name).dead_letters)
    print_table([{"message": d["messageId"], "reason": d["reason"], "dead at": d["deadAt"]}
                 for d in letters], ["message", "reason", "dead at"])
    return 0


def service_redrive(args: argparse.Namespace) -> int:
    """Move dead letters back to the service's queue and say how many."""
    moved = call(service(args.project, args.name).redrive, message_id=args.message)
    print(f"redriven {moved} message(s) to the queue of {args.name}")
    return 0
