"""Hook specifications: the complete list of ways a plugin can extend Conveyor.

Hooks are called with keyword arguments only, and an implementation may accept fewer
arguments than its spec, so hooks can grow parameters without breaking plugins.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pluggy

from conveyor_runner.plugin import PROJECT_NAME

hookspec = pluggy.HookspecMarker(PROJECT_NAME)

# -- Registration: called once, while the plugin manager is built -------------


@hookspec
def conveyor_register_storage_drivers() -> Iterable[type]:
    """Return the ``StorageDriver`` classes this plugin provides.

    Each class sets a unique ``scheme`` (``file``, ``s3``); ``CONVEYOR_STORAGE_URL``
    selects one by the scheme of its URL.
    """


@hookspec
def conveyor_register_queue_transports() -> Iterable[type]:
    """Return the ``QueueTransport`` classes this plugin provides.

    Each class lists the URL ``schemes`` it serves (``embedded``, ``amqp``, ``amqps``);
    ``CONVEYOR_QUEUE_URL`` selects one.
    """


@hookspec
def conveyor_register_compute_backends() -> Iterable[type]:
    """Return the ``ComputeBackend`` classes this plugin provides.

    Each class sets a unique ``name`` (``local``, ``docker``, ``kubernetes``); a service
    selects one with ``runtime.backend``.
    """


@hookspec
def conveyor_register_codebase_fetchers() -> Iterable[type]:
    """Return the ``CodebaseFetcher`` classes this plugin provides.

    Each class sets the codebase ``type`` it fetches (``item``, ``git``, ``filesystem``).
    """


# -- Process lifecycle --------------------------------------------------------


@hookspec
def conveyor_startup(role: str, settings: Any) -> None:
    """Called once per process (``role`` is ``"api"`` or ``"agent"``) after settings load.

    An exception here is logged and ignored: a faulty plugin never stops the process.
    """


@hookspec
def conveyor_shutdown(role: str) -> None:
    """Called once per process during a graceful shutdown; exceptions are logged."""


# -- Notifications (observers: return values ignored, exceptions logged) -------


@hookspec
def conveyor_execution_finished(execution: dict) -> None:
    """An execution reached a terminal status; ``execution`` is its wire JSON."""
