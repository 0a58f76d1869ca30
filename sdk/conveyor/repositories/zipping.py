"""Zip a package folder (honouring ``.gitignore``) and unzip codebases safely.

Packing guarantees:

* files ignored by ``<folder>/.gitignore`` (gitignore syntax: ``#`` comments, ``!``
  negation, trailing ``/`` for folders, leading or inner ``/`` anchoring, ``*``, ``?``,
  ``[...]``, ``**``) are left out, and so are ``.git``, ``.conveyor``, ``.dataloop`` and
  ``__pycache__`` folders anywhere;
* the archive is deterministic: entries sorted, fixed timestamps, only the executable bit
  of the permissions kept — the same files give the same bytes and the same MD5, so an
  unchanged push reuses the stored codebase version;
* more than ``MAX_ZIP_BYTES`` of (uncompressed) files raises ``BadRequest`` unless
  ``ignore_max_file_size``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .. import exceptions

MAX_ZIP_BYTES = 100 * 1000 * 1000
ALWAYS_IGNORED = (".git", ".conveyor", ".dataloop", "__pycache__")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern
    negated: bool
    dir_only: bool


class GitIgnore:
    """Rules of one ``.gitignore`` file, matched against paths relative to its folder."""

    def __init__(self, lines: list[str]) -> None:
        self._rules = [rule for rule in map(_parse, lines) if rule is not None]

    @classmethod
    def of_folder(cls, folder: str | os.PathLike, extra: list[str] | None = None) -> GitIgnore:
        """The rules of ``<folder>/.gitignore`` (if any) plus ``extra`` lines."""
        path = Path(folder) / ".gitignore"
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines() \
            if path.is_file() else []
        return cls(lines + list(extra or []))

    def ignored(self, relative: str, is_dir: bool) -> bool:
        """True if ``relative`` (posix, no leading ``/``) is ignored; the last matching rule
        wins, as in git."""
        result = False
        for rule in self._rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.match(relative):
                result = not rule.negated
        return result


def _parse(line: str) -> _Rule | None:
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        return None
    line = re.sub(r"(?<!\\)\s+$", "", line)  # unescaped trailing spaces are ignored
    negated = line.startswith("!")
    if negated or line.startswith(("\\!", "\\#")):
        line = line[1:]
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    anchored = "/" in line
    line = line.lstrip("/")
    if not line:
        return None
    body = _translate(line)
    regex = "^" + body + "$" if anchored else "^(?:.*/)?" + body + "$"
    return _Rule(re.compile(regex), negated, dir_only)


def _translate(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2:]:
            end = pattern.index("]", i + 2)
            inner = pattern[i + 1:end].replace("\\", "\\\\")
            out.append("[" + ("^" + inner[1:] if inner.startswith("!") else inner) + "]")
            i = end + 1
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def packed_files(folder: str | os.PathLike) -> list[str]:
    """The posix relative paths ``zip_folder`` would pack, sorted."""
    root = Path(folder)
    rules = GitIgnore.of_folder(root)
    found = []
    for current, dirs, files in os.walk(root):
        relative_dir = Path(current).relative_to(root).as_posix()
        prefix = "" if relative_dir == "." else relative_dir + "/"
        dirs[:] = sorted(d for d in dirs if d not in ALWAYS_IGNORED
                         and not rules.ignored(prefix + d, is_dir=True))
        found.extend(prefix + f for f in files if not rules.ignored(prefix + f, is_dir=False))
    return sorted(found)


def zip_folder(folder: str | os.PathLike, ignore_max_file_size: bool = False) -> bytes:
    """The folder's files as a deterministic zip (see module docstring).

    Raises:
        BadRequest: not a folder, or more than ``MAX_ZIP_BYTES`` to pack.
    """
    root = Path(folder)
    if not root.is_dir():
        raise exceptions.BadRequest(message=f"src_path: not a directory: {str(folder)!r}")
    buffer, total = io.BytesIO(), 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative in packed_files(root):
            path = root / relative
            total += path.stat().st_size
            if total > MAX_ZIP_BYTES and not ignore_max_file_size:
                raise exceptions.BadRequest(message=(
                    f"src_path: more than {MAX_ZIP_BYTES // 1_000_000} MB to pack (at "
                    f"{relative!r}); add large files to .gitignore or pass "
                    "ignore_max_file_size=True"))
            info = zipfile.ZipInfo(relative, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            executable = path.stat().st_mode & 0o111
            info.external_attr = ((0o755 if executable else 0o644) | 0o100000) << 16
            info.create_system = 3  # unix, so the permission bits are read back
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def md5_hex(data: bytes) -> str:
    """Hex MD5 of ``data`` (what ``metadata.system.md5`` stores)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def unzip_to(zip_path_or_bytes: str | bytes, destination: str | os.PathLike) -> Path:
    """Extract a zip into ``destination`` (created); returns it.

    Raises:
        BadRequest: not a zip, or an entry would land outside ``destination``.
    """
    target = Path(destination).resolve()
    target.mkdir(parents=True, exist_ok=True)
    source = io.BytesIO(zip_path_or_bytes) if isinstance(zip_path_or_bytes, bytes) \
        else zip_path_or_bytes
    try:
        with zipfile.ZipFile(source) as archive:
            for member in archive.infolist():
                path = (target / member.filename).resolve()
                if path != target and target not in path.parents:
                    raise exceptions.BadRequest(message=(
                        f"codebase: zip entry {member.filename!r} escapes the target folder"))
                archive.extract(member, target)
                mode = member.external_attr >> 16
                if mode and not member.is_dir():
                    os.chmod(path, mode & 0o777)
    except zipfile.BadZipFile as exc:
        raise exceptions.BadRequest(message=f"codebase: not a zip file ({exc})") from exc
    return target
