"""FilesystemStorageDriver: binaries as files under one root folder."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlparse

from conveyor_runner.errors import ConfigurationError
from conveyor_runner.storage.driver import SizeMismatchError, StorageDriver

_CHUNK = 1024 * 1024
_KEY = re.compile(r"^[0-9a-z._-]+(/[0-9a-z._-]+)*$")


class FilesystemStorageDriver(StorageDriver):
    """Stores each key as a file under the folder named by a ``file://`` URL."""

    scheme = "file"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        parsed = urlparse(url)
        if parsed.scheme != "file" or not parsed.path:
            raise ConfigurationError(
                f"storage URL {url!r} is not a file:// URL with an absolute path; "
                "use e.g. file:///var/lib/conveyor/binaries"
            )
        self.root = Path(unquote(parsed.path))
        self.root.mkdir(parents=True, exist_ok=True)
        self.root = self.root.resolve()

    def _path(self, key: str) -> Path:
        # Keys come from the control plane, but check them anyway: a key that could
        # climb out of the root is refused without touching the disk.
        if not _KEY.match(key) or ".." in key.split("/"):
            raise ValueError(f"storage key {key!r} is not a relative path of [0-9a-z/._-]")
        return self.root / key

    def put(self, key: str, stream: BinaryIO, *, expected_size: int | None = None) -> int:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".put-")
        try:
            received = _copy_stream(stream, fd)
            if expected_size is not None and received != expected_size:
                raise SizeMismatchError(expected_size, received)
            os.replace(tmp_name, target)
        except BaseException:
            _remove_quietly(tmp_name)
            raise
        return received

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")  # noqa: SIM115 - the caller closes it
        except FileNotFoundError:
            raise KeyError(key) from None

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        _remove_quietly(self._path(key))

    def copy(self, source_key: str, target_key: str) -> None:
        source = self._path(source_key)
        if not source.exists():
            raise KeyError(source_key)
        with open(source, "rb") as stream:
            self.put(target_key, stream)


def _copy_stream(stream: BinaryIO, fd: int) -> int:
    received = 0
    with os.fdopen(fd, "wb") as out:
        while chunk := stream.read(_CHUNK):
            out.write(chunk)
            received += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return received


def _remove_quietly(path: str | Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass  # already gone: removal is idempotent by contract
