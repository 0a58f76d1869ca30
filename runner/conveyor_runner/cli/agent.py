"""``conveyor agent``: run the replica agent (what every replica's process runs)."""

from __future__ import annotations

import argparse

from conveyor_runner.agent.environment import REQUIRED


def register(groups: argparse._SubParsersAction) -> None:
    """Add the agent command."""
    agent = groups.add_parser(
        "agent", help="run a replica agent (started by compute backends)",
        description="Consume a service's executions and run them. Reads only the "
                    f"environment: {', '.join(REQUIRED)}, CONVEYOR_SERVICE_REVISION, "
                    "CONVEYOR_REPLICA_ID and CONVEYOR_HOME. Exit codes: 0 drained after "
                    "SIGTERM, 2 bad environment, 3 the service's code could not be loaded.")
    agent.set_defaults(handler=run)


def run(_args: argparse.Namespace) -> int:
    """Run until drained; the exit code is the agent's."""
    from conveyor_runner.agent.main import run_agent

    return run_agent()
