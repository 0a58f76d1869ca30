"""create_app: builds the FastAPI application of the control plane."""

from __future__ import annotations

import contextlib
import logging
import time
from urllib.parse import urlparse

import anyio.to_thread
from fastapi import FastAPI

from conveyor_runner.api import errors, routes
from conveyor_runner.api.event_bodies import EventBodies
from conveyor_runner.api.fast_path import FastPath
from conveyor_runner.api.state import ServerState
from conveyor_runner.control.plane import ControlPlane
from conveyor_runner.plugin.manager import build_registries, get_plugin_manager
from conveyor_runner.settings import Settings
from conveyor_runner.store.db import Database
from conveyor_runner.store.users import signing_key

log = logging.getLogger(__name__)


def build_state(settings: Settings, plugins=None) -> ServerState:
    """Open the database (migrating it), load plugins and the storage driver.

    Raises:
        ConfigurationError: unreachable database or an invalid setting.
        PluginNotFoundError: no storage driver or queue transport serves the URL's scheme.
    """
    db = Database(settings.database_url)
    db.migrate()
    pm = plugins or get_plugin_manager()
    registries = build_registries(pm)
    storage_cls = registries.storage.get(urlparse(settings.storage_url).scheme)
    with db.transaction() as session:
        key = signing_key(session)
    return ServerState(
        settings=settings, db=db, plugins=pm, registries=registries,
        storage=storage_cls(settings.storage_url), signing_key=key,
        plane=ControlPlane(settings, db, registries, key,
                           event_bodies=EventBodies(settings.api_url)),
    )


def create_app(state: ServerState) -> FastAPI:
    """The REST application serving ``/api/v1`` and the login gate ``/token``."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        # Long polls (sync execute, queue receive) hold worker threads: allow plenty.
        anyio.to_thread.current_default_thread_limiter().total_tokens = 200
        state.plane.start()
        _notify(state, "conveyor_startup", role="api", settings=state.settings)
        yield
        _notify(state, "conveyor_shutdown", role="api")
        state.plane.stop()

    app = _ConveyorApp(title="Conveyor", version="0.1.0", lifespan=lifespan)
    app.state.conveyor = state
    errors.install(app)
    routes.install(app)
    app.fast_path = FastPath(app, routes.HOT_ENDPOINTS)
    return app


class _ConveyorApp(FastAPI):
    """The FastAPI application, with the hot routes dispatched by ``api.fast_path`` first
    -- unless FastAPI's native telemetry is on, which traces requests on FastAPI's path."""

    fast_path: FastPath | None = None
    #: (enabled, when checked): looking the telemetry providers up on every request cost
    #: as much as some routes; a provider configured later is noticed within a second.
    _telemetry_seen = (False, float("-inf"))

    async def __call__(self, scope, receive, send) -> None:
        if (scope["type"] == "http" and self.fast_path is not None
                and not self._telemetry_enabled()
                and await self.fast_path.handle(scope, receive, send)):
            return
        await super().__call__(scope, receive, send)

    def _telemetry_enabled(self) -> bool:
        enabled, checked = self._telemetry_seen
        if time.monotonic() - checked > 1.0:
            enabled = self._native_telemetry.enabled()
            self._telemetry_seen = (enabled, time.monotonic())
        return enabled


def _notify(state: ServerState, hook_name: str, **kwargs) -> None:
    # Lifecycle hooks are observers: a faulty plugin is logged, never fatal.
    try:
        getattr(state.plugins.hook, hook_name)(**kwargs)
    except Exception:  # noqa: BLE001 - plugin code may raise anything
        log.exception("plugin hook %s failed", hook_name)
