"""Long operations behind a Command: run in a thread, record the outcome on the Command."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from conveyor_runner.store import commands
from conveyor_runner.store.db import Database

log = logging.getLogger(__name__)


def run_command(db: Database, command_id: str, work: Callable[[], dict]) -> threading.Thread:
    """Run ``work`` in a daemon thread; its returned dict joins the command's ``spec`` on
    success, an exception fails the command with its message. Returns the started thread.

    The command must already exist (status ``in-progress``); an abort by the user is
    respected when the work ends: an aborted command keeps its status.
    """
    def target() -> None:
        try:
            spec, status, error = work(), "success", None
        except Exception as exc:  # noqa: BLE001 - any failure becomes the command's error
            log.exception("command %s failed", command_id)
            spec, status, error = {}, "failed", f"{type(exc).__name__}: {exc}"
        with db.transaction() as session:
            row = commands.get(session, command_id)
            if row.status not in commands.FINAL:
                commands.finish(row, status, spec=spec, error=error)

    thread = threading.Thread(target=target, daemon=True, name=f"command-{command_id}")
    thread.start()
    return thread
