"""SDK access shared by the FaaS command modules: lazy import, one-line errors, lookups.

The SDK is imported on first use, not when the CLI starts, so ``conveyor up`` and
``--help`` never pay for it. The SDK finds its server and token as it always does:
``dl.setenv``/``dl.login_token``, then ``CONVEYOR_URL``/``CONVEYOR_TOKEN``, then
``$CONVEYOR_HOME/login.json``, which ``conveyor up`` writes.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any, TypeVar

from conveyor_runner.cli.output import CliError

T = TypeVar("T")


def sdk() -> Any:
    """The ``conveyor`` SDK module (``dl``)."""
    import conveyor as dl

    return dl


def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run an SDK call and return its result.

    Raises:
        CliError: the SDK raised one of its errors (``ConveyorError``), a ``ValueError``,
            a ``TimeoutError`` or an ``OSError``. The message is the error's text on one
            line, and the original error is chained.
    """
    dl = sdk()
    try:
        return function(*args, **kwargs)
    except (dl.exceptions.ConveyorError, ValueError, TimeoutError, OSError) as exc:
        raise CliError(one_line(exc)) from exc


def one_line(exc: BaseException) -> str:
    """The error's message with its whitespace collapsed, or its type name if it has none."""
    return " ".join(str(exc).split()) or type(exc).__name__


def subcommands(groups: argparse._SubParsersAction, name: str,
                help_text: str) -> argparse._SubParsersAction:
    """Add the command group ``name`` and return the action to add its subcommands to."""
    parser = groups.add_parser(name, help=help_text, description=help_text)
    return parser.add_subparsers(dest="command", metavar="COMMAND", required=True)


def project(name: str | None) -> Any:
    """The project named ``name``. With None, the checked-out project.

    Raises:
        CliError: no such project. With None, there is no checked-out project, and the
            message asks for ``--project``.
    """
    dl = sdk()
    if name is None:
        if dl.client_api.state.get("project") is None:
            raise CliError("--project: required (no project is checked out here)")
        return call(dl.projects.get)
    return call(dl.projects.get, project_name=name)


def service(project_name: str, service_name: str) -> Any:
    """The service named ``service_name`` in the project named ``project_name``.

    Raises:
        CliError: no such project or service.
    """
    owner = project(project_name)
    try:
        return call(owner.services.get, service_name=service_name)
    except CliError as exc:
        if not isinstance(exc.__cause__, sdk().exceptions.NotFound):
            raise
        raise CliError(f"no service named {service_name!r} in project {project_name!r}; "
                       f"'conveyor service list --project {project_name}' lists them") from None


def json_object(text: str, flag: str) -> dict:
    """Parse ``text`` as a JSON object.

    Raises:
        CliError: it is not valid JSON, or not an object. The message names ``flag``.
    """
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise CliError(f"{flag}: not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise CliError(f"{flag}: expected a JSON object such as '{{\"name\": \"value\"}}'")
    return value
