"""How to write a Conveyor plugin.

A plugin is a module that implements one or more hooks of :mod:`conveyor_runner.plugin.spec`
with the :data:`hookimpl` marker and is announced through the ``conveyor`` entry-point group.
Built-in plugins load the same way, so a third-party plugin is a peer, not a guest::

    # pyproject.toml of your distribution
    [project.entry-points.conveyor]
    my-storage = "my_package.plugin"

    # my_package/plugin.py
    from conveyor_runner.plugin import hookimpl

    @hookimpl
    def conveyor_register_storage_drivers():
        return [MyStorageDriver]          # a subclass of conveyor_runner.storage.StorageDriver

Hooks discover classes; the classes carry behaviour through the role's abstract base class
(``StorageDriver``, ``QueueTransport``, ``ComputeBackend``, ``CodebaseFetcher``), and each
role ships a contract test suite in :mod:`conveyor_runner.testing.contracts` that every
implementation must pass. ``CONVEYOR_DISABLE_PLUGINS`` (comma-separated entry-point names)
keeps installed plugins from loading.
"""

import pluggy

PROJECT_NAME = "conveyor"

#: Marker for hook implementations in plugins.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["PROJECT_NAME", "hookimpl"]
