"""The ``conveyor`` command line: argument parsing and dispatch to one module per group.

Groups: ``up`` (serve the control plane), ``token`` (print a token for the stored login),
``user``, ``plugins``, the data commands ``project``, ``dataset``, ``item``, and the FaaS
commands ``package``, ``service``, ``execution``, ``trigger``.
"""

from __future__ import annotations

import argparse
import sys

from conveyor_runner.cli import (
    agent,
    data,
    executions,
    packages,
    plugins,
    server,
    services,
    triggers,
)
from conveyor_runner.cli.output import CliError, fail


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every command group."""
    parser = argparse.ArgumentParser(
        prog="conveyor", description="Conveyor: a self-hosted FaaS runtime for data and ML.")
    groups = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    for module in (server, plugins, data, agent, packages, services, executions, triggers):
        module.register(groups)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the process exit code (0 ok, 1 failed, 2 usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args) or 0
    except CliError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
