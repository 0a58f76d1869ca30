"""Errors of the agent.

Hierarchy::

    RunnerError
      AgentError                  root of everything the agent raises on purpose
        AgentConfigurationError   the replica environment is missing or malformed
        ServiceLoadError          the service's code could not be fetched, imported or built
        ControlPlaneUnreachable   the control plane did not answer within the bounded retries
        ReportRejected            the control plane answered 4xx (carries ``status``)
"""

from __future__ import annotations

from conveyor_runner.errors import RunnerError


class AgentError(RunnerError):
    """Root of the agent's errors."""


class AgentConfigurationError(AgentError):
    """A ``CONVEYOR_*`` variable is missing or malformed; the message names it."""


class ServiceLoadError(AgentError):
    """Loading the service failed; ``details`` holds the full traceback text."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details or message


class ControlPlaneUnreachable(AgentError):
    """Connection errors, timeouts or 5xx answers outlasted the retries."""


class ReportRejected(AgentError):
    """The control plane refused a call (4xx): retrying cannot help.

    Attributes:
        status: the HTTP status code.
        message: the server's ``message``.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
