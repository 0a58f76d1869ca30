"""Registers the local compute backend."""

from conveyor_plugins.local.backend import LocalComputeBackend
from conveyor_runner.plugin import hookimpl


@hookimpl
def conveyor_register_compute_backends():
    return [LocalComputeBackend]
