"""Conveyor's runtime core: control plane, agent and plugin contracts."""

__version__ = "0.1.0"
