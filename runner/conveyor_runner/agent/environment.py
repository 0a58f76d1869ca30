"""The replica environment: everything the agent knows about itself at start.

Variables (set by the control plane through the compute backend):
``CONVEYOR_URL`` (control-plane root or API base), ``CONVEYOR_TOKEN`` (the service bot's
JWT), ``CONVEYOR_SERVICE_ID``, ``CONVEYOR_SERVICE_REVISION``, ``CONVEYOR_QUEUE_URL``,
``CONVEYOR_REPLICA_ID`` (default ``<host>-<pid>``) and ``CONVEYOR_HOME`` (the replica's
folder; the codebase cache lives in ``$CONVEYOR_HOME/codebases``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from conveyor.client.urls import api_base, normalise_root
from conveyor_runner.agent.errors import AgentConfigurationError

REQUIRED = ("CONVEYOR_URL", "CONVEYOR_TOKEN", "CONVEYOR_SERVICE_ID", "CONVEYOR_QUEUE_URL")


@dataclass(frozen=True)
class AgentEnvironment:
    """A validated replica environment.

    Attributes:
        url: the control plane's root URL (no ``/api/v1``).
        token: the service bot's JWT.
        service_id: the service this replica serves.
        revision: the service revision it was started for.
        queue_url: the queue the service's executions travel on.
        replica_id: this replica's id, as the compute backend knows it.
        home: a folder this replica owns.
    """

    url: str
    token: str
    service_id: str
    revision: int
    queue_url: str
    replica_id: str
    home: Path

    @property
    def api_url(self) -> str:
        """``<url>/api/v1``."""
        return api_base(self.url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AgentEnvironment:
        """Read and check the variables.

        Raises:
            AgentConfigurationError: a required variable is missing or malformed (named).
        """
        env = os.environ if env is None else env
        missing = [name for name in REQUIRED if not env.get(name, "").strip()]
        if missing:
            raise AgentConfigurationError(
                f"{', '.join(missing)}: required in the replica environment (the control "
                "plane sets them through the compute backend)")
        try:
            url = normalise_root(env["CONVEYOR_URL"])
        except ValueError as exc:
            raise AgentConfigurationError(f"CONVEYOR_URL: {exc}") from None
        raw_revision = env.get("CONVEYOR_SERVICE_REVISION", "0").strip() or "0"
        if not raw_revision.isdigit():
            raise AgentConfigurationError(
                f"CONVEYOR_SERVICE_REVISION: {raw_revision!r} is not a whole number")
        home = Path(env.get("CONVEYOR_HOME") or Path.home() / ".conveyor").expanduser()
        return cls(url=url, token=env["CONVEYOR_TOKEN"].strip(),
                   service_id=env["CONVEYOR_SERVICE_ID"].strip(), revision=int(raw_revision),
                   queue_url=env["CONVEYOR_QUEUE_URL"].strip(),
                   replica_id=(env.get("CONVEYOR_REPLICA_ID") or "").strip()
                   or f"{socket.gethostname()}-{os.getpid()}",
                   home=home)
