"""StorageDriver: the contract every binary store (filesystem, S3, ...) fulfils."""

from __future__ import annotations

import abc
from typing import BinaryIO, ClassVar

from conveyor_runner.errors import InvalidInputError


class StorageDriver(abc.ABC):
    """Stores opaque binaries under keys chosen by the control plane.

    Keys are relative POSIX paths made of ``[0-9a-z/._-]`` (the control plane derives them
    from ids), never user file names. All methods are thread-safe and blocking; none of them
    leaves a partially written object visible under its key.

    Args:
        url: the storage URL whose scheme selected this driver (``file:///var/lib/x``).
    """

    #: URL scheme this driver serves (``file``, ``s3``).
    scheme: ClassVar[str]

    def __init__(self, url: str) -> None:
        self.url = url

    @abc.abstractmethod
    def put(self, key: str, stream: BinaryIO, *, expected_size: int | None = None) -> int:
        """Store everything ``stream`` yields under ``key`` and return the byte count.

        Atomic: readers see the old object (or none) until the new one is complete. If
        ``expected_size`` is given and the stream yields a different number of bytes, nothing
        is kept and ``SizeMismatchError`` is raised. Overwrites an existing key.
        """

    @abc.abstractmethod
    def open(self, key: str) -> BinaryIO:
        """Open the object for reading; the caller closes it. The stream is seekable.

        Raises:
            KeyError: no object is stored under ``key``.
        """

    @abc.abstractmethod
    def size(self, key: str) -> int:
        """Byte size of the object. Raises ``KeyError`` if absent."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object. Idempotent: deleting a missing key does nothing."""

    @abc.abstractmethod
    def copy(self, source_key: str, target_key: str) -> None:
        """Copy an object to a new key (atomic like ``put``). ``KeyError`` if absent."""

    def exists(self, key: str) -> bool:
        """True if an object is stored under ``key``."""
        try:
            self.size(key)
        except KeyError:
            return False
        return True


class SizeMismatchError(InvalidInputError):
    """The stored stream's length differs from the size the client declared."""

    def __init__(self, expected: int, received: int) -> None:
        super().__init__(
            f"file: declared size {expected} bytes but received {received} bytes; nothing was kept",
            field="file",
        )
        self.expected = expected
        self.received = received
