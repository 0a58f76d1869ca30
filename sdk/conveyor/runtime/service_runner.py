"""BaseServiceRunner: the class users subclass for the functions of a package module."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from . import termination

logger = logging.getLogger("conveyor.runtime")


class BaseServiceRunner:
    """Base of a package module's class (``class ServiceRunner(dl.BaseServiceRunner)``).

    The agent (and ``package.test()``) instantiates the subclass once per replica with the
    service's ``initParams`` and calls its methods, one execution per call.

    Attributes read by the agent:
        _do_reset: set by ``do_reset()``; the agent restarts the replica once the running
            executions finish.
        _service_entity: the ``dl.Service`` the replica serves (set by the agent).
    """

    _do_reset: bool = False
    _service_entity: Any = None

    def do_reset(self) -> None:
        """Ask for a replica restart after the current executions finish (sets ``_do_reset``)."""
        self._do_reset = True

    @staticmethod
    def ping(progress: Any = None) -> str:
        """Health check function; always returns ``"pong"`` (logs through ``progress.logger``)."""
        log = getattr(progress, "logger", None) or logger
        log.debug("received ping at: %s", datetime.datetime.now().isoformat())
        return "pong"

    def kill_event(self) -> None:
        """Raise ``InterruptedError`` if this thread's execution was asked to terminate.

        Call it regularly in long loops: the request is reported once, then cleared.

        Raises:
            InterruptedError: the execution running in the calling thread must stop.
        """
        if termination.consume():
            raise InterruptedError("Execution received termination signal")

    @property
    def service_entity(self) -> Any:
        """The ``dl.Service`` this runner serves.

        Raises:
            AssertionError: no service was set (e.g. in a local ``package.test()``).
        """
        from ..entities.service import Service

        assert isinstance(self._service_entity, Service), "service_entity must be a dl.Service"
        return self._service_entity

    @service_entity.setter
    def service_entity(self, value: Any) -> None:
        from ..entities.service import Service

        assert isinstance(value, Service), "service_entity must be a dl.Service"
        self._service_entity = value
