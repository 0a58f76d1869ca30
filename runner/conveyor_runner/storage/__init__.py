"""The storage role: where item binaries live."""

from conveyor_runner.storage.driver import StorageDriver

__all__ = ["StorageDriver"]
