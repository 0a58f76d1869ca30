"""Datasets repository: create, get, list, update, delete, clone datasets; directory tree."""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .. import exceptions
from ..entities.command import Command
from ..entities.dataset import Dataset, ExpirationOptions
from ..entities.directory_tree import DirectoryTree
from ..entities.project import Project
from ..entities.query import RawQuery, add_and_clause, drop_clauses, enum_value, prepare_query

logger = logging.getLogger("conveyor")


class Datasets:
    """All I/O for datasets, scoped to ``project`` (else the checked-out project, if any).

    Args:
        client_api: the ``ApiClient``.
        project: the Project whose datasets are listed and created.
    """

    def __init__(self, client_api: Any, project: Project | None = None):
        self._client_api = client_api
        self._project = project

    @property
    def project(self) -> Project | None:
        """The scoping project: the one given, else the currently checked-out one, else None."""
        if self._project is not None:
            return self._project
        state = self._client_api.state.get("project")  # re-read: checkouts may change
        return Project.from_json(state, self._client_api) if state is not None else None

    def _require_project(self, what: str) -> Project:
        project = self.project
        if project is None:
            raise exceptions.BadRequest(
                message=(f"{what}: no project; use project.datasets or check out a project first")
            )
        return project

    def _entity(self, _json: dict) -> Dataset:
        project = self._project
        if project is not None and project.id not in (_json.get("projects") or [project.id]):
            project = None
        return Dataset.from_json(
            project=project, _json=_json, client_api=self._client_api, datasets=self
        )

    def _get_json(self, dataset_id: str) -> dict:
        return self._client_api.json("GET", f"/datasets/{dataset_id}")

    # ------------------------------------------------------------------ read
    def get(
        self,
        dataset_name: str | None = None,
        dataset_id: str | None = None,
        checkout: bool = False,
        fetch: bool | None = None,
    ) -> Dataset:
        """Get a dataset by id, by name (within the project), or the checked-out one.

        Raises:
            NotFound: no such dataset.
            BadRequest: several datasets have that name, or nothing identifies one.
        """
        if fetch is False and dataset_id is not None:
            dataset = Dataset.from_json(
                project=self._project,
                _json={"id": dataset_id},
                client_api=self._client_api,
                datasets=self,
                is_fetched=False,
            )
        elif dataset_id:
            dataset = self._entity(self._get_json(dataset_id))
        elif dataset_name is not None:
            found = self.list(name=dataset_name)
            if not found:
                raise exceptions.NotFound(message=f"Dataset not found. Name: {dataset_name!r}")
            if len(found) > 1:
                raise exceptions.BadRequest(message=f"More than one dataset named {dataset_name!r}")
            dataset = found[0]
        else:
            state = self._client_api.state.get("dataset")
            if state is None:
                raise exceptions.BadRequest(
                    message=(
                        "No checked-out dataset: pass dataset_id or dataset_name, "
                        "or call dataset.checkout()"
                    )
                )
            dataset = self._entity(state)
        if checkout:
            self.checkout(dataset=dataset)
        return dataset

    def list(
        self, name: str | None = None, creator: str | None = None, filters: Any = None
    ) -> list[Dataset]:
        """Datasets of the project (all visible ones without a project), every page.

        Args:
            name: only datasets with exactly this name.
            creator: only datasets created by this e-mail.
            filters: a ``Filters`` with resource ``datasets`` or a DQL dict.
        """
        body = self._query_body(filters)
        if name is not None:
            add_and_clause(body, {"name": name})
        if creator is not None:
            add_and_clause(body, {"creator": creator})
        return [self._entity(j) for j in self._query_all(body)]

    def _query_body(self, filters: Any) -> dict:
        query = RawQuery.of(filters, resource="datasets")
        if enum_value(getattr(query, "resource", "datasets")) != "datasets":
            raise exceptions.BadRequest(message="filters: resource must be 'datasets'")
        body = prepare_query(query)
        body["resource"] = "datasets"
        project = self.project
        if project is not None:
            body["context"] = {"projects": [project.id]}
        return body

    def _query_all(self, body: dict) -> list[dict]:
        body["page"], body["pageSize"] = 0, 1000
        results: list[dict] = []
        while True:
            page = (
                self._client_api.json(
                    "POST", "/datasets/query", json=body, headers={"user_query": "true"}
                )
                or {}
            )
            results.extend(page.get("items") or [])
            if not page.get("hasNextPage") or not page.get("items"):
                return results
            body["page"] += 1

    def _get_binaries_dataset(self) -> Dataset:
        """The project's hidden ``Binaries`` dataset (codebases, artifacts).

        Raises:
            NotFound / BadRequest: none or several found.
        """
        body = self._query_body(None)
        add_and_clause(body, {"name": "Binaries"})
        body["systemSpace"] = True
        found = self._query_all(body)
        if not found:
            raise exceptions.NotFound(message='Dataset not found. Name: "Binaries"')
        if len(found) > 1:
            raise exceptions.BadRequest(message='More than one dataset named "Binaries"')
        return self._entity(found[0])

    def directory_tree(
        self,
        dataset: Dataset | None = None,
        dataset_name: str | None = None,
        dataset_id: str | None = None,
    ) -> DirectoryTree:
        """The dataset's folder tree (``GET /datasets/{id}/directoryTree``)."""
        dataset_id = self._resolve_id(dataset, dataset_name, dataset_id)
        return DirectoryTree(
            _json=self._client_api.json("GET", f"/datasets/{dataset_id}/directoryTree")
        )

    def _resolve_id(self, dataset: Any, dataset_name: Any, dataset_id: Any) -> str:
        if dataset_id:
            return dataset_id
        if dataset is not None:
            return dataset.id
        if dataset_name is not None:
            return self.get(dataset_name=dataset_name).id
        raise ValueError("dataset, dataset_name or dataset_id: one is required")

    # --------------------------------------------------------------- changes
    def create(
        self,
        dataset_name: str,
        labels: Any = None,
        attributes: Any = None,
        ontology_ids: Any = None,
        driver: Any = None,
        driver_id: str | None = None,
        checkout: bool = False,
        expiration_options: ExpirationOptions | None = None,
        index_driver: Any = None,
        recipe_id: str | None = None,
    ) -> Dataset:
        """Create a dataset in the project (``POST /datasets``); returns it.

        Recipes and ontologies are outside Conveyor: ``labels``, ``attributes``,
        ``ontology_ids`` and ``recipe_id`` are ignored with a warning.

        Raises:
            ValueError: ``dataset_name`` is empty.
            BadRequest: no project (use ``project.datasets.create``).
            Conflict: the project already has a dataset with that name.
        """
        if not isinstance(dataset_name, str) or not dataset_name.strip():
            raise ValueError("dataset_name: expected a non-empty string")
        if any(x is not None for x in (labels, attributes, ontology_ids, recipe_id)):
            logger.warning("labels/attributes/ontology_ids/recipe_id are not supported; ignored")
        payload: dict = {
            "name": dataset_name,
            "projects": [self._require_project("create").id],
            "createDefaultRecipe": True,
        }
        if driver_id is None and driver is not None:
            driver_id = getattr(driver, "id", driver)
        if driver_id is not None:
            payload["driver"] = driver_id
        if expiration_options is not None and expiration_options.to_json():
            payload["expirationOptions"] = expiration_options.to_json()
        if index_driver is not None:
            payload["indexDriver"] = enum_value(index_driver)
        dataset = self._entity(self._client_api.json("POST", "/datasets", json=payload))
        if checkout:
            self.checkout(dataset=dataset)
        return dataset

    def update(
        self, dataset: Dataset, system_metadata: bool = False, patch: dict | None = None
    ) -> Dataset:
        """``PATCH /datasets/{id}`` with ``patch`` or the full JSON; returns the saved dataset."""
        path = f"/datasets/{dataset.id}" + ("?system=true" if system_metadata else "")
        answer = self._client_api.json(
            "PATCH", path, json=patch if patch is not None else dataset.to_json()
        )
        if isinstance(answer, dict) and answer.get("id"):
            dataset._load_json(answer)
        return dataset

    def delete(
        self,
        dataset_name: str | None = None,
        dataset_id: str | None = None,
        sure: bool = False,
        really: bool = False,
    ) -> bool:
        """Delete a dataset and its items forever; returns True.

        Raises:
            Forbidden: ``sure`` and ``really`` were not both True (nothing sent).
        """
        if not (sure and really):
            raise exceptions.Forbidden(
                message="Deleting a dataset requires sure=True and really=True"
            )
        dataset_id = self._resolve_id(None, dataset_name, dataset_id)
        self._client_api.request("DELETE", f"/datasets/{dataset_id}")
        state = self._client_api.state.get("dataset")
        if state is not None and state.get("id") == dataset_id:
            self._client_api.state.put("dataset", None)
        return True

    def clone(
        self,
        dataset_id: str,
        clone_name: str | None = None,
        filters: Any = None,
        with_items_annotations: bool = True,
        with_metadata: bool = True,
        with_task_annotations_status: bool = True,
        dst_dataset_id: str | None = None,
        target_directory: str | None = None,
    ) -> Dataset:
        """Clone a dataset (``POST /datasets/{id}/clone``), wait for the command, return the clone.

        Raises:
            BadRequest: neither ``clone_name`` nor ``dst_dataset_id`` given.
            FailedDependency: the clone command failed.
        """
        if clone_name is None and dst_dataset_id is None:
            raise exceptions.BadRequest(message="clone_name or dst_dataset_id: one is required")
        query = drop_clauses(prepare_query(RawQuery.of(filters, resource="items")), "hidden")
        if target_directory is not None and not target_directory.startswith("/"):
            target_directory = "/" + target_directory
        params = {
            "withItemsAnnotations": with_items_annotations,
            "withMetadata": with_metadata,
            "withTaskAnnotationsStatus": with_task_annotations_status,
            "targetDirectory": target_directory,
        }
        if dst_dataset_id is not None:
            params["targetDatasetId"] = dst_dataset_id
        payload = {"name": clone_name, "filter": query, "cloneDatasetParams": params}
        answer = self._client_api.json(
            "POST", f"/datasets/{dataset_id}/clone", json=payload, headers={"user_query": "false"}
        )
        command = Command.from_json(answer, self._client_api).wait()
        new_id = (command.spec or {}).get("returnedModelId")
        if not new_id:
            raise exceptions.BadRequest(
                message=f"clone command {command.id}: spec.returnedModelId missing"
            )
        return self.get(dataset_id=new_id[0] if isinstance(new_id, list) else new_id)

    def checkout(
        self,
        identifier: str | None = None,
        dataset_name: str | None = None,
        dataset_id: str | None = None,
        dataset: Dataset | None = None,
    ) -> None:
        """Remember a dataset as the default (``.conveyor/state.json``)."""
        if dataset is None:
            if identifier is not None:
                dataset_name = identifier
            dataset = self.get(dataset_name=dataset_name, dataset_id=dataset_id)
        self._client_api.state.put("dataset", dataset.to_json())

    def upload_annotations(
        self,
        dataset: Dataset,
        local_path: str,
        filters: Any = None,
        clean: bool = False,
        remote_root_path: str = "/",
        export_version: str = "V1",
    ) -> int:
        """Upload ``<local_path>/<item path>.json`` annotation files onto matching items.

        V1 files replace the item's extension with ``.json``; V2 append ``.json``. Paths
        are taken relative to ``remote_root_path``. With ``clean`` existing annotations
        of matched items are deleted first.

        Returns:
            Number of items whose annotation file was found and uploaded.
        """
        jobs = []
        with ThreadPoolExecutor(max_workers=5) as pool:
            for item in dataset.items.list(filters=filters).all():
                json_file = _annotation_file(
                    local_path, item.filename, remote_root_path, export_version
                )
                if os.path.isfile(json_file):
                    jobs.append(pool.submit(_upload_item_annotations, item, json_file, clean))
        for job in jobs:
            job.result()
        if not jobs:
            logger.warning("no annotation files matched items under %s", local_path)
        return len(jobs)

    def open_in_web(self, *args: Any, **kwargs: Any) -> None:
        """Not available: Conveyor has no web console."""
        raise NotImplementedError("Conveyor has no web console; use the SDK or the REST API.")


def _annotation_file(local_path: str, filename: str, remote_root: str, export_version: Any) -> str:
    if enum_value(export_version) == "V2":
        rel = filename + ".json"
    else:
        rel = os.path.splitext(filename)[0] + ".json"
    return os.path.join(local_path, os.path.relpath(rel, remote_root or "/"))


def _upload_item_annotations(item: Any, json_file: str, clean: bool) -> None:
    with open(json_file, encoding="utf-8") as handle:
        data = json.load(handle)
    annotations = data.get("annotations", []) if isinstance(data, dict) else data
    if clean:
        for annotation in list(item.annotations.list()):
            annotation.delete()
    if annotations:
        item.annotations.upload(annotations=annotations)
