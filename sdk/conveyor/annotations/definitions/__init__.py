"""Annotation definitions: one class per geometry type, and dispatch from wire JSON."""

from __future__ import annotations

from conveyor.annotations.definitions.base import BaseAnnotationDefinition
from conveyor.annotations.definitions.box import Box
from conveyor.annotations.definitions.classification import Classification
from conveyor.annotations.definitions.cube import Cube
from conveyor.annotations.definitions.description import Description
from conveyor.annotations.definitions.ellipse import Ellipse
from conveyor.annotations.definitions.note import Message, Note
from conveyor.annotations.definitions.point import Point
from conveyor.annotations.definitions.polygon import Polygon
from conveyor.annotations.definitions.polyline import Polyline
from conveyor.annotations.definitions.pose import Pose
from conveyor.annotations.definitions.segmentation import Segmentation
from conveyor.annotations.definitions.subtitle import Subtitle
from conveyor.annotations.definitions.undefined import UndefinedAnnotationType

__all__ = [
    "BaseAnnotationDefinition",
    "Box",
    "Classification",
    "Cube",
    "DEFINITION_TYPES",
    "Description",
    "Ellipse",
    "Message",
    "Note",
    "Point",
    "Polygon",
    "Polyline",
    "Pose",
    "Segmentation",
    "Subtitle",
    "UndefinedAnnotationType",
    "definition_from_json",
]

#: Wire type -> definition class; any other type reads as ``UndefinedAnnotationType``.
DEFINITION_TYPES: dict[str, type[BaseAnnotationDefinition]] = {
    cls.type: cls
    for cls in (Box, Classification, Cube, Description, Ellipse, Note, Point, Polygon,
                Polyline, Pose, Segmentation, Subtitle)
}


def definition_from_json(_json: dict) -> BaseAnnotationDefinition:
    """Build the definition for ``_json`` (keys ``type``, ``label``, ``coordinates``, ...).

    ``attributes`` that are not a dict (legacy list attributes) are dropped here; the
    Annotation keeps them separately. Unknown types keep their coordinates verbatim.

    Raises:
        ValueError: a known type whose JSON has no ``coordinates``/``data`` where required.
    """
    if not isinstance(_json.get("attributes"), dict):
        _json = {**_json, "attributes": None}
    cls = DEFINITION_TYPES.get(_json.get("type"), UndefinedAnnotationType)
    return cls.from_json(_json)
