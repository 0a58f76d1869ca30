"""Running the control plane: prepare state and a login, then serve with uvicorn."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn

from conveyor.client.login_file import LoginFile, login_file_path
from conveyor_runner.api.app import build_state, create_app
from conveyor_runner.api.state import ServerState
from conveyor_runner.control.auth import issue_token
from conveyor_runner.control.bootstrap import Credentials, ensure_admin
from conveyor_runner.settings import Settings
from conveyor_runner.store import services


@dataclass(frozen=True)
class PreparedServer:
    """A migrated, plugin-loaded server and the administrator login for it."""

    state: ServerState
    admin: Credentials
    token: str


def prepare(settings: Settings, known: Credentials | None = None, plugins=None) -> PreparedServer:
    """Migrate the database, load plugins and make sure an administrator can log in."""
    state = build_state(settings, plugins)
    with state.db.transaction() as session:
        admin = ensure_admin(session, known)
    token = issue_token(admin.user_id, admin.email, state.signing_key,
                        settings.token_ttl_seconds)
    return PreparedServer(state=state, admin=admin, token=token)


def known_login(settings: Settings) -> Credentials | None:
    """The credentials of the login file if it belongs to this server's URL."""
    login = LoginFile.read()
    if login is None or login.url != settings.public_url or not login.email:
        return None
    return Credentials("", login.email, login.password or "")


def save_login(settings: Settings, prepared: PreparedServer) -> str:
    """Write the login file the SDK and ``conveyor token`` use; returns its path."""
    path = login_file_path()
    LoginFile(path=path, url=settings.public_url, email=prepared.admin.email,
              password=prepared.admin.password, token=prepared.token).write()
    return str(path)


class _DrainingServer(uvicorn.Server):
    """Uvicorn that first drains replicas (while still serving their reports) on a signal."""

    def __init__(self, config: uvicorn.Config, state: ServerState,
                 on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._state = state
        self._draining = False
        self._on_ready = on_ready

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_ready()

    def handle_exit(self, sig: int, frame) -> None:
        # Not calling uvicorn's handler on purpose: it records the signal and re-raises it
        # after shutdown, which would turn a requested, clean stop into exit code 130.
        if self._draining:  # a second Ctrl-C: stop now
            self.should_exit = self.force_exit = True
            return
        self._draining = True
        timeout = self._drain_timeout()
        print(f"stopping: draining replicas (up to {timeout:.0f} s; Ctrl-C again to force)",
              flush=True)
        threading.Thread(target=self._drain_then_exit, args=(timeout,), daemon=True).start()

    def _drain_timeout(self) -> float:
        with self._state.db.transaction() as session:
            drains = [float(s.doc.get("drainTime", 600)) for s in services.all_services(session)]
        return max(drains, default=0.0) + 5.0

    def _drain_then_exit(self, timeout: float) -> None:
        self._state.plane.drain_all(timeout)
        self.should_exit = True


def serve(prepared: PreparedServer, on_ready: Callable[[], None] = lambda: None) -> None:
    """Serve until SIGINT/SIGTERM: drain replicas, finish in-flight requests, return.

    ``on_ready`` is called once the socket accepts connections.
    """
    settings = prepared.state.settings
    config = uvicorn.Config(create_app(prepared.state), host=settings.host, port=settings.port,
                            log_level="warning", access_log=False, timeout_graceful_shutdown=10)
    _DrainingServer(config, prepared.state, on_ready).run()
    prepared.state.db.dispose()


class ServerThread:
    """The control plane in a background thread of this process (tests, embedded use).

    Args:
        prepared: the server to run; it binds ``settings.host:settings.port``.
    """

    def __init__(self, prepared: PreparedServer) -> None:
        settings = prepared.state.settings
        config = uvicorn.Config(create_app(prepared.state), host=settings.host,
                                port=settings.port, log_level="warning", access_log=False)
        self.prepared = prepared
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="conveyor-api",
                                        daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        """Start serving; returns once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Conveyor API did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        """Drain replicas, stop serving and wait for the thread to end."""
        self.prepared.state.plane.drain_all(timeout=30)
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self.prepared.state.db.dispose()
