"""Package templates shipped with Conveyor: find them, list them, copy one into a folder.

Where the templates live: the top-level ``templates/`` folder of the source tree is the
source of truth. ``conveyor_runner/templates`` is a relative symlink to it, and
pyproject.toml ships its files as package data of the namespace package
``conveyor_runner.templates``. So ``importlib.resources.files("conveyor_runner") /
"templates"`` gives the same files everywhere. In an editable install it is the
checkout's folder, through the symlink. In a wheel or an sdist it is a copy made at
build time, because setuptools follows the symlink.

In the template files, the text ``{{package_name}}`` stands for the new package's name.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from conveyor_runner.cli.output import CliError

#: replaced by the package name in every text file of a generated package
PLACEHOLDER = "{{package_name}}"
#: the server's rule for package and service names (lowercase, digits, dashes, <= 63)
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
#: caches left by running a template's tests in place are never copied
_SKIPPED_DIRS = frozenset({"__pycache__", ".pytest_cache"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True)
class Generated:
    """The result of ``generate``: the package name and the files written, in order."""

    name: str
    folder: Path
    files: list[Path]


def templates_root() -> Path:
    """The folder that holds one subfolder per template.

    Raises:
        CliError: the installation has no templates (a broken or stripped install).
    """
    root = Path(str(files("conveyor_runner") / "templates"))
    if not root.is_dir():
        raise CliError(f"no package templates at {root}: reinstall conveyor")
    return root


def available() -> dict[str, str]:
    """Every template's name mapped to a one-line summary, sorted by name.

    The summary lists the functions of the template's package.json with their
    descriptions. It is empty when the manifest cannot be read.
    """
    return {path.name: _summary(path) for path in sorted(templates_root().iterdir())
            if path.is_dir() and (path / "package.json").is_file()}


def _summary(folder: Path) -> str:
    try:
        manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
        functions = [f for m in manifest.get("modules") or [] for f in m.get("functions") or []]
    except (OSError, ValueError, AttributeError):
        return ""
    return "; ".join(f"{f.get('name')}: {f.get('description', '')}".strip() for f in functions)


def default_name(template: str, target: Path) -> str:
    """The package name to use when none is given.

    Returns:
        The target folder's name when it is a valid package name, else the template's
        name. ``--to ./image-tagger`` gives ``image-tagger``.
    """
    candidate = target.resolve().name
    return candidate if NAME_PATTERN.match(candidate) else template


def check_name(name: str) -> None:
    """Check ``name`` with the rule the server applies to package and service names.

    Raises:
        CliError: the name is invalid. The message says what is allowed.
    """
    if not NAME_PATTERN.match(name):
        raise CliError(f"--name: {name!r} is not a valid package name; use 1-63 lowercase "
                       "letters, digits and dashes, starting with a letter")


def _sources(template: str) -> tuple[Path, list[Path]]:
    folder = templates_root() / template
    if not (folder / "package.json").is_file():
        names = ", ".join(available()) or "(none)"
        raise CliError(f"--template: no template named {template!r}; available: {names}")
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part in _SKIPPED_DIRS for part in relative.parts) or path.is_dir():
            continue
        if not path.name.endswith(_SKIPPED_SUFFIXES):
            found.append(relative)
    return folder, found


def generate(template: str, name: str, target: Path, force: bool = False) -> Generated:
    """Copy ``template`` into ``target`` as the package ``name``.

    Guarantees: either every file of the template is written or, when a file already
    exists and ``force`` is false, nothing is written. Text files have every
    ``{{package_name}}`` replaced by ``name``. Other files are copied byte for byte.
    File modes are kept. Folders are created as needed. Caches (``__pycache__``,
    ``.pytest_cache``, ``*.pyc``) are never copied.

    Raises:
        CliError: unknown template, invalid name, existing files without ``force``, or a
            folder in the way of a file.
    """
    check_name(name)
    folder, relatives = _sources(template)
    targets = [target / relative for relative in relatives]
    obstacle = next(filter(None, (_obstacle(target, t) for t in targets)), None)
    if obstacle is not None:
        raise CliError(f"--to: {obstacle} is in the way of the template's files; move it away")
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise CliError(f"--to: {len(existing)} file(s) already exist in {target} "
                       f"(first: {existing[0].relative_to(target)}); use --force to overwrite")
    for relative, destination in zip(relatives, targets, strict=True):
        _write(folder / relative, destination, name)
    return Generated(name=name, folder=target, files=targets)


def _obstacle(target: Path, path: Path) -> Path | None:
    """Find what prevents writing ``path``, or None when nothing does.

    An obstacle is a folder at ``path`` itself, or a file where ``target`` or one of the
    folders ``path`` needs should be.
    """
    if path.is_dir():
        return path
    above = (target / parent for parent in reversed(path.relative_to(target).parents))
    return next((p for p in above if p.is_file()), None)


def _write(source: Path, destination: Path, name: str) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    content = source.read_bytes()
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:  # a binary asset: copied as is
        destination.write_bytes(content)
    else:
        destination.write_bytes(text.replace(PLACEHOLDER, name).encode("utf-8"))
    shutil.copymode(source, destination)
