"""Annotations repository: list, get, upload, update, delete the annotations of an item/dataset."""

from __future__ import annotations

import copy
import json
import logging
import os
from typing import Any

from .. import exceptions
from ..annotations.annotation import Annotation
from ..annotations.annotation_collection import AnnotationCollection
from ..annotations.enums import AnnotationStatus, ViewAnnotationOptions
from ..annotations.json_diff import json_diff
from ..entities.filters import Filters, FiltersMethod, FiltersOperations, FiltersResource
from ..entities.paged_entities import PagedEntities

logger = logging.getLogger("conveyor")

#: Annotations per ``POST /items/{id}/annotations`` request.
UPLOAD_BATCH_SIZE = 100


class Annotations:
    """All annotation I/O, bound to an item (``item.annotations``) or a dataset.

    Args:
        client_api: The ApiClient.
        item: The item whose annotations are handled (needed to upload).
        dataset: The dataset queried (defaults to the item's dataset id).
        dataset_id: The dataset id, when neither entity is at hand.
    """

    def __init__(self, client_api: Any, item=None, dataset=None, dataset_id=None) -> None:
        self._client_api = client_api
        self._item = item
        self._dataset = dataset
        if dataset_id is None:
            dataset_id = getattr(dataset, "id", None) or getattr(item, "dataset_id", None)
        self._dataset_id = dataset_id
        self._upload_batch_size = UPLOAD_BATCH_SIZE

    @property
    def item(self):
        """The bound item.

        Raises:
            BadRequest: the repository is not bound to an item.
        """
        if self._item is None:
            raise exceptions.BadRequest(
                message="item: use item.annotations for this action (no item is bound)")
        return self._item

    def _require_dataset_id(self) -> str:
        if self._dataset_id is None:
            raise exceptions.BadRequest(
                message="dataset: use item.annotations or dataset.annotations for this action")
        return self._dataset_id

    def _entity(self, _json: dict) -> Annotation:
        return Annotation.from_json(_json=_json, item=self._item, client_api=self._client_api,
                                    annotations=self, dataset=self._dataset)

    # -- read ----------------------------------------------------------------------------

    def get(self, annotation_id: str) -> Annotation:
        """Return the annotation ``annotation_id`` (``GET /annotations/{id}``).

        Raises:
            NotFound: no such annotation (or not visible to the caller).
        """
        return self._entity(self._client_api.json("GET", f"/annotations/{annotation_id}"))

    def _list(self, filters) -> dict:
        """Send one DQL page (``POST /datasets/{id}/query``); return the paging envelope."""
        headers = {"user_query": getattr(filters, "_user_query", "true")}
        return self._client_api.json("POST", f"/datasets/{self._require_dataset_id()}/query",
                                     json=filters.prepare(), headers=headers)

    def _build_entities_from_response(self, response_items: list) -> list:
        """Annotations of a page; entries that cannot be read are skipped with a warning."""
        out = []
        for _json in response_items:
            try:
                out.append(self._entity(_json))
            except (KeyError, TypeError, ValueError) as exc:
                logger.warning("Skipping annotation %s: %r", _json.get("id"), exc)
        return out

    def list(self, filters: Filters | None = None, page_offset: int | None = None,
             page_size: int | None = None):
        """List annotations.

        Bound to an item: every annotation of the item (all pages) as an
        ``AnnotationCollection``. Bound to a dataset: a ``PagedEntities`` of Annotations.

        Raises:
            BadRequest: ``filters`` is not an annotation filter, or no dataset is known.
        """
        self._require_dataset_id()
        if filters is None:
            filters = Filters(resource=FiltersResource.ANNOTATION)
            filters._user_query = "false"
        if filters.resource != FiltersResource.ANNOTATION:
            raise exceptions.BadRequest(message="filters: resource must be annotations")
        if self._item is not None and not filters.has_field("itemId"):
            filters = copy.deepcopy(filters)
            filters.add(field="itemId", values=self._item.id, method=FiltersMethod.AND)
        if page_size is not None:
            filters.page_size = page_size
        if page_offset is not None:
            filters.page = page_offset
        paged = PagedEntities(client_api=self._client_api, page_offset=filters.page,
                              page_size=filters.page_size, filters=filters,
                              items_repository=self)
        if self._item is None:
            paged.get_page()
            return paged
        return AnnotationCollection(item=self._item, dataset=self._dataset,
                                    annotations=list(paged.all()))

    # -- write ---------------------------------------------------------------------------

    def upload(self, annotations, merge=False) -> AnnotationCollection:
        """Create annotations on the bound item (``POST /items/{id}/annotations``).

        Args:
            annotations: An Annotation, an AnnotationCollection, a dict, a list of any of
                these, or the path of a JSON file (``{"annotations": [...]}`` or a list).
            merge: Merging masks into existing ones is not supported yet; must be False.

        Returns:
            The created annotations as the server returned them, in batches of 100.

        Raises:
            BadRequest: an entry of unknown type, or no item bound.
        """
        if merge:
            raise NotImplementedError("merge: merging binary annotations is not supported by "
                                      "Conveyor yet")
        item = self.item
        batch: list[dict] = []
        created: list[dict] = []
        for entry in _as_list(annotations):
            batch.append(self._upload_json(entry))
            if len(batch) == self._upload_batch_size:
                created += self._post_batch(item.id, batch)
                batch = []
        if batch:
            created += self._post_batch(item.id, batch)
        return AnnotationCollection.from_json(created, item=item, client_api=self._client_api)

    def _upload_json(self, entry) -> dict:
        if isinstance(entry, Annotation):
            if entry._item is None:
                entry._item = self._item  # the item's id/dataset fill the JSON
            return entry.to_json()
        if isinstance(entry, str):
            return json.loads(entry)
        if isinstance(entry, dict):
            return entry
        raise exceptions.BadRequest(
            message=f"annotations: cannot upload an entry of type {type(entry).__name__}")

    def _post_batch(self, item_id: str, batch: list[dict]) -> list[dict]:
        created = self._client_api.json("POST", f"/items/{item_id}/annotations", json=batch)
        return created if isinstance(created, list) else [created]

    def update(self, annotations, system_metadata=False) -> list:
        """Send each annotation's changes since it was received (``PUT /annotations/{id}``).

        Only the diff between the received JSON and ``to_json()`` is sent; an annotation
        without changes is returned as is, without a request.

        Args:
            annotations: An Annotation or a list of them (fetched from the server).
            system_metadata: Allow ``metadata.system`` changes (``?system=true``).

        Returns:
            The updated Annotations, in input order.

        Raises:
            BadRequest: an annotation without id, or not an Annotation.
        """
        annotations = annotations if isinstance(annotations, list) else [annotations]
        return [self._update_one(a, system_metadata) for a in annotations]

    def _update_one(self, annotation, system_metadata: bool) -> Annotation:
        if not isinstance(annotation, Annotation) or annotation.id is None:
            raise exceptions.BadRequest(
                message="annotations: only annotations fetched from the server can be updated")
        diff = json_diff(annotation._platform_dict, annotation.to_json())
        if not diff:
            return annotation
        path = f"/annotations/{annotation.id}" + ("?system=true" if system_metadata else "")
        result = self._entity(self._client_api.json("PUT", path, json=diff))
        annotation._platform_dict = copy.deepcopy(result._platform_dict)
        return result

    def update_status(self, annotation: Annotation | None = None, annotation_id: str | None = None,
                      status: AnnotationStatus = AnnotationStatus.ISSUE) -> Annotation:
        """Set the review status of an annotation and update it with system metadata.

        Raises:
            ValueError: neither annotation nor id given, or an unknown status.
        """
        if annotation is None:
            if annotation_id is None:
                raise ValueError("annotation: give an annotation or an annotation_id")
            annotation = self.get(annotation_id=annotation_id)
        if status not in [s.value for s in AnnotationStatus]:
            raise ValueError(f"status: must be one of {[s.value for s in AnnotationStatus]}")
        annotation.status = AnnotationStatus(status).value
        return self.update(annotations=annotation, system_metadata=True)[0]

    def delete(self, annotation: Annotation | None = None, annotation_id: str | None = None,
               filters: Filters | None = None) -> bool:
        """Delete one annotation, a list of ids, every annotation of the item, or a query.

        Args:
            annotation: An Annotation, or ``"all"`` for every annotation of the bound item.
            annotation_id: An id (``DELETE /annotations/{id}``) or a list of ids.
            filters: An annotation filter; matching annotations are deleted in one query.

        Raises:
            BadRequest: nothing to delete given, ``"all"`` without an item, or a filter of
                another resource.
        """
        if isinstance(annotation, Annotation):
            annotation_id = annotation.id
        elif isinstance(annotation, str) and annotation.lower() == "all":
            filters = Filters(resource=FiltersResource.ANNOTATION, field="itemId",
                              values=self.item.id)
        elif annotation is not None:
            raise exceptions.BadRequest(message="annotation: expected an Annotation or 'all'")
        if annotation_id is not None and not isinstance(annotation_id, list):
            payload = {"username": self._client_api.email}
            self._client_api.request("DELETE", f"/annotations/{annotation_id}", json=payload)
            return True
        if annotation_id is not None:
            filters = Filters(resource=FiltersResource.ANNOTATION, field="annotationId",
                              values=annotation_id, operator=FiltersOperations.IN)
            filters.pop(field="type")
        return self._delete_by_query(filters)

    def _delete_by_query(self, filters: Filters | None) -> bool:
        if filters is None:
            raise exceptions.BadRequest(
                message="annotation: give an annotation, an annotation_id or filters")
        if filters.resource != FiltersResource.ANNOTATION:
            raise exceptions.BadRequest(message="filters: resource must be annotations")
        if self._item is not None and not filters.has_field("itemId"):
            filters = copy.deepcopy(filters)
            filters.add(field="itemId", values=self._item.id, method=FiltersMethod.AND)
        self._client_api.json("POST", f"/datasets/{self._require_dataset_id()}/query",
                              json=filters.prepare(operation="delete"))
        return True

    # -- views ---------------------------------------------------------------------------

    def builder(self) -> AnnotationCollection:
        """Return an empty AnnotationCollection bound to the item (to ``add`` and ``upload``)."""
        return AnnotationCollection(item=self.item, dataset=self._dataset)

    def show(self, image=None, thickness: int = 1, with_text: bool = False,
             height: float | None = None, width: float | None = None,
             annotation_format: ViewAnnotationOptions = ViewAnnotationOptions.MASK,
             alpha: float = 1):
        """Fetch the item's annotations and draw them on one canvas (see collection ``show``)."""
        return self.list().show(image=image, width=width, height=height, thickness=thickness,
                                alpha=alpha, with_text=with_text,
                                annotation_format=annotation_format)

    def download(self, filepath: str,
                 annotation_format: ViewAnnotationOptions = ViewAnnotationOptions.JSON,
                 img_filepath: str | None = None, height: float | None = None,
                 width: float | None = None, thickness: int = 1, with_text: bool = False,
                 alpha: float = 1) -> str:
        """Fetch the item's annotations and write them to ``filepath``; return the path.

        Text and JSON items always download as JSON; image formats take the item's size
        unless ``height``/``width`` are given.
        """
        mimetype = getattr(self.item, "mimetype", None) or ""
        if "text" in mimetype or "json" in mimetype:
            annotation_format = ViewAnnotationOptions.JSON
        return self.list().download(filepath=filepath, img_filepath=img_filepath, width=width,
                                    height=height, thickness=thickness, with_text=with_text,
                                    annotation_format=annotation_format, alpha=alpha)


def _as_list(annotations) -> list:
    """Normalise the accepted ``upload`` inputs into a flat list of entries."""
    if isinstance(annotations, AnnotationCollection):
        return list(annotations.annotations)
    if isinstance(annotations, str) and os.path.isfile(annotations):
        with open(annotations, encoding="utf-8") as f:
            loaded = json.load(f)
        return loaded.get("annotations", []) if isinstance(loaded, dict) else list(loaded)
    if isinstance(annotations, (Annotation, dict)):
        return [annotations]
    if isinstance(annotations, list):
        flat: list = []
        for entry in annotations:
            flat += list(entry.annotations) if isinstance(entry, AnnotationCollection) else [entry]
        return flat
    raise exceptions.BadRequest(
        message=f"annotations: cannot upload {type(annotations).__name__}; give Annotation(s), "
                "an AnnotationCollection, dicts or a JSON file path")
