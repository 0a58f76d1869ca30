"""Items repository: query, get, update, delete, clone, upload and download items of a dataset."""

from __future__ import annotations

import logging
from typing import Any

from .. import exceptions
from ..entities.command import Command
from ..entities.item import Item
from ..entities.paged_entities import PagedEntities
from ..entities.query import RawQuery, add_and_clause, enum_value, prepare_query
from .downloader import Downloader, normalise_annotation_options
from .upload_sources import build_jobs
from .uploader import Uploader, summarise

logger = logging.getLogger("conveyor")


class Items:
    """All I/O for items; most operations need a dataset (``dataset`` or ``dataset_id``).

    Args:
        client_api: the ``ApiClient``.
        datasets: unused; accepted for dtlpy compatibility.
        dataset: the Dataset the items belong to.
        dataset_id: its id, when the entity is not at hand.
        items_entity: entity class built from item JSON (default ``Item``).
        project: the project, used only to fill ``item.project``.
    """

    def __init__(
        self,
        client_api: Any,
        datasets: Any = None,
        dataset: Any = None,
        dataset_id: str | None = None,
        items_entity: type | None = None,
        project: Any = None,
    ):
        self._client_api = client_api
        self._dataset = dataset
        self._dataset_id = dataset_id or (dataset.id if dataset is not None else None)
        self.items_entity = items_entity or Item
        self.project = project

    # --------------------------------------------------------------- plumbing
    @property
    def dataset_id(self) -> str | None:
        """Id of the bound dataset, or None."""
        return self._dataset_id

    @property
    def dataset(self):
        """The bound Dataset (fetched by id on first use).

        Raises:
            BadRequest: the repository is not bound to a dataset.
        """
        if self._dataset is None:
            if self._dataset_id is None:
                raise exceptions.BadRequest(message="dataset: use dataset.items for this operation")
            from .datasets import Datasets

            self._dataset = Datasets(client_api=self._client_api).get(dataset_id=self._dataset_id)
        return self._dataset

    def _require_dataset_id(self) -> str:
        if self._dataset_id is None:
            raise exceptions.BadRequest(message="dataset: use dataset.items for this operation")
        return self._dataset_id

    def _entity(self, _json: dict) -> Item:
        return self.items_entity.from_json(
            _json=_json, client_api=self._client_api, dataset=self._dataset, project=self.project
        )

    def _get_json(self, item_id: str) -> dict:
        return self._client_api.json("GET", f"/items/{item_id}")

    def _build_entities_from_response(self, response_items: list) -> list[Item]:
        """Entities for a page of item JSONs (PagedEntities contract)."""
        return [self._entity(j) for j in response_items]

    def _list(self, filters: Any) -> dict:
        """POST a prepared DQL body to ``/datasets/{id}/query``; returns the paging envelope."""
        body = filters.prepare() if callable(getattr(filters, "prepare", None)) else dict(filters)
        return (
            self._client_api.json(
                "POST",
                f"/datasets/{self._require_dataset_id()}/query",
                json=body,
                headers={"user_query": "false"},
            )
            or {}
        )

    # ------------------------------------------------------------------ read
    def list(
        self, filters: Any = None, page_offset: int | None = None, page_size: int | None = None
    ) -> PagedEntities:
        """First page of items matching ``filters`` (visible files by default).

        ``filters`` may be a ``Filters`` (resource items or annotations) or a DQL dict.
        Iterating the result walks every page (keyset paging on ``id`` when possible).
        """
        query = RawQuery.of(filters, resource="items")
        resource = enum_value(getattr(query, "resource", "items"))
        if resource not in ("items", "annotations"):
            raise exceptions.BadRequest(
                message=f"filters: resource must be items or annotations, got {resource!r}"
            )
        repository: Any = self
        if resource == "annotations":
            from .annotations import Annotations

            repository = Annotations(
                client_api=self._client_api, dataset=self._dataset, dataset_id=self._dataset_id
            )
        self._require_dataset_id()
        paged = PagedEntities(
            client_api=self._client_api,
            page_offset=page_offset or 0,
            page_size=page_size or getattr(query, "page_size", None),
            filters=query,
            items_repository=repository,
        )
        paged.get_page()
        return paged

    def get_all_items(self, filters: Any = None) -> list[Item]:
        """Every item matching ``filters`` as a list."""
        return list(self.list(filters=filters).all())

    def get(
        self,
        filepath: str | None = None,
        item_id: str | None = None,
        fetch: bool | None = None,
        is_dir: bool = False,
    ) -> Item:
        """Get an item by id (``GET /items/{id}``) or by exact remote path in the dataset.

        Raises:
            NotFound: no item (or more than one) has that path.
            BadRequest: neither ``filepath`` nor ``item_id`` given.
        """
        if fetch is False:
            return self.items_entity.from_json(
                {"id": item_id, "filename": filepath},
                self._client_api,
                dataset=self._dataset,
                is_fetched=False,
            )
        if item_id is not None:
            item = self._entity(self._get_json(item_id))
            if filepath is not None and item.filename != filepath:
                logger.warning(
                    "items.get: filepath %r differs from item.filename %r", filepath, item.filename
                )
            return item
        if filepath is None:
            raise exceptions.BadRequest(message="filepath or item_id: one is required")
        path = filepath if filepath.startswith("/") else "/" + filepath
        query = RawQuery.items(
            {"filename": path}, {"type": "dir" if is_dir else "file"}, defaults=False
        )
        found = self._list(PagedEntities(self._client_api, 0, 2, query, self).build_request())
        matches = found.get("items") or []
        if len(matches) != 1:
            what = "Item not found" if not matches else "More than one item found; get it by id"
            raise exceptions.NotFound(message=f"{what}. filepath: {path!r}")
        return self._entity(matches[0])

    def _is_dir(self, path: str) -> bool:
        try:
            self.get(filepath=path, is_dir=True)
        except exceptions.NotFound:
            return False
        return True

    def _folder_query(self, folder_path: str, filters: Any = None) -> RawQuery:
        """Query for items under ``folder_path`` (recursively), on top of ``filters``."""
        folder = folder_path if folder_path.startswith("/") else "/" + folder_path
        either = [{"dir": folder}]
        if not folder.endswith("*"):
            either.append({"dir": folder.rstrip("/") + "/*"})
        body = prepare_query(RawQuery.of(filters, resource="items"))
        flt = body.setdefault("filter", {})
        if "$or" in flt:
            add_and_clause(body, {"$or": either})
        else:
            flt["$or"] = either
        return RawQuery(body, resource="items")

    # --------------------------------------------------------------- changes
    def update(
        self,
        item: Item | None = None,
        filters: Any = None,
        update_values: dict | None = None,
        system_update_values: dict | None = None,
        system_metadata: bool = False,
    ) -> Any:
        """Save one item's changes, or bulk-update the items matching ``filters``.

        For ``item``: ``PATCH /items/{id}[?system=true]`` with a JSON merge patch of what
        changed since it was received; returns the updated Item (the same item if
        nothing changed). For ``filters``: ``POST /datasets/{id}/query`` with
        ``update: {metadata: {user: update_values[, system: ...]}}``; returns the raw answer.

        Raises:
            BadRequest: neither or both modes requested.
        """
        from ..entities.base import json_diff

        if item is None and filters is None:
            raise exceptions.BadRequest(message="item or filters: one is required")
        if item is not None:
            if update_values or system_update_values:
                raise exceptions.BadRequest(
                    message="update_values: only for bulk updates with filters"
                )
            patch = json_diff(item._json, item.to_json())
            if not patch:
                return item
            path = f"/items/{item.id}" + ("?system=true" if system_metadata else "")
            return self._entity(self._client_api.json("PATCH", path, json=patch))
        if not update_values and not system_update_values:
            raise exceptions.BadRequest(
                message="update_values or system_update_values: required with filters"
            )
        body = prepare_query(RawQuery.of(filters, resource="items"))
        body["update"] = {"metadata": {"user": update_values}} if update_values else {}
        if system_metadata and system_update_values:
            body["systemSpace"] = True
            body["update"].setdefault("metadata", {})["system"] = system_update_values
        return self._client_api.json(
            "POST", f"/datasets/{self._require_dataset_id()}/query", json=body
        )

    def delete(
        self, filename: str | None = None, item_id: str | None = None, filters: Any = None
    ) -> bool:
        """Delete one item (by id or remote path) or every item matching ``filters``; True."""
        if item_id is None and filename is not None:
            item_id = self.get(filepath=filename).id
        if item_id is not None:
            self._client_api.request("DELETE", f"/items/{item_id}")
            return True
        if filters is None:
            raise exceptions.BadRequest(message="item_id, filename or filters: one is required")
        body = prepare_query(RawQuery.of(filters, resource="items"))
        body["delete"] = True
        for key in ("sort", "page", "pageSize"):
            body.pop(key, None)
        self._client_api.request("POST", f"/datasets/{self._require_dataset_id()}/query", json=body)
        return True

    def clone(
        self,
        item_id: str,
        dst_dataset_id: str,
        remote_filepath: str | None = None,
        metadata: dict | None = None,
        with_annotations: bool = True,
        with_metadata: bool = True,
        with_task_annotations_status: bool = False,
        allow_many: bool = False,
        wait: bool = True,
    ):
        """Clone an item (``POST /items/{id}/clone``).

        Returns:
            The new Item (after waiting for the command), or the Command if ``wait`` is False.

        Raises:
            FailedDependency: the clone command failed.
        """
        payload = {
            "targetDatasetId": dst_dataset_id,
            "remoteFileName": remote_filepath,
            "metadata": metadata or {},
            "cloneDatasetParams": {
                "withItemsAnnotations": with_annotations,
                "withMetadata": with_metadata,
                "withTaskAnnotationsStatus": with_task_annotations_status,
            },
            "allowMany": allow_many,
        }
        command = Command.from_json(
            self._client_api.json("POST", f"/items/{item_id}/clone", json=payload), self._client_api
        )
        if not wait:
            return command
        command = command.wait()
        new_ids = (command.spec or {}).get("returnedModelId") or []
        if not new_ids:
            raise exceptions.BadRequest(
                message=f"clone command {command.id}: spec.returnedModelId missing"
            )
        return Items(self._client_api, dataset_id=dst_dataset_id).get(item_id=new_ids[0])

    def make_dir(self, directory: str, dataset: Any = None) -> Item:
        """Create folder ``directory`` (``POST /datasets/{id}/items``, form ``type=dir``)."""
        dataset_id = dataset.id if dataset is not None else self._require_dataset_id()
        answer = self._client_api.json(
            "POST", f"/datasets/{dataset_id}/items", data={"type": "dir", "path": directory}
        )
        return self._entity(answer)

    # ------------------------------------------------------------- transfers
    def upload(
        self,
        local_path: Any,
        local_annotations_path: Any = None,
        remote_path: str = "/",
        remote_name: Any = None,
        file_types: list | None = None,
        overwrite: bool = False,
        item_metadata: Any = None,
        output_entity: type = Item,
        no_output: bool = False,
        export_version: str = "V1",
        item_description: str | None = None,
        raise_on_error: bool = False,
        return_as_list: bool = False,
    ) -> Any:
        """Upload files, folders, buffers or arrays into the dataset (see ``upload_sources``).

        Every created item is verified against the declared size. Failures are logged
        (or raised with ``raise_on_error``).

        Returns:
            One Item (or None if it failed) for a single file; a list with
            ``return_as_list``; otherwise an iterator over the uploaded Items.
        """
        if (
            item_metadata is not None
            and not isinstance(item_metadata, dict)
            and enum_value(item_metadata) != "from_json"
        ):
            raise exceptions.BadRequest(
                message="item_metadata: expected a dict or dl.ExportMetadata.FROM_JSON"
            )
        if item_description is not None and not isinstance(item_description, str):
            raise exceptions.BadRequest(message="item_description: expected a string")
        self._require_dataset_id()
        jobs, single = build_jobs(
            local_path, local_annotations_path, remote_path, remote_name, file_types, export_version
        )
        repo = (
            self
            if output_entity is self.items_entity
            else Items(
                self._client_api,
                dataset=self._dataset,
                dataset_id=self._dataset_id,
                items_entity=output_entity,
            )
        )
        results = Uploader(repo).run(jobs, overwrite, item_metadata, item_description)
        summarise(results, raise_on_error, self._client_api.verbose.print_error_logs)
        items = [r.item for r in results if r.item is not None]
        if no_output:
            return None
        if return_as_list:
            return items
        if len(results) == 1:
            return items[0] if items else None
        return iter(items)

    def download(
        self,
        filters: Any = None,
        items: Any = None,
        local_path: str | None = None,
        file_types: list | None = None,
        save_locally: bool = True,
        to_array: bool = False,
        annotation_options: Any = None,
        annotation_filters: Any = None,
        overwrite: bool = False,
        to_items_folder: bool = True,
        thickness: int = 1,
        with_text: bool = False,
        without_relative_path: Any = None,
        avoid_unnecessary_annotation_download: bool = False,
        include_annotations_in_output: bool = True,
        export_png_files: bool = False,
        filter_output_annotations: bool = False,
        alpha: float = 1,
        export_version: str = "V1",
        dataset_lock: bool = False,
        lock_timeout_sec: int | None = None,
        export_summary: bool = False,
        raise_on_error: bool = False,
    ) -> Any:
        """Download items (``items`` entities/ids, else those matching ``filters``).

        Each binary is streamed from ``/items/{id}/stream``, resumed with ``Range`` when
        cut short and accepted only at ``metadata.system.size`` bytes.

        Returns:
            For one item: its local path, or a ``BytesIO`` (``save_locally=False``), or an
            RGB(A) array (``to_array=True``); otherwise a list of those. A failure of a
            single-item download is raised.
        """
        options = {
            "annotation_options": normalise_annotation_options(annotation_options),
            "annotation_filters": annotation_filters,
            "overwrite": overwrite,
            "to_items_folder": to_items_folder,
            "thickness": thickness,
            "with_text": with_text,
            "without_relative_path": without_relative_path,
            "alpha": alpha,
            "export_version": export_version,
            "raise_on_error": raise_on_error,
        }
        if items is not None and not isinstance(items, list):
            items = [items]
        if items:
            entities = [self.get(item_id=i) if isinstance(i, str) else i for i in items]
            return Downloader(self).download(
                entities, len(entities), local_path, save_locally, to_array, options
            )
        pages = self.list(filters=self._with_file_types(filters, file_types))
        return Downloader(self).download(
            pages, pages.items_count, local_path, save_locally, to_array, options
        )

    @staticmethod
    def _with_file_types(filters: Any, file_types: list | None) -> Any:
        if not file_types:
            return filters
        body = prepare_query(RawQuery.of(filters, resource="items"))
        add_and_clause(body, {"metadata.system.mimetype": {"$in": list(file_types)}})
        return RawQuery(body, resource="items")

    def open_in_web(self, *args: Any, **kwargs: Any) -> None:
        """Not available: Conveyor has no web console."""
        raise NotImplementedError("Conveyor has no web console; use the SDK or the REST API.")
