"""CodebaseFetcher: the contract every code source (item zip, git, filesystem) fulfils."""

from __future__ import annotations

import abc
from pathlib import Path
from typing import Any, ClassVar

from conveyor_runner.errors import RunnerError


class CodebaseError(RunnerError):
    """The codebase could not be fetched or unpacked; the message says why."""


class CodebaseFetcher(abc.ABC):
    """Materialises a package codebase as a folder on local disk.

    Args:
        client: an authenticated ``conveyor`` SDK ``ApiClient`` (for item downloads).
        cache_dir: a folder the fetcher owns for its cache.
    """

    #: The ``codebase.type`` this fetcher serves ("item", "git", "filesystem", "local").
    codebase_type: ClassVar[str]

    def __init__(self, client: Any, cache_dir: Path) -> None:
        self.client = client
        self.cache_dir = cache_dir

    @abc.abstractmethod
    def fetch(self, codebase: dict) -> Path:
        """Return a folder holding the codebase's files, fetching it if not cached.

        The folder is complete when returned (never a half-unpacked cache entry: entries
        are unpacked beside and renamed into place), is keyed by the codebase's content
        identity, and is shared read-only between callers. Safe to call from several
        threads and processes at once.

        Raises:
            CodebaseError: the codebase does not exist, cannot be downloaded, or is corrupt.
        """
