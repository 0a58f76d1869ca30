"""Control planes started and stopped by a test, several on one database, sharing a clock.

Each is a real server (``prepare`` + ``ServerThread``) with its own data directory; its
cron scheduler reads the shared ``FakeClock``. Used to simulate restarts and two control
planes on one database (SQLite file or a throw-away PostgreSQL database).
"""

from __future__ import annotations

import contextlib

from conveyor_runner.server import ServerThread, prepare
from conveyor_runner.settings import Settings
from conveyor_runner.testing.clock import FakeClock
from conveyor_runner.testing.services import free_port
from tests.runner.api.conftest import Api


class Planes:
    """Starts control planes on one database, each with the shared fake clock."""

    def __init__(self, tmp_path, database_url: str | None, clock: FakeClock) -> None:
        self.tmp_path, self.database_url, self.clock = tmp_path, database_url, clock
        self.running: list[ServerThread] = []
        self.count = 0

    def start(self) -> tuple[ServerThread, Api]:
        """A new control plane, serving; returns it and an admin API caller."""
        self.count += 1
        data_dir = self.tmp_path / f"plane{self.count}"
        data_dir.mkdir()
        url = self.database_url or f"sqlite:///{self.tmp_path / 'shared.db'}"
        settings = Settings.load(host="127.0.0.1", port=free_port(), data_dir=data_dir,
                                 database_url=url)
        prepared = prepare(settings)
        prepared.state.plane.cron.clock = self.clock
        thread = ServerThread(prepared)
        thread.start()
        self.running.append(thread)
        return thread, Api(settings.api_url, prepared.token)

    def stop(self, thread: ServerThread) -> None:
        """Stop one control plane (its loops and its API)."""
        thread.stop()
        self.running.remove(thread)


@contextlib.contextmanager
def planes_on(request, tmp_path, clock: FakeClock):
    """``Planes`` on SQLite or on a fresh PostgreSQL database (``request.param``)."""
    with contextlib.ExitStack() as stack:
        url = None
        if request.param == "postgres":
            from conveyor_runner.testing.databases import temporary_postgres_database

            url = stack.enter_context(temporary_postgres_database(
                request.getfixturevalue("postgres_url")))
        running = Planes(tmp_path, url, clock)
        try:
            yield running
        finally:
            for thread in list(running.running):
                running.stop(thread)


__all__ = ["Planes", "planes_on"]
