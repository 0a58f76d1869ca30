"""Process-wide SDK switches (`dl.verbose`) and the local checkout state."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

logger = logging.getLogger("conveyor")


class Verbose:
    """Output switches, exposed as ``dl.verbose``.

    Attributes:
        disable_progress_bar: hide tqdm bars of uploads, downloads and command waits.
        print_error_logs: log every per-file error of bulk uploads/downloads, not a summary.
    """

    def __init__(self) -> None:
        self.disable_progress_bar: bool = os.environ.get("CONVEYOR_DISABLE_PROGRESS_BAR", "") in (
            "1",
            "true",
            "True",
        )
        self.print_error_logs: bool = False

    @property
    def logging_level(self) -> int:
        """Level of the ``conveyor`` logger."""
        return logger.getEffectiveLevel()

    @logging_level.setter
    def logging_level(self, level: int | str) -> None:
        logger.setLevel(level.upper() if isinstance(level, str) else level)

    def __repr__(self) -> str:
        return (
            f"Verbose(disable_progress_bar={self.disable_progress_bar}, "
            f"print_error_logs={self.print_error_logs})"
        )


class CheckoutState:
    """The checked-out project/dataset, kept in ``<cwd>/.conveyor/state.json`` like dtlpy's.

    Values are entity JSONs. Reads never fail: a missing or corrupt file is empty state.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self._directory = directory

    @property
    def path(self) -> Path:
        """Location of the state file (resolved against the current directory)."""
        return (self._directory or Path.cwd() / ".conveyor") / "state.json"

    def get(self, key: str) -> dict | None:
        """The stored JSON for ``key`` (``'project'``, ``'dataset'``), or ``None``."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        value = data.get(key) if isinstance(data, dict) else None
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict | None) -> None:
        """Store (or with ``None`` remove) ``key``; creates the directory when needed."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                data = {}
        except (OSError, ValueError):
            data = {}
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(data, indent=2), encoding="utf-8")
