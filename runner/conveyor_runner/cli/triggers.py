"""``conveyor trigger list|create|delete``: event and cron triggers of a project's services."""

from __future__ import annotations

import argparse

from conveyor_runner.cli.output import CliError, print_table
from conveyor_runner.cli.sdk import call, json_object, project, sdk, service, subcommands


def register(groups: argparse._SubParsersAction) -> None:
    """Add the trigger commands."""
    commands = subcommands(groups, "trigger", "triggers: run a service function on data "
                                              "changes or on a cron schedule")
    listing = commands.add_parser("list", help="list a project's triggers")
    listing.add_argument("--project", required=True, help="project name")
    listing.add_argument("--service", default=None, help="only this service's triggers")
    listing.set_defaults(handler=trigger_list)

    create = commands.add_parser(
        "create", help="create an event trigger, or a cron trigger with --cron",
        description="Event trigger: run --function when a --resource matching --filter is "
                    "created/updated/deleted (--actions). Cron trigger: run it on --cron.")
    create.add_argument("--project", required=True, help="project name")
    create.add_argument("--service", required=True, help="service name")
    create.add_argument("--name", default=None, help="trigger name (default: the service's)")
    create.add_argument("--function", default="run", help="function name (default run)")
    create.add_argument("--resource", default="Item",
                        help="Item (default), Dataset or Annotation")
    create.add_argument("--actions", default="Created",
                        help="comma-separated: Created, Updated, Deleted, Clone")
    create.add_argument("--filter", default=None,
                        help="DQL filter as JSON, e.g. '{\"dir\": \"/incoming\"}'")
    create.add_argument("--mode", default="Once", choices=("Once", "Always"),
                        help="Once per resource (default) or Always")
    create.add_argument("--input", default=None, help="extra inputs as a JSON object")
    create.add_argument("--cron", default=None,
                        help="a five-field cron schedule (UTC), e.g. '0 2 * * *'")
    create.add_argument("--start-at", default=None, help="with --cron: first moment (ISO)")
    create.add_argument("--end-at", default=None, help="with --cron: last moment (ISO)")
    create.add_argument("--inactive", action="store_true", help="create it switched off")
    create.set_defaults(handler=trigger_create)

    delete = commands.add_parser("delete", help="delete a trigger (by name or id)")
    delete.add_argument("trigger", help="trigger name or id")
    delete.add_argument("--project", required=True, help="project name")
    delete.set_defaults(handler=trigger_delete)


def trigger_list(args: argparse.Namespace) -> int:
    """Print the project's (or one service's) triggers."""
    owner = service(args.project, args.service) if args.service else project(args.project)
    pages = call(owner.triggers.list)
    rows = [_row(t) for page in pages for t in page]
    print_table(rows, ["name", "id", "type", "active", "when", "function"])
    return 0


def _row(trigger) -> dict:
    dl = sdk()
    if isinstance(trigger, dl.CronTrigger):
        when = f"cron {trigger.cron} (next {trigger.next_fire_at or '-'})"
    else:
        actions = trigger.actions if isinstance(trigger.actions, list) else [trigger.actions]
        when = f"{trigger.resource} {','.join(map(str, actions))} ({trigger.execution_mode})"
    return {"name": trigger.name, "id": trigger.id, "type": trigger.type,
            "active": trigger.active, "when": when, "function": trigger.function_name}


def trigger_create(args: argparse.Namespace) -> int:
    """Create the trigger and print its id."""
    dl = sdk()
    target = service(args.project, args.service)
    options = {"name": args.name, "function_name": args.function, "active": not args.inactive,
               "inputs": json_object(args.input, "--input") if args.input else None}
    if args.cron:
        options.update(trigger_type=dl.TriggerType.CRON, cron=args.cron,
                       start_at=args.start_at, end_at=args.end_at)
    elif args.start_at or args.end_at:
        raise CliError("--start-at/--end-at: only with --cron")
    else:
        options.update(resource=args.resource, execution_mode=args.mode,
                       actions=[a.strip() for a in args.actions.split(",") if a.strip()],
                       filters=json_object(args.filter, "--filter") if args.filter else None)
    trigger = call(target.triggers.create, **options)
    print(f"created {trigger.type.lower()} trigger {trigger.name} ({trigger.id})")
    return 0


def trigger_delete(args: argparse.Namespace) -> int:
    """Delete a trigger of the project, named or by id."""
    repository = project(args.project).triggers
    try:
        found = call(repository.get, trigger_name=args.trigger)
    except CliError:
        found = call(repository.get, trigger_id=args.trigger)
    if found.project_id != repository.project.id:
        raise CliError(f"no trigger {args.trigger!r} in project {args.project!r}")
    call(found.delete)
    print(f"deleted trigger {found.name} ({found.id})")
    return 0
