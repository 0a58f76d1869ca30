"""Registers the local compute backend."""

from conveyor_runner.plugin import hookimpl

from conveyor_plugins.local.backend import LocalComputeBackend


@hookimpl
def conveyor_register_compute_backends():
    return [LocalComputeBackend]
