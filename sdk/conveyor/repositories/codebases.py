"""Codebases repository: package code zips in the project's Binaries dataset, and git clones.

Storage layout (dtlpy-contract §3.5): version ``n`` of codebase ``<name>`` is the item
``/codebases/<name>/<n>.zip`` of the project's hidden ``Binaries`` dataset, with
``metadata.system.md5`` the MD5 of the zip. Packing a folder whose zip has the MD5 of an
existing version reuses that version; otherwise version ``max(n) + 1`` is uploaded.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from .. import exceptions
from ..entities.codebase import GitCodebase, ItemCodebase
from ..entities.filters import Filters
from .transfer import download_to_buffer
from .zipping import md5_hex, unzip_to, zip_folder

logger = logging.getLogger("conveyor")


@dataclass
class PackedCodebase:
    """Result of packing: the codebase, and whether this call uploaded a new version."""

    codebase: ItemCodebase
    uploaded: bool


class Codebases:
    """All I/O for codebases of ``project`` (or of an explicit ``dataset``).

    Args:
        client_api: the ``ApiClient``.
        project: the project whose Binaries dataset holds the zips.
        dataset: a dataset to use instead of the project's Binaries dataset.
        project_id: accepted for dtlpy compatibility (``project`` is used).
    """

    def __init__(self, client_api: Any, project: Any = None, dataset: Any = None,
                 project_id: str | None = None) -> None:
        self._client_api = client_api
        self._project = project
        self._dataset = dataset

    @property
    def dataset(self) -> Any:
        """The dataset holding the zips (the project's Binaries dataset by default).

        Raises:
            BadRequest: neither a dataset nor a project is bound.
        """
        if self._dataset is None:
            if self._project is None:
                raise exceptions.BadRequest(message="project: codebases need a project "
                                                    "(use project.codebases)")
            self._dataset = self._project.datasets._get_binaries_dataset()
        return self._dataset

    @property
    def items_repository(self) -> Any:
        """The Items repository of ``dataset``."""
        return self.dataset.items

    # ------------------------------------------------------------------- read
    def list_versions(self, codebase_name: str) -> Any:
        """Paged items ``/codebases/<codebase_name>/*`` (every stored version)."""
        return self.items_repository.list(
            filters=Filters(field="filename", values=f"/codebases/{codebase_name}/*"))

    def list(self) -> Any:
        """Paged folders under ``/codebases`` (one per codebase name)."""
        filters = Filters(field="filename", values="/codebases/*")
        filters.add(field="type", values="dir")
        return self.items_repository.list(filters=filters)

    def _versions(self, codebase_name: str) -> list[tuple[int, Any]]:
        found = []
        for item in self.list_versions(codebase_name).all():
            stem = os.path.splitext(item.name or "")[0]
            if item.type != "dir" and stem.isdigit():
                found.append((int(stem), item))
        return sorted(found, key=lambda pair: pair[0])

    def get(self, codebase_name: str | None = None, codebase_id: str | None = None,
            version: str | None = None) -> Any:
        """One codebase version: by item id, or by name and ``version`` (a number,
        ``"latest"`` (default) or ``"all"`` for a list of every version).

        Raises:
            NotFound: no such codebase or version.
            BadRequest: neither name nor id.
        """
        if codebase_id is not None:
            item = self._items().get(item_id=codebase_id)
            return ItemCodebase(client_api=self._client_api, item=item, item_id=item.id)
        if codebase_name is None:
            raise exceptions.BadRequest(message="codebase_name or codebase_id: one is required")
        versions = self._versions(codebase_name)
        if not versions:
            raise exceptions.NotFound(message=f"No codebase was found. name: {codebase_name!r}")
        wrap = [ItemCodebase(client_api=self._client_api, item=i, item_id=i.id)
                for _, i in versions]
        if version in (None, "latest"):
            return wrap[-1]
        if version == "all":
            return wrap
        match = [c for (n, _), c in zip(versions, wrap, strict=True) if str(n) == str(version)]
        if not match:
            raise exceptions.NotFound(message=f"version: codebase {codebase_name!r} has no "
                                              f"version {version!r}")
        return match[0]

    def _items(self) -> Any:
        from .items import Items

        return self._dataset.items if self._dataset is not None else Items(self._client_api)

    # ------------------------------------------------------------------- write
    def pack(self, directory: str, name: str | None = None, extension: str = "zip",
             description: str = "", ignore_directories: list | None = None,
             ignore_max_file_size: bool = False) -> ItemCodebase:
        """Zip ``directory`` and store it as a codebase version (see module docstring).

        Returns:
            The ``ItemCodebase`` of the new or reused version.
        """
        return self._pack(directory, name, description, ignore_max_file_size).codebase

    def _pack(self, directory: str, name: str | None, description: str = "",
              ignore_max_file_size: bool = False) -> PackedCodebase:
        name = name or os.path.basename(os.path.abspath(directory))
        data = zip_folder(directory, ignore_max_file_size=ignore_max_file_size)
        md5 = md5_hex(data)
        versions = self._versions(name)
        for _, item in versions:
            if (item.system or {}).get("md5") == md5:
                logger.info("codebase %s: unchanged, reusing %s", name, item.filename)
                return PackedCodebase(ItemCodebase(client_api=self._client_api, item=item,
                                                   item_id=item.id), uploaded=False)
        number = versions[-1][0] + 1 if versions else 1
        buffer = io.BytesIO(data)
        buffer.name = f"{number}.zip"
        item = self.items_repository.upload(local_path=buffer, remote_path=f"/codebases/{name}",
                                            raise_on_error=True)
        try:
            item.metadata.setdefault("system", {}).update({"description": description,
                                                           "md5": md5})
            git = _git_info(directory)
            if git:
                item.metadata["git"] = git
            item = self.items_repository.update(item=item, system_metadata=True)
        except Exception:
            self.items_repository.delete(item_id=item.id)
            raise
        return PackedCodebase(ItemCodebase(client_api=self._client_api, item=item,
                                           item_id=item.id), uploaded=True)

    # ------------------------------------------------------------------- local
    def unpack(self, codebase: Any = None, codebase_name: str | None = None,
               codebase_id: str | None = None, local_path: str | None = None,
               version: str | None = None) -> str:
        """Download and unzip a codebase (git: clone) into ``local_path``; returns the folder.

        Raises:
            BadRequest: no ``local_path``, or the codebase type cannot be unpacked.
        """
        if local_path is None:
            raise exceptions.BadRequest(message="local_path: required to unpack a codebase")
        if codebase is None:
            codebase = self.get(codebase_name=codebase_name, codebase_id=codebase_id,
                                version=version)
        if isinstance(codebase, list):
            for entry in codebase:
                self.unpack(codebase=entry, local_path=os.path.join(local_path,
                                                                    f"v.{entry.version}"))
            return local_path
        if isinstance(codebase, GitCodebase):
            return self.clone_git(codebase=codebase, local_path=local_path)
        if not isinstance(codebase, ItemCodebase):
            raise exceptions.BadRequest(message=(
                f"codebase: cannot unpack a {getattr(codebase, 'type', codebase)!r} codebase"))
        buffer = download_to_buffer(self._client_api, codebase.item)
        unzip_to(buffer.getvalue(), local_path)
        logger.info("codebase unpacked to %s", local_path)
        return local_path

    def clone_git(self, codebase: GitCodebase, local_path: str) -> str:
        """Clone ``codebase.git_url`` at ``git_tag`` into ``local_path`` (or update a clone).

        Raises:
            ConveyorError: git is missing or failed (its output is in the message).
        """
        url = _url_with_credentials(codebase.git_url, codebase.git_username,
                                    codebase.git_password)
        ref = codebase.git_tag
        if GitCodebase.is_git_repo(local_path):
            _git(["git", "-C", local_path, "fetch", "--depth", "1", "origin", ref or "HEAD"])
            _git(["git", "-C", local_path, "checkout", "--force", "FETCH_HEAD"])
        else:
            branch = ["--branch", ref] if ref else []
            _git(["git", "clone", "--depth", "1", *branch, url, local_path])
        return local_path


def _url_with_credentials(url: str, username: str | None, password: str | None) -> str:
    if not username and not password:
        return url
    parts = urlsplit(url)
    auth = quote(username or "", safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit(parts._replace(netloc=f"{auth}@{parts.hostname}"
                                     + (f":{parts.port}" if parts.port else "")))


def _git(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise exceptions.ConveyorError(f"git: {exc}") from exc
    if done.returncode != 0:
        raise exceptions.ConveyorError(f"git {command[1]} failed: {done.stderr.strip()}")
    return done.stdout


def _git_info(directory: str) -> dict | None:
    """``{status, log, url}`` of the folder's git repository, or None if it is not one."""
    if not GitCodebase.is_git_repo(directory):
        return None
    try:
        return {"status": _git(["git", "-C", directory, "status", "--short"]),
                "log": _git(["git", "-C", directory, "log", "-1", "--oneline"]),
                "url": _git(["git", "-C", directory, "remote", "get-url", "origin"]).strip()}
    except exceptions.ConveyorError:
        return None
