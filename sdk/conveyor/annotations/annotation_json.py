"""Wire JSON of one annotation: reading the server's JSON and writing the upload/update JSON.

Kept apart from the entity so that the mapping (dtlpy-contract §3.4) reads in one place.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from conveyor.annotations.definitions import Description, definition_from_json
from conveyor.annotations.enums import AnnotationStatus
from conveyor.annotations.frames import FrameAnnotation

logger = logging.getLogger("conveyor")

#: ``metadata.system`` keys that carry the video range of an annotation.
VIDEO_KEYS = ("frame", "startTime", "endTime", "endFrame")


def _item_value(item: Any, attribute: str) -> Any:
    return getattr(item, attribute, None) if item is not None else None


def _is_video(_json: dict, item: Any) -> bool:
    mimetype = _item_value(item, "mimetype")
    if mimetype:
        return "video" in mimetype
    system = (_json.get("metadata") or {}).get("system") or {}
    return bool(system.get("endFrame") or system.get("snapshots_"))


def constructor_args(_json: dict, item: Any, dataset: Any, fps: Any,
                     item_metadata: dict | None) -> dict:
    """Return the ``Annotation(...)`` keyword arguments for a server JSON.

    Missing keys read as None (the server must send ``creator``, ``createdAt``,
    ``updatedBy``, ``updatedAt``, ``type``, ``label`` and ``id``/``_id``, but a partial JSON
    still loads). An ``item``/``dataset`` that the JSON does not belong to is dropped.
    """
    item_id = _json.get("itemId", _item_value(item, "id"))
    dataset_id = _json.get("datasetId", _item_value(item, "dataset_id"))
    if item is not None and item.id != item_id:
        logger.warning("Annotation %s does not belong to item %s", _json.get("id"), item.id)
        item = None
    if dataset is not None and getattr(dataset, "id", None) != dataset_id:
        dataset = None
    metadata = copy.deepcopy(_json.get("metadata") or {})
    system = metadata.get("system") or {}
    item_metadata = item_metadata or {}
    return {
        "id": _json.get("id", _json.get("_id")), "url": _json.get("url"),
        "item_url": _json.get("item", _item_value(item, "url")), "item": item, "item_id": item_id,
        "creator": _json.get("creator"), "created_at": _json.get("createdAt"),
        "updated_by": _json.get("updatedBy"), "updated_at": _json.get("updatedAt"),
        "type": _json.get("type"), "source": _json.get("source"),
        "dataset_url": _json.get("dataset", _item_value(item, "dataset_url")),
        "platform_dict": copy.deepcopy(_json), "metadata": metadata,
        "fps": _item_value(item, "fps") or fps or item_metadata.get("fps"),
        "hash": _json.get("hash"), "dataset_id": dataset_id, "status": system.get("status"),
        "object_id": system.get("objectId"), "automated": system.get("automated"),
        "item_height": item_metadata.get("height"), "item_width": item_metadata.get("width"),
        "label_suggestions": _json.get("labelSuggestions"), "dataset": dataset,
        "start_frame": system.get("frame", 0) or 0, "start_time": system.get("startTime", 0) or 0,
        "end_frame": system.get("endFrame", 0) or 0, "end_time": system.get("endTime", 0) or 0,
        "recipe_2_attributes": _json.get("attributes"),
    }


def first_definition(_json: dict):
    """Return the definition of the annotation's first (or only) frame."""
    system = ((_json.get("metadata") or {}).get("system")) or {}
    return definition_from_json({
        "type": _json.get("type"), "label": _json.get("label"),
        "coordinates": _json.get("coordinates", []),
        "attributes": system.get("attributes"), "description": _json.get("description"),
    })


def load_frames(annotation, _json: dict, item: Any) -> None:
    """Fill ``annotation.frames`` from a video annotation's JSON (no-op for images)."""
    if not _is_video(_json, item):
        return
    annotation.frames.add(FrameAnnotation(annotation, annotation.annotation_definition,
                                          annotation.start_frame, fixed=True))
    system = _json["metadata"]["system"]
    for snapshot in system.get("snapshots_") or []:
        annotation.frames.add(FrameAnnotation.from_snapshot(annotation, snapshot))
    annotation.set_frame(annotation.start_frame)


def to_json(annotation) -> dict:
    """Return the upload/update JSON of ``annotation`` (dtlpy-contract §3.4 key set).

    The entity is not modified (its metadata is deep-copied first).
    """
    item = annotation._item
    metadata = copy.deepcopy(annotation.metadata) if annotation.metadata is not None else {}
    _json = {"id": annotation.id, "url": annotation.url, "creator": annotation.creator,
             "metadata": metadata, "hash": annotation.hash,
             "itemId": annotation.item_id if annotation.item_id is not None
             else _item_value(item, "id"),
             "item": annotation.item_url, "label": annotation.first_definition.label,
             "dataset": annotation.dataset_url, "createdAt": annotation.created_at,
             "updatedBy": annotation.updated_by, "updatedAt": annotation.updated_at,
             "source": annotation.source}
    if annotation.first_definition.description is not None:
        _json["description"] = annotation.first_definition.description
    if annotation.label_suggestions:
        _json["labelSuggestions"] = annotation.label_suggestions
    _json["datasetId"] = annotation.dataset_id if annotation.dataset_id is not None \
        else _item_value(item, "dataset_id")
    _json["type"] = annotation.type
    if annotation.type != "class":
        _json["coordinates"] = annotation.coordinates_of(annotation.first_definition)
    _write_system(annotation, metadata)
    _json["attributes"] = annotation._legacy_attributes
    _write_video(annotation, metadata["system"])
    return _json


def _write_system(annotation, metadata: dict) -> None:
    system = metadata.get("system")
    if system is None:
        system = metadata["system"] = {}
    if annotation.automated is not None:
        system["automated"] = annotation.automated
    if annotation.object_id is not None:
        system["objectId"] = annotation.object_id
    if annotation.status is not None:
        # CLEAR is sent as null so that the server removes the status
        system["status"] = None if annotation.status == AnnotationStatus.CLEAR \
            else annotation.status
    if isinstance(annotation.first_definition, Description):
        system["system"] = True
    attributes = annotation.first_definition.attributes
    system["attributes"] = attributes if attributes is not None else {}


def _write_video(annotation, system: dict) -> None:
    if not (annotation.is_video or annotation.end_time or annotation.end_frame):
        return
    system["frame"] = annotation.start_frame
    system["startTime"] = annotation.start_time
    system["endTime"] = annotation.end_time
    if annotation.end_frame is not None:
        system["endFrame"] = annotation.end_frame
    if annotation.type != "subtitle":
        system["snapshots_"] = annotation.frames.snapshots(annotation.start_frame,
                                                           annotation.end_frame)
