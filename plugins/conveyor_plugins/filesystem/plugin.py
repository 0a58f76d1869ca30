"""Registers the filesystem storage driver."""

from conveyor_plugins.filesystem.driver import FilesystemStorageDriver
from conveyor_runner.plugin import hookimpl


@hookimpl
def conveyor_register_storage_drivers():
    return [FilesystemStorageDriver]
