"""Dataset entity: a folder tree of items inside a project."""

from __future__ import annotations

from enum import Enum
from typing import Any

from .base import BaseEntity, Field


class IndexDriver(str, Enum):
    """Dataset index driver version (accepted and echoed; Conveyor has one index)."""

    V1 = "v1"
    V2 = "v2"


class ExpirationOptions:
    """Dataset expiration settings.

    Args:
        item_max_days: items older than this many days may be deleted by the server.
    """

    def __init__(self, item_max_days: int | None = None):
        self.item_max_days = item_max_days

    def to_json(self) -> dict:
        """``{"itemMaxDays": n}``, or ``{}`` when unset."""
        return {} if self.item_max_days is None else {"itemMaxDays": self.item_max_days}

    @classmethod
    def from_json(cls, _json: dict | None) -> ExpirationOptions | None:
        """Parse ``{"itemMaxDays": n}``; ``None`` when it holds no limit."""
        days = (_json or {}).get("itemMaxDays")
        return cls(item_max_days=days) if days else None

    def __repr__(self) -> str:
        return f"ExpirationOptions(item_max_days={self.item_max_days!r})"


class Dataset(BaseEntity):
    """Dataset entity; ``projects[0]`` is the owning project's id."""

    id = Field("id")
    url = Field("url")
    name = Field("name")
    annotated = Field("annotated")
    creator = Field("creator")
    projects = Field("projects")
    items_count = Field("itemsCount")
    metadata = Field("metadata")
    directoryTree = Field("directoryTree")  # noqa: N815 - dtlpy attribute name
    export = Field("export")
    expiration_options = Field("expirationOptions", load=ExpirationOptions.from_json)
    index_driver = Field("indexDriver")
    enable_sync_with_cloned = Field("enableSyncWithCloned")
    created_at = Field("createdAt")
    updated_at = Field("updatedAt")
    updated_by = Field("updatedBy")
    items_url = Field("items")
    readable_type = Field("readableType")
    access_level = Field("accessLevel")
    driver = Field("driver")
    src_dataset = Field("srcDataset")
    readonly = Field("readonly")
    annotations_count = Field("annotationsCount")
    is_syncing = Field("isSyncing")

    def __init__(
        self,
        client_api: Any = None,
        platform_dict: dict | None = None,
        is_fetched: bool = True,
        project: Any = None,
        datasets: Any = None,
        **values: Any,
    ):
        super().__init__(
            client_api=client_api, platform_dict=platform_dict, is_fetched=is_fetched, **values
        )
        self._project = project
        self._datasets = datasets
        self._directory_tree = None

    @classmethod
    def from_json(
        cls,
        project: Any,
        _json: dict,
        client_api: Any,
        datasets: Any = None,
        is_fetched: bool = True,
    ) -> Dataset:
        """Build a Dataset from the server's JSON.

        Args:
            project: the dataset's Project, or None (then a lazy stub from ``projects[0]``).
            _json: dataset JSON.
            client_api: the ``ApiClient``.
            datasets: the Datasets repository it came from (created on demand if None).
            is_fetched: False for a stub that fetches itself when a missing field is read.
        """
        return cls._build(
            _json, client_api, is_fetched=is_fetched, _project=project, _datasets=datasets
        )

    def _fetch_json(self) -> dict:
        return self.datasets._get_json(self.id)

    # ---------------------------------------------------------------- relations
    @property
    def project(self):
        """The owning Project (a lazy stub built from ``projects[0]`` when not given)."""
        if self._project is None and self.projects:
            from .project import Project

            self._project = Project.from_json(
                {"id": self.projects[0]}, self._client_api, is_fetched=False
            )
        return self._project

    @project.setter
    def project(self, value: Any) -> None:
        self._project = value

    @property
    def datasets(self):
        """The Datasets repository (of the owning project when known)."""
        if self._datasets is None:
            from ..repositories.datasets import Datasets

            self._datasets = Datasets(client_api=self._client_api, project=self._project)
        return self._datasets

    @property
    def items(self):
        """Items repository bound to this dataset."""
        from ..repositories.items import Items

        return self._relation("items", lambda: Items(client_api=self._client_api, dataset=self))

    @property
    def annotations(self):
        """Annotations repository bound to this dataset."""
        from ..repositories.annotations import Annotations

        return self._relation(
            "annotations", lambda: Annotations(client_api=self._client_api, dataset=self)
        )

    @property
    def directory_tree(self):
        """The dataset's ``DirectoryTree`` (fetched once, then cached)."""
        if self._directory_tree is None:
            self._directory_tree = self.datasets.directory_tree(dataset_id=self.id)
        return self._directory_tree

    @property
    def createdAt(self) -> Any:  # noqa: N802 - dtlpy name
        """dtlpy alias of ``created_at``."""
        return self.created_at

    def get_recipe_ids(self) -> list:
        """Recipe ids from ``metadata.system.recipes`` (empty when none)."""
        return list(((self.metadata or {}).get("system") or {}).get("recipes") or [])

    # ------------------------------------------------------------------ actions
    def delete(self, sure: bool = False, really: bool = False) -> bool:
        """Delete the dataset and its items forever; requires ``sure`` and ``really``."""
        return self.datasets.delete(dataset_id=self.id, sure=sure, really=really)

    def update(self, system_metadata: bool = False) -> Dataset:
        """Send the dataset's JSON with ``PATCH /datasets/{id}``; returns the updated dataset."""
        return self.datasets.update(dataset=self, system_metadata=system_metadata)

    def checkout(self) -> None:
        """Make this the default dataset (local state only)."""
        self.datasets.checkout(dataset=self)

    def clone(
        self,
        clone_name: str | None = None,
        filters: Any = None,
        with_items_annotations: bool = True,
        with_metadata: bool = True,
        with_task_annotations_status: bool = True,
        dst_dataset_id: str | None = None,
    ):
        """Clone the dataset (or the items matching ``filters``); waits and returns the clone."""
        return self.datasets.clone(
            dataset_id=self.id,
            clone_name=clone_name,
            filters=filters,
            with_items_annotations=with_items_annotations,
            with_metadata=with_metadata,
            with_task_annotations_status=with_task_annotations_status,
            dst_dataset_id=dst_dataset_id,
        )

    def download(
        self,
        filters: Any = None,
        local_path: str | None = None,
        file_types: list | None = None,
        annotation_options: Any = None,
        annotation_filters: Any = None,
        overwrite: bool = False,
        to_items_folder: bool = True,
        thickness: int = 1,
        with_text: bool = False,
        without_relative_path: Any = None,
        alpha: float = 1,
        export_version: str = "V1",
    ):
        """Download the items matching ``filters`` (all files by default).

        Returns:
            The local path when exactly one item matched, else a list of local paths.
        """
        return self.items.download(
            filters=filters,
            local_path=local_path,
            file_types=file_types,
            annotation_options=annotation_options,
            annotation_filters=annotation_filters,
            overwrite=overwrite,
            to_items_folder=to_items_folder,
            thickness=thickness,
            with_text=with_text,
            without_relative_path=without_relative_path,
            alpha=alpha,
            export_version=export_version,
        )

    def download_folder(
        self,
        folder_path: str,
        filters: Any = None,
        local_path: str | None = None,
        file_types: list | None = None,
        annotation_options: Any = None,
        annotation_filters: Any = None,
        overwrite: bool = False,
        to_items_folder: bool = True,
        thickness: int = 1,
        with_text: bool = False,
        without_relative_path: Any = None,
        alpha: float = 1,
        export_version: str = "V1",
    ):
        """Download the items under ``folder_path`` (recursively); same return as ``download``."""
        return self.items.download(
            filters=self.items._folder_query(folder_path, filters),
            local_path=local_path,
            file_types=file_types,
            annotation_options=annotation_options,
            annotation_filters=annotation_filters,
            overwrite=overwrite,
            to_items_folder=to_items_folder,
            thickness=thickness,
            with_text=with_text,
            without_relative_path=without_relative_path,
            alpha=alpha,
            export_version=export_version,
        )

    def upload_annotations(
        self,
        local_path: str,
        filters: Any = None,
        clean: bool = False,
        remote_root_path: str = "/",
        export_version: str = "V1",
    ) -> int:
        """Upload dtlpy-format annotation JSON files found under ``local_path``.

        Each ``*.json`` file is matched to an item by its ``filename`` key (else by its
        path relative to ``local_path`` under ``remote_root_path``).

        Returns:
            The number of files whose annotations were uploaded.
        """
        return self.datasets.upload_annotations(
            dataset=self,
            local_path=local_path,
            filters=filters,
            clean=clean,
            remote_root_path=remote_root_path,
            export_version=export_version,
        )

    def open_in_web(self) -> None:
        """Not available: Conveyor has no web console."""
        raise NotImplementedError("Conveyor has no web console; use the SDK or the REST API.")
