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
import threading
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


def stop_leftovers(root: Path, grace_seconds: float, drain_seconds: float, *,
                   death_signal: bool) -> list[int]:
    """Stop replicas a previous backend on ``root`` left running; return their pids.

    A leftover whose parent died got SIGTERM from its death signal (``death_signal``:
    Linux) and is draining: it gets no second signal, which would make it abandon its
    running executions instead of reporting them, and is SIGKILLed from a background thread
    if still alive after ``drain_seconds``. Any other leftover (still our child, or no death
    signal here) gets SIGTERM now and SIGKILL after ``grace_seconds`` (waited for here).
    Every ``pids.json`` under ``root`` is deleted.
    """
    signalled, draining = [], []
    for pids_path in sorted(root.glob(f"*/{PIDS_FILE}")):
        for replica_id, pid in read_pids(pids_path.parent).items():
            if pid == os.getpid() or not pid_alive(pid) or not pid_mentions(pid, replica_id):
                continue
            if death_signal and parent_of(pid) != os.getpid():
                log.warning("replica %s (pid %d) of a dead backend is draining; SIGKILL in "
                            "%.0f s if it has not exited", replica_id, pid, drain_seconds)
                draining.append(pid)
            else:
                log.warning("stopping replica %s (pid %d) left by a previous backend",
                            replica_id, pid)
                signal_group(pid, signal.SIGTERM)
                signalled.append(pid)
        pids_path.unlink(missing_ok=True)
    if draining:
        threading.Thread(target=_kill_after, args=(draining, drain_seconds), daemon=True,
                         name="conveyor-local-leftovers").start()
    _kill_after(signalled, grace_seconds)
    return signalled + draining


def parent_of(pid: int) -> int | None:
    """The parent pid of a process (from /proc), or None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; fields after the last ')' are fixed.
    return int(stat.rsplit(")", 1)[1].split()[1])


def _kill_after(pids: list[int], grace_seconds: float) -> None:
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and any(pid_alive(pid) for pid in pids):
        time.sleep(0.2)
    for pid in pids:
        if pid_alive(pid):
            signal_group(pid, signal.SIGKILL)
