"""Folder tree of a dataset (``GET /datasets/{id}/directoryTree``)."""

from __future__ import annotations

from typing import Any


class DirectoryTree:
    """Dataset directory tree.

    Args:
        _json: ``{"value": <dir item JSON>, "children": [<same shape>, ...]}``.

    Attributes:
        root: the root ``SingleDirectory``.
        dirs: every directory of the tree, parents before children.
        tree: the JSON as received.
    """

    def __init__(self, _json: dict):
        self.dirs: list[SingleDirectory] = []
        self.tree = _json or {}
        self.root = SingleDirectory(
            value=self.tree.get("value") or {},
            directory_tree=self,
            children=self.tree.get("children"),
        )

    @property
    def dir_names(self) -> list[str]:
        """Full paths of every directory (``'/'``, ``'/a'``, ``'/a/b'`` ...)."""
        return [directory.path for directory in self.dirs]

    def __repr__(self) -> str:
        return f"DirectoryTree(dirs={self.dir_names!r})"


class SingleDirectory:
    """One directory of a ``DirectoryTree``; registers itself in ``directory_tree.dirs``.

    Attributes:
        id, name: of the directory item.
        parent: path of the parent directory (the item's ``dir``).
        path: full path of the directory (the item's ``filename``).
        metadata: the item's metadata.
        children: sub-directories.
    """

    def __init__(self, value: dict, directory_tree: DirectoryTree, children: list | None = None):
        value = value or {}
        self.id: Any = value.get("id")
        self.name: Any = value.get("name")
        self.parent: Any = value.get("dir")
        self.path: Any = value.get("filename")
        self.metadata: dict = value.get("metadata") or {}
        directory_tree.dirs.append(self)
        self.children = [
            SingleDirectory(
                value=child.get("value") or {},
                directory_tree=directory_tree,
                children=child.get("children"),
            )
            for child in (children or [])
        ]

    def __repr__(self) -> str:
        return f"SingleDirectory(path={self.path!r}, children={len(self.children)})"
