"""What user code and the agent import to run package functions.

* ``BaseServiceRunner`` — the base of a module's class (``service_runner``).
* ``Progress`` / ``ReportingProgress`` — progress reporting (``progress``).
* ``Context`` / ``ExecutionEventContext`` — per-execution context (``context``).
* ``invocation`` — input resolution, ``progress``/``context`` injection, output conversion.
* ``termination`` — stop requests read by ``BaseServiceRunner.kill_event()``.
"""

from . import invocation, termination
from .context import Context, ExecutionEventContext, ItemStatusEvent
from .invocation import InputError, InvocationError, OutputError
from .progress import Progress, ReportingProgress
from .service_runner import BaseServiceRunner

__all__ = [
    "BaseServiceRunner",
    "Context",
    "ExecutionEventContext",
    "InputError",
    "InvocationError",
    "ItemStatusEvent",
    "OutputError",
    "Progress",
    "ReportingProgress",
    "invocation",
    "termination",
]
