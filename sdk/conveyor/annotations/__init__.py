"""Annotations: definitions (geometry + rendering), the Annotation entity and collections.

Importing this package loads no OpenCV; drawing does, on first use.
"""

from conveyor.annotations.annotation import Annotation
from conveyor.annotations.annotation_collection import AnnotationCollection
from conveyor.annotations.definitions import (
    BaseAnnotationDefinition,
    Box,
    Classification,
    Cube,
    Description,
    Ellipse,
    Message,
    Note,
    Point,
    Polygon,
    Polyline,
    Pose,
    Segmentation,
    Subtitle,
    UndefinedAnnotationType,
)
from conveyor.annotations.enums import (
    AnnotationStatus,
    AnnotationType,
    ExportVersion,
    ViewAnnotationOptions,
)
from conveyor.annotations.frames import FrameAnnotation

__all__ = [
    "Annotation",
    "AnnotationCollection",
    "AnnotationStatus",
    "AnnotationType",
    "BaseAnnotationDefinition",
    "Box",
    "Classification",
    "Cube",
    "Description",
    "Ellipse",
    "ExportVersion",
    "FrameAnnotation",
    "Message",
    "Note",
    "Point",
    "Polygon",
    "Polyline",
    "Pose",
    "Segmentation",
    "Subtitle",
    "UndefinedAnnotationType",
    "ViewAnnotationOptions",
]
