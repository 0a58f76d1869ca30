"""Filesystem storage driver.

Capabilities: atomic puts (write to a temporary file, fsync, rename), seekable reads,
copy by hard link when possible.
Selection: ``CONVEYOR_STORAGE_URL=file:///absolute/folder`` (the embedded default is
``file://<data dir>/binaries``).
Settings: none beyond the URL.
"""
