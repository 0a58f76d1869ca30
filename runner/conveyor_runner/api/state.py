"""ServerState: the long-lived objects one control-plane process shares between requests."""

from __future__ import annotations

from dataclasses import dataclass

import pluggy

from conveyor_runner.control.plane import ControlPlane
from conveyor_runner.plugin.manager import Registries
from conveyor_runner.settings import Settings
from conveyor_runner.storage.driver import StorageDriver
from conveyor_runner.store.db import Database


@dataclass
class ServerState:
    """Everything built once at start-up; routes reach it through ``api.deps``."""

    settings: Settings
    db: Database
    plugins: pluggy.PluginManager
    registries: Registries
    storage: StorageDriver
    signing_key: str
    plane: ControlPlane
