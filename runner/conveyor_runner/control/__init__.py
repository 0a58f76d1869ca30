"""Decisions of the control plane: no HTTP and no SQL."""
