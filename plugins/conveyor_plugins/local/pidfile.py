"""The ``pids.json`` file of each service, and the clean-up of a previous incarnation.

Each service folder ``<data_dir>/replicas/<service_id>/`` holds ``pids.json``:
``{"<replica id>": <pid>, ...}`` for every replica process the backend currently owns
(running or draining). It is rewritten atomically whenever a process starts or is reaped
and deleted when the service owns none.

If the backend's process died without stopping its replicas (and PDEATHSIG was not
available or a replica ignored SIGTERM), a new backend on the same data directory finds
those pids and stops the ones that are still alive *and* still ours (the replica id appears
in the process's command line or environment), so a reused pid is never killed.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from conveyor_plugins.local.process import pid_alive, pid_mentions, signal_group

log = logging.getLogger(__name__)

PIDS_FILE = "pids.json"


def write_pids(folder: Path, pids: Mapping[str, int]) -> None:
    """Atomically replace ``folder/pids.json`` with ``pids``; delete it when empty."""
    path = folder / PIDS_FILE
    if not pids:
        path.unlink(missing_ok=True)
        return
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".pids-")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(dict(pids), handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_pids(folder: Path) -> dict[str, int]:
    """The pids recorded in ``folder/pids.json``; ``{}`` if missing or unreadable."""
    try:
        raw = json.loads((folder / PIDS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {str(rid): pid for rid, pid in raw.items() if isinstance(pid, int) and pid > 0}


def stop_leftovers(root: Path, grace_seconds: float) -> list[int]:
    """Stop replicas a previous backend on ``root`` left running; return their pids.

    Each leftover gets SIGTERM (its whole process group), then SIGKILL if it is still alive
    after ``grace_seconds``. Every ``pids.json`` under ``root`` is deleted afterwards.
    Blocks for at most ``grace_seconds`` (only when leftovers exist).
    """
    leftovers = []
    for pids_path in sorted(root.glob(f"*/{PIDS_FILE}")):
        for replica_id, pid in read_pids(pids_path.parent).items():
            if pid != os.getpid() and pid_alive(pid) and pid_mentions(pid, replica_id):
                log.warning("stopping replica %s (pid %d) left by a previous backend",
                            replica_id, pid)
                signal_group(pid, signal.SIGTERM)
                leftovers.append(pid)
        pids_path.unlink(missing_ok=True)
    deadline = time.monotonic() + grace_seconds
    while leftovers and time.monotonic() < deadline:
        if not any(pid_alive(pid) for pid in leftovers):
            break
        time.sleep(0.05)
    for pid in leftovers:
        if pid_alive(pid):
            signal_group(pid, signal.SIGKILL)
    return leftovers
