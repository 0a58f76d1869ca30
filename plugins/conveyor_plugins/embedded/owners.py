"""Transport incarnations: who holds a lease, and whether that holder is still alive.

Every open :class:`~conveyor_plugins.embedded.transport.EmbeddedTransport` is one
*incarnation* with a random id. It keeps an exclusive ``flock`` on its own lock file,
``<queue file>-owners/<id>.lock``, for as long as it is open. The kernel drops that lock
when the process exits for any reason, ``kill -9`` included, so another process can tell
a live holder from a dead one by trying to take the lock: if it can, the holder is gone
and its leased messages may be handed out again. Unlike a stored pid, this cannot be
fooled by pid reuse. ``flock`` locks belong to an open file description, so two
transports in one process are distinct incarnations too.

Without ``fcntl`` (Windows) holders are never declared dead; their deliveries come back
through the queue's delivery timeout instead.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import weakref
from collections.abc import Callable
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - non-POSIX platforms
    fcntl = None  # type: ignore[assignment]


def owners_folder(db_path: Path) -> Path:
    """The folder holding one lock file per live incarnation of ``db_path``."""
    return db_path.with_name(db_path.name + "-owners")


class Incarnation:
    """This transport's proof of life, held until :meth:`release`.

    Args:
        db_path: the queue file the incarnation works on.
    """

    def __init__(self, db_path: Path) -> None:
        self.owner = secrets.token_hex(8)
        self.folder = owners_folder(db_path)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._path = self.folder / f"{self.owner}.lock"
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        if fcntl is not None:
            # Never blocks: nobody else knows this fresh random name yet.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # A transport dropped without close() stops looking alive once collected, so
        # other transports can requeue what it held.
        self._release = weakref.finalize(self, _give_up, self._path, fd)

    def release(self) -> None:
        """Give up the lock and remove the lock file. Idempotent."""
        self._release()


def _give_up(path: Path, fd: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    os.close(fd)


def reap_if_dead(folder: Path, owner: str, reclaim: Callable[[str], None]) -> bool:
    """Call ``reclaim(owner)`` and forget ``owner`` if its process no longer holds its lock.

    ``reclaim`` runs while this process holds the dead owner's lock, and must be
    idempotent: two processes may both find the same owner dead.

    Returns:
        True when the owner was dead (and reclaimed), False while it is alive.
    """
    if fcntl is None:  # pragma: no cover - non-POSIX platforms
        return False
    path = folder / f"{owner}.lock"
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        # Lock files are created before the owner row, so a missing file means that
        # another process has already reaped this owner.
        reclaim(owner)
        return True
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        reclaim(owner)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return True
    finally:
        os.close(fd)
