"""Builds the plugin manager and the per-role registries from installed plugins."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType

import pluggy

from conveyor_runner.plugin import PROJECT_NAME, spec
from conveyor_runner.plugin.registry import Registry

log = logging.getLogger(__name__)


def get_plugin_manager(
    *, load_entrypoints: bool = True, plugins: Iterable[ModuleType | object] = ()
) -> pluggy.PluginManager:
    """Return a new plugin manager with our hookspecs and the requested plugins.

    Args:
        load_entrypoints: load every plugin announced in the ``conveyor`` entry-point group
            (minus those named in ``CONVEYOR_DISABLE_PLUGINS``).
        plugins: extra plugin objects to register (tests pass theirs explicitly).
    """
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(spec)
    if load_entrypoints:
        for name in _disabled_plugins():
            pm.set_blocked(name)
        pm.load_setuptools_entrypoints(PROJECT_NAME)
    for plugin in plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm


def _disabled_plugins() -> list[str]:
    raw = os.environ.get("CONVEYOR_DISABLE_PLUGINS", "")
    return [name.strip() for name in raw.split(",") if name.strip()]


@dataclass
class Registries:
    """The classes every installed plugin registered, one registry per role."""

    storage: Registry = field(default_factory=lambda: Registry("storage driver"))
    queue: Registry = field(default_factory=lambda: Registry("queue transport"))
    compute: Registry = field(default_factory=lambda: Registry("compute backend"))
    codebase: Registry = field(default_factory=lambda: Registry("codebase fetcher"))


def build_registries(pm: pluggy.PluginManager) -> Registries:
    """Call every discovery hook once and file the returned classes by their keys.

    Raises:
        PluginConflictError: two plugins register the same key for one role.
    """
    registries = Registries()
    hooks = pm.hook
    for classes in hooks.conveyor_register_storage_drivers():
        for cls in classes:
            registries.storage.add(cls.scheme, cls)
    for classes in hooks.conveyor_register_queue_transports():
        for cls in classes:
            for scheme in cls.schemes:
                registries.queue.add(scheme, cls)
    for classes in hooks.conveyor_register_compute_backends():
        for cls in classes:
            registries.compute.add(cls.name, cls)
    for classes in hooks.conveyor_register_codebase_fetchers():
        for cls in classes:
            registries.codebase.add(cls.codebase_type, cls)
    return registries


def plugin_origins(pm: pluggy.PluginManager) -> dict[str, str]:
    """Map each registered plugin name to the distribution that provided it."""
    origins = {}
    for plugin, dist in pm.list_plugin_distinfo():
        origins[pm.get_name(plugin) or repr(plugin)] = f"{dist.project_name} {dist.version}"
    return origins
