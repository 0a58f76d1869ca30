"""ItemCodebaseFetcher: download a codebase zip item once, unpack it safely, share it."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from conveyor.exceptions import ConveyorError
from conveyor_runner.codebase import CodebaseError, CodebaseFetcher

try:  # POSIX: serialise fetchers of one entry across processes
    import fcntl
except ImportError:  # pragma: no cover - Windows relies on the rename race alone
    fcntl = None

_CHUNK = 1024 * 1024


class ItemCodebaseFetcher(CodebaseFetcher):
    """Fetches ``{"type": "item", "itemId": ...}`` codebases (zip items).

    Guarantees (beyond ``CodebaseFetcher``): the download is checked against the item's
    size (and md5 when known) before anything is unpacked; no file is written outside the
    cache entry, whatever the zip holds; a fetch that crashed half-way leaves only a
    hidden temporary folder, removed by the next fetch of the same entry.
    """

    codebase_type = "item"

    def fetch(self, codebase: dict) -> Path:
        """Return the unpacked codebase folder, downloading it if it is not cached.

        Raises:
            CodebaseError: no ``itemId``, the item is missing or not visible, the download
                is short or corrupt, the file is not a zip, or an entry escapes the folder.
        """
        item_id = codebase.get("itemId") if isinstance(codebase, dict) else None
        if not isinstance(item_id, str) or not item_id:
            raise CodebaseError("codebase.itemId: required for an item codebase")
        item = self._item(item_id)
        system = (item.get("metadata") or {}).get("system") or {}
        size, md5 = system.get("size"), system.get("md5")
        target = self.cache_dir / _entry_name(item_id, size, md5, item.get("updatedAt"))
        if target.is_dir():
            return target
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with _locked(self.cache_dir / f".{target.name}.lock"):
            if target.is_dir():  # another thread or process finished it meanwhile
                return target
            _remove_leftovers(self.cache_dir, target.name)
            scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=self.cache_dir))
            try:
                archive = scratch / "codebase.zip"
                self._download(item_id, archive, size, md5)
                _unzip(archive, scratch / "files")
                _publish(scratch / "files", target)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        return target

    def _item(self, item_id: str) -> dict:
        try:
            return self.client.json("get", f"/items/{item_id}")
        except ConveyorError as exc:
            raise CodebaseError(f"codebase item {item_id}: cannot be read ({exc})") from exc

    def _download(self, item_id: str, path: Path, size: object, md5: object) -> None:
        digest, written = hashlib.md5(usedforsecurity=False), 0
        try:
            response = self.client.request("get", f"/items/{item_id}/stream", stream=True)
            with response, path.open("wb") as handle:
                for chunk in response.iter_content(_CHUNK):
                    handle.write(chunk)
                    digest.update(chunk)
                    written += len(chunk)
        except (ConveyorError, OSError) as exc:
            raise CodebaseError(f"codebase item {item_id}: download failed ({exc})") from exc
        if isinstance(size, int) and written != size:
            raise CodebaseError(f"codebase item {item_id}: downloaded {written} bytes, the "
                                f"item has {size}")
        if isinstance(md5, str) and md5 and digest.hexdigest() != md5.lower():
            raise CodebaseError(f"codebase item {item_id}: md5 {digest.hexdigest()} does not "
                                f"match the item's {md5}")


def _entry_name(item_id: str, size: object, md5: object, updated_at: object) -> str:
    """The cache entry of one content version of the item."""
    if isinstance(md5, str) and md5:
        return f"{item_id}-{md5.lower()}"
    # Without an md5, size alone could miss an overwrite of the same length.
    stamp = hashlib.sha1(str(updated_at).encode(), usedforsecurity=False).hexdigest()[:10]
    return f"{item_id}-s{size}-{stamp}"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (one open file description per holder)."""
    if fcntl is None:
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(cache_dir: Path, name: str) -> None:
    """Temporary folders of crashed fetches of this entry (the lock is held)."""
    for leftover in cache_dir.glob(f".{name}.tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _unzip(archive: Path, folder: Path) -> None:
    """Unpack, refusing entries that are absolute or climb out of ``folder``."""
    folder.mkdir()
    root = folder.resolve()
    try:
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.infolist():
                relative = PurePosixPath(member.filename.replace("\\", "/"))
                destination = (root / relative).resolve()
                if relative.is_absolute() or ".." in relative.parts or (
                        destination != root and root not in destination.parents):
                    raise CodebaseError(f"codebase zip entry {member.filename!r} would be "
                                        "written outside the codebase folder")
                zipped.extract(member, root)
    except zipfile.BadZipFile as exc:
        raise CodebaseError(f"codebase item is not a zip file ({exc})") from exc


def _publish(folder: Path, target: Path) -> None:
    """Rename the complete folder into place; losing a race to an equal entry is fine."""
    try:
        os.rename(folder, target)
    except OSError:
        if not target.is_dir():
            raise
