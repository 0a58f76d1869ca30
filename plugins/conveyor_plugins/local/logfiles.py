"""Replica log files: ``<data_dir>/replicas/<service_id>/<replica_id>.log``.

A replica's stdout and stderr are appended to its file across restarts; the backend adds
its own notes (``[conveyor] ...`` lines: exits, restarts) to the same file so that a crash
loop explains itself in ``logs()``.
"""

from __future__ import annotations

import os
from pathlib import Path

_BLOCK = 64 * 1024


def tail_lines(path: Path, count: int) -> list[str]:
    """The last ``count`` lines of ``path`` without their line ends; ``[]`` if it is missing.

    Reads backwards in blocks, so a large log costs only what is returned.
    """
    if count <= 0:
        return []
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return []
    with handle:
        end = handle.seek(0, os.SEEK_END)
        data = b""
        position = end
        while position > 0 and data.count(b"\n") <= count:
            step = min(_BLOCK, position)
            position -= step
            handle.seek(position)
            data = handle.read(step) + data
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[-count:]


def append_note(path: Path, text: str) -> None:
    """Append ``[conveyor] text`` as one line; never raises (a note is not worth a crash)."""
    try:
        with open(path, "ab") as handle:
            handle.write(f"[conveyor] {text}\n".encode())
    except OSError:
        pass


def service_logs(folder: Path, count: int) -> list[str]:
    """The last ``count`` lines of every replica log in ``folder``, each prefixed ``[id] ``.

    Files are taken oldest-modified first, so the most recent output ends the list.
    """
    files = sorted(folder.glob("*.log"), key=lambda p: (_mtime(p), p.name))
    lines: list[str] = []
    for path in files:
        lines.extend(f"[{path.stem}] {line}" for line in tail_lines(path, count))
    return lines[-count:] if count > 0 else []


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
