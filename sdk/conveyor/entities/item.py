"""Item entity: one file (or folder) in a dataset."""

from __future__ import annotations

import mimetypes
from enum import Enum
from typing import Any

from .base import BaseEntity, Field, Timestamped


class ItemStatus(str, Enum):
    """Task status of an item (wire values)."""

    COMPLETED = "completed"
    APPROVED = "approved"
    DISCARDED = "discard"


class ExportMetadata(Enum):
    """``item_metadata`` option of ``items.upload``: take metadata from the annotation JSON."""

    FROM_JSON = "from_json"


class Item(Timestamped, BaseEntity):
    """Item entity; ``filename`` is the full remote path (``/dir/a.jpg``)."""

    _repr_fields = ("id", "filename", "type")

    annotations_link = Field("annotations")
    dataset_url = Field("dataset")
    thumbnail = Field("thumbnail")
    created_at = Field("createdAt")
    updated_at = Field("updatedAt")
    updated_by = Field("updatedBy")
    dataset_id = Field("datasetId")
    annotated = Field("annotated")
    metadata = Field("metadata")
    filename = Field("filename")
    stream = Field("stream")
    name = Field("name")
    type = Field("type")
    url = Field("url")
    id = Field("id")
    hidden = Field("hidden")
    dir = Field("dir")
    spec = Field("spec")
    creator = Field("creator")
    _description = Field("description")
    src_item = Field("srcItem")
    annotations_count = Field("annotationsCount")
    _project_id = Field("projectId")

    def __init__(
        self,
        client_api: Any = None,
        platform_dict: dict | None = None,
        is_fetched: bool = True,
        dataset: Any = None,
        project: Any = None,
        model: Any = None,
        **values: Any,
    ):
        super().__init__(
            client_api=client_api, platform_dict=platform_dict, is_fetched=is_fetched, **values
        )
        if self.__dict__.get("metadata") is None:
            self.__dict__["metadata"] = {}
        self._dataset = dataset
        self._project = project
        #: the model whose artifact this item is, when built by the models repository
        self.model = model

    @classmethod
    def from_json(
        cls,
        _json: dict,
        client_api: Any,
        dataset: Any = None,
        project: Any = None,
        model: Any = None,
        is_fetched: bool = True,
    ) -> Item:
        """Build an Item from the server's JSON.

        Args:
            _json: item JSON.
            client_api: the ``ApiClient``.
            dataset: the item's Dataset when known (ignored if its id differs from ``datasetId``).
            project: the item's Project when known.
            model: the Model the item is an artifact of, if any.
            is_fetched: False for a stub that fetches itself when a missing field is read.
        """
        if dataset is not None and _json.get("datasetId") not in (None, dataset.id):
            dataset = None
        return cls._build(
            _json,
            client_api,
            is_fetched=is_fetched,
            _dataset=dataset,
            _project=project,
            model=model,
        )

    def _fetch_json(self) -> dict:
        return self.items._get_json(self.id)

    # ------------------------------------------------------------- properties
    @property
    def dataset(self):
        """The item's Dataset (fetched with ``GET /datasets/{id}`` on first use)."""
        if self._dataset is None and self.dataset_id:
            from ..repositories.datasets import Datasets

            self._dataset = Datasets(client_api=self._client_api).get(dataset_id=self.dataset_id)
        return self._dataset

    @property
    def project_id(self) -> Any:
        """``projectId`` of the JSON, else the dataset's project id."""
        if self._project_id is None and self._project is not None:
            return self._project.id
        if self._project_id is None and self.dataset is not None:
            return (self.dataset.projects or [None])[0]
        return self._project_id

    @property
    def project(self):
        """The item's Project (a lazy stub built from ``project_id``)."""
        if self._project is None and self.project_id:
            from .project import Project

            self._project = Project.from_json(
                {"id": self.project_id}, self._client_api, is_fetched=False
            )
        return self._project

    @property
    def items(self):
        """The Items repository of the item's dataset."""
        from ..repositories.items import Items

        return self._relation(
            "items",
            lambda: Items(
                client_api=self._client_api, dataset=self._dataset, dataset_id=self.dataset_id
            ),
        )

    @property
    def annotations(self):
        """The Annotations repository bound to this item."""
        from ..repositories.annotations import Annotations

        return self._relation(
            "annotations",
            lambda: Annotations(client_api=self._client_api, item=self, dataset=self._dataset),
        )

    @property
    def system(self) -> dict:
        """``metadata.system`` (empty dict when missing)."""
        return (self.metadata or {}).get("system") or {}

    @property
    def size(self) -> Any:
        """Byte size from ``metadata.system.size``."""
        return self.system.get("size")

    @property
    def mimetype(self) -> Any:
        """``metadata.system.mimetype``, else guessed from the file name."""
        return self.system.get("mimetype") or mimetypes.guess_type(self.filename or "")[0]

    @property
    def width(self) -> Any:
        """Image width from ``metadata.system.width``."""
        return self.system.get("width")

    @width.setter
    def width(self, value: Any) -> None:
        self.metadata.setdefault("system", {})["width"] = value

    @property
    def height(self) -> Any:
        """Image height from ``metadata.system.height``."""
        return self.system.get("height")

    @height.setter
    def height(self, value: Any) -> None:
        self.metadata.setdefault("system", {})["height"] = value

    @property
    def fps(self) -> Any:
        """Video frame rate from ``metadata.fps``."""
        return (self.metadata or {}).get("fps")

    @fps.setter
    def fps(self, value: Any) -> None:
        self.metadata["fps"] = value

    @property
    def description(self) -> Any:
        """The item description (``description``, else ``metadata.description.text``)."""
        if self._description is not None:
            return self._description
        return ((self.metadata or {}).get("description") or {}).get("text")

    @description.setter
    def description(self, text: str) -> None:
        self.set_description(text)

    @property
    def resolved_stream(self) -> Any:
        """Where the binary is read: a link's ``ref`` for link items, else ``stream``."""
        link = (self.system.get("shebang") or {}).get("linkInfo") or {}
        return link.get("ref") or self.stream

    @property
    def datasetId(self) -> Any:  # noqa: N802 - dtlpy name
        """dtlpy alias of ``dataset_id``."""
        return self.dataset_id

    # ---------------------------------------------------------------- actions
    def download(
        self,
        local_path: str | None = None,
        file_types: list | None = None,
        save_locally: bool = True,
        to_array: bool = False,
        annotation_options: Any = None,
        overwrite: bool = False,
        to_items_folder: bool = True,
        thickness: int = 1,
        with_text: bool = False,
        annotation_filters: Any = None,
        alpha: float = 1,
        export_version: str = "V1",
    ):
        """Download the item's binary; size-verified, resumed with ``Range`` when cut short.

        Returns:
            The local file path (``save_locally``), else a ``BytesIO`` named after the
            item, or an RGB(A) numpy array when ``to_array`` (images only).
        """
        return self.items.download(
            items=[self],
            local_path=local_path,
            file_types=file_types,
            save_locally=save_locally,
            to_array=to_array,
            annotation_options=annotation_options,
            overwrite=overwrite,
            to_items_folder=to_items_folder,
            thickness=thickness,
            with_text=with_text,
            annotation_filters=annotation_filters,
            alpha=alpha,
            export_version=export_version,
        )

    def delete(self) -> bool:
        """Delete the item (``DELETE /items/{id}``); returns True."""
        return self.items.delete(item_id=self.id)

    def update(self, system_metadata: bool = False) -> Item:
        """Send the changes made to this item (a merge-patch diff); returns the new Item."""
        return self.items.update(item=self, system_metadata=system_metadata)

    def move(self, new_path: str) -> Item:
        """Move the item: into folder ``new_path`` if it ends with '/' or is an existing
        folder, else rename it to the full path ``new_path``; returns the updated Item."""
        if not isinstance(new_path, str) or not new_path:
            raise ValueError("new_path: expected a non-empty remote path")
        target = new_path if new_path.startswith("/") else "/" + new_path
        if target.endswith("/"):
            self.filename = target + self.name
        elif self.items._is_dir(target):
            self.filename = target + "/" + self.name
        else:
            self.filename = target
        return self.update(system_metadata=True)

    def clone(
        self,
        dst_dataset_id: str | None = None,
        remote_filepath: str | None = None,
        metadata: dict | None = None,
        with_annotations: bool = True,
        with_metadata: bool = True,
        with_task_annotations_status: bool = False,
        allow_many: bool = False,
        wait: bool = True,
    ):
        """Clone the item (to ``dst_dataset_id``, default its own dataset).

        Returns:
            The new Item, or the Command when ``wait`` is False.
        """
        return self.items.clone(
            item_id=self.id,
            dst_dataset_id=dst_dataset_id or self.dataset_id,
            remote_filepath=remote_filepath or self.filename,
            metadata=metadata,
            with_annotations=with_annotations,
            with_metadata=with_metadata,
            with_task_annotations_status=with_task_annotations_status,
            allow_many=allow_many,
            wait=wait,
        )

    def set_description(self, text: str | None) -> Item:
        """Set (``None``/``""`` clears) the description and save it; returns this item."""
        text = "" if text is None else text
        if not isinstance(text, str):
            raise ValueError("text: description must be a string")
        self._description = text
        updated = self.update()
        self._load_json(updated._json)
        return self

    def open_in_web(self) -> None:
        """Not available: Conveyor has no web console."""
        raise NotImplementedError("Conveyor has no web console; use the SDK or the REST API.")
