"""Codebases: where a package's code lives (a zip item, a git repo, or a local folder).

Wire shapes (dtlpy-contract §4.4): ``{type: item, itemId}``, ``{type: git, gitUrl,
gitTag, credentials?}``, ``{type: filesystem, hostPath, containerPath}``, ``{type: local,
localPath}``. ``Codebase(type=..., ...)`` builds the right class from those keys.
"""

from __future__ import annotations

import os
from typing import Any

from .spec import Spec, SpecField


class PackageCodebaseType:
    """Codebase ``type`` values."""

    ITEM = "item"
    GIT = "git"
    FILESYSTEM = "filesystem"
    LOCAL = "local"


class _ClientCodebase(Spec):
    """A codebase that may need the client (to download items)."""

    def __init__(self, _dict: dict | None = None, client_api: Any = None, **kwargs: Any) -> None:
        super().__init__(_dict, **kwargs)
        self._client_api = client_api

    @property
    def client_api(self) -> Any:
        """The client used for downloads (the process-wide ``dl.client_api`` by default)."""
        if self._client_api is None:
            from .. import client_api

            self._client_api = client_api
        return self._client_api

    @classmethod
    def from_json(cls, _json: dict, client_api: Any = None) -> Any:
        """Build from the platform JSON."""
        return cls(_dict=_json, client_api=client_api)

    @property
    def is_remote(self) -> bool:
        """True when the code is stored remotely and can be downloaded (item, git)."""
        return False

    @property
    def is_local(self) -> bool:
        """True when the code is a folder on the machine running it (filesystem, local)."""
        return not self.is_remote


class ItemCodebase(_ClientCodebase):
    """Code zipped in an item of the project's Binaries dataset (``/codebases/<name>/<n>.zip``)."""

    type = SpecField("type", PackageCodebaseType.ITEM, always=True)
    item_id = SpecField("itemId")

    def __init__(self, _dict: dict | None = None, client_api: Any = None, item: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(_dict, client_api=client_api, **kwargs)
        self._dict.pop("item", None)
        self._item = item

    @property
    def is_remote(self) -> bool:
        """Always True."""
        return True

    @property
    def item(self) -> Any:
        """The zip ``Item`` (fetched on first use)."""
        if self._item is None:
            from ..repositories.items import Items

            self._item = Items(client_api=self.client_api).get(item_id=self.item_id)
        return self._item

    @property
    def version(self) -> str:
        """The codebase version: the zip's file name without extension (``"3"``)."""
        return os.path.splitext(self.item.name)[0]

    @property
    def md5(self) -> str | None:
        """MD5 of the zip, as recorded in ``metadata.system.md5``."""
        return self.item.system.get("md5")

    def unpack(self, local_path: str) -> str:
        """Download and unzip into ``local_path``; returns it."""
        from ..repositories.codebases import Codebases

        return Codebases(client_api=self.client_api).unpack(codebase=self, local_path=local_path)


class GitCodebase(_ClientCodebase):
    """Code in a git repository at ``git_tag`` (a branch, tag or commit)."""

    type = SpecField("type", PackageCodebaseType.GIT, always=True)
    git_url = SpecField("gitUrl")
    git_tag = SpecField("gitTag")
    credentials = SpecField("credentials")

    @property
    def is_remote(self) -> bool:
        """Always True."""
        return True

    @property
    def git_user_name(self) -> str:
        """The repository owner from the URL."""
        return self.git_url.rstrip("/").split("/")[-2]

    @property
    def git_repo_name(self) -> str:
        """The repository name from the URL (without ``.git``)."""
        return os.path.splitext(self.git_url.rstrip("/").split("/")[-1])[0]

    def _secret(self, which: str) -> str | None:
        # credentials name environment variables: {username: {key: ENV}, password: {key: ENV}}
        ref = (self.credentials or {}).get(which) or {}
        key = ref.get("key") if isinstance(ref, dict) else None
        return os.environ.get(key) if key else None

    @property
    def git_username(self) -> str | None:
        """The user name, read from the environment variable the credentials name."""
        return self._secret("username")

    @property
    def git_password(self) -> str | None:
        """The password/token, read from the environment variable the credentials name."""
        return self._secret("password")

    @staticmethod
    def is_git_repo(path: str) -> bool:
        """True if ``path`` is the root of a git working tree."""
        return os.path.isdir(os.path.join(path, ".git"))

    def unpack(self, local_path: str) -> str:
        """Clone (or update) the repository into ``local_path``; returns it."""
        from ..repositories.codebases import Codebases

        return Codebases(client_api=self.client_api).clone_git(codebase=self,
                                                               local_path=local_path)


class FilesystemCodebase(_ClientCodebase):
    """Code mounted from the host: ``host_path`` seen as ``container_path`` by replicas."""

    type = SpecField("type", PackageCodebaseType.FILESYSTEM, always=True)
    host_path = SpecField("hostPath")
    container_path = SpecField("containerPath")


class LocalCodebase(_ClientCodebase):
    """Code in a folder of the machine that runs the replicas (development)."""

    type = SpecField("type", PackageCodebaseType.LOCAL, always=True)
    local_path = SpecField("localPath")


_BY_TYPE = {
    PackageCodebaseType.ITEM: ItemCodebase,
    PackageCodebaseType.GIT: GitCodebase,
    PackageCodebaseType.FILESYSTEM: FilesystemCodebase,
    PackageCodebaseType.LOCAL: LocalCodebase,
}


def Codebase(**kwargs: Any) -> Any:
    """Build the codebase class named by ``type`` from its JSON keys.

    ``client_api`` and (for items) ``item`` may be given too, e.g.
    ``Codebase(type="item", itemId=..., client_api=...)``.

    Raises:
        ValueError: ``type`` missing or unknown.
    """
    client_api = kwargs.pop("client_api", None)
    item = kwargs.pop("item", None)
    _json = kwargs.pop("_dict", None) or kwargs
    kind = _json.get("type")
    cls = _BY_TYPE.get(kind)
    if cls is None:
        raise ValueError(f"type: unknown codebase type {kind!r}; use one of {sorted(_BY_TYPE)}")
    if cls is ItemCodebase:
        return ItemCodebase(_dict=_json, client_api=client_api, item=item)
    return cls.from_json(_json, client_api=client_api)


def load_codebase(value: Any) -> Any:
    """A codebase entity from its JSON (entities pass through; None stays None)."""
    return Codebase(**value) if isinstance(value, dict) else value
