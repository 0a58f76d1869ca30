"""``conveyor plugins list``: what every installed plugin registers."""

from __future__ import annotations

import argparse

from conveyor_runner.cli.output import print_table
from conveyor_runner.plugin.manager import build_registries, get_plugin_manager


def register(groups: argparse._SubParsersAction) -> None:
    """Add the plugins commands."""
    plugins = groups.add_parser("plugins", help="list installed plugins")
    commands = plugins.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser("list", help="list what each plugin registers").set_defaults(
        handler=run_list)


def run_list(_args: argparse.Namespace) -> int:
    """Print one row per registered class: role, name, implementing class."""
    registries = build_registries(get_plugin_manager())
    rows = []
    for role, registry in (("storage", registries.storage), ("queue", registries.queue),
                           ("compute", registries.compute), ("codebase", registries.codebase)):
        for name, cls in registry.items():
            rows.append({"role": role, "name": name,
                         "class": f"{cls.__module__}.{cls.__qualname__}"})
    print_table(rows, ["role", "name", "class"])
    return 0
