"""Progress: what user functions receive as ``progress`` to report status while they run.

``Progress`` is dtlpy's no-op base (used by local tests). ``ReportingProgress`` is the one
the agent passes: it throttles like the Dataloop runner (dtlpy-contract §5.1) and hands
each report body to a ``send(body)`` callable the agent supplies (which POSTs
``/executions/{id}/progress``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

#: an update that changes only the percentage is sent once it grew by this many points
PROGRESS_STEP = 5


class Progress:
    """Reports an execution's progress; this base class records nothing (dtlpy's ``Progress``).

    Attributes:
        logger: a logger user code may write execution messages to.
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("conveyor.execution")

    def update(
        self,
        status: str | None = None,
        progress: float | None = 0,
        message: str | None = None,
        output: Any = None,
        duration: float | None = None,
        action: str | None = None,
    ) -> bool:
        """Report progress; the base class ignores it and returns False.

        Args:
            status: a status string (e.g. ``inProgress``; the server normalises spellings).
            progress: percent complete, 0-100.
            message: a human-readable message.
            output: a JSON-serialisable partial output.
            duration: seconds spent so far.
            action: the pipeline action (output routing) chosen by the function.

        Returns:
            True if a report was sent.
        """
        return False


class ReportingProgress(Progress):
    """A ``Progress`` that sends throttled reports through ``send(body)``.

    Rules (dtlpy-contract §5.1):

    * progress is clamped to ``[previous progress, 100]`` (it never goes back);
    * an update that changes only the percentage is sent when it grew by at least
      ``PROGRESS_STEP`` points since the last report, or first reaches 100;
    * an update with a ``status``, ``message``, ``output`` or ``action`` is always sent.

    The body has ``percentComplete`` plus whichever of ``status``, ``message``, ``output``,
    ``duration``, ``action`` were given (not None). Reports are sent in call order, even
    from several threads; an exception raised by ``send`` propagates to the caller and
    the report counts as not sent.

    Args:
        send: called with each report body (a new dict).
        logger: the logger exposed as ``progress.logger``.
        initial: the progress the execution already reached (e.g. on a rerun).
    """

    def __init__(
        self,
        send: Callable[[dict], Any],
        logger: logging.Logger | None = None,
        initial: float = 0,
    ) -> None:
        super().__init__(logger=logger)
        self._send = send
        self._lock = threading.Lock()
        self._current = _clamp(initial, 0)
        self._reported = self._current

    @property
    def percent(self) -> float:
        """The progress reached so far (after clamping)."""
        return self._current

    def update(
        self,
        status: str | None = None,
        progress: float | None = 0,
        message: str | None = None,
        output: Any = None,
        duration: float | None = None,
        action: str | None = None,
    ) -> bool:
        """Record the update and send it unless throttled; returns True if it was sent."""
        with self._lock:
            percent = _clamp(progress, self._current)
            self._current = percent
            forced = any(v is not None for v in (status, message, output, action))
            grew = percent - self._reported >= PROGRESS_STEP
            finished = percent >= 100 and self._reported < 100
            if not (forced or grew or finished):
                return False
            body: dict[str, Any] = {"percentComplete": percent}
            extras = {"status": status, "message": message, "output": output,
                      "duration": duration, "action": action}
            body.update({k: v for k, v in extras.items() if v is not None})
            self._send(body)  # under the lock: reports leave in the order they were made
            self._reported = percent
            return True


def _clamp(value: Any, floor: float) -> float:
    """``value`` as a number within ``[floor, 100]``; None or a non-number keeps ``floor``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return floor
    return max(floor, min(100, value))
