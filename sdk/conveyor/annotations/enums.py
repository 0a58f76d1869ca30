"""Enumerations shared by annotations, their rendering and the DQL filter defaults."""

from __future__ import annotations

from enum import Enum

__all__ = ["AnnotationStatus", "AnnotationType", "ExportVersion", "ViewAnnotationOptions"]


class ExportVersion(str, Enum):
    """Version of the annotation export layout (V1: one JSON per item; V2: adds frame data)."""

    V1 = "V1"
    V2 = "V2"


class AnnotationStatus(str, Enum):
    """Review status stored in ``metadata.system.status``; CLEAR removes the status."""

    ISSUE = "issue"
    APPROVED = "approved"
    REVIEW = "review"
    CLEAR = "clear"


class AnnotationType(str, Enum):
    """Wire names of annotation types (the ``type`` key of an annotation JSON).

    The declaration order is part of the wire contract: the default annotation filter
    (``type $in [...]``) lists these values in this order, minus ``note``.
    """

    BOX = "box"
    CUBE = "cube"
    CUBE3D = "cube_3d"
    CLASSIFICATION = "class"
    COMPARISON = "comparison"
    ELLIPSE = "ellipse"
    NOTE = "note"
    POINT = "point"
    POLYGON = "segment"
    POLYLINE = "polyline"
    POSE = "pose"
    SEGMENTATION = "binary"
    SUBTITLE = "subtitle"
    TEXT = "text_mark"
    GIS = "gis"
    SEMANTIC_3D = "ref_semantic_3d"
    POLYLINE_3D = "polyline_3d"
    FREE_TEXT = "text"
    REF_IMAGE = "ref_image"


class ViewAnnotationOptions(str, Enum):
    """Formats annotations can be shown or downloaded in.

    JSON: the platform JSON. MASK: an RGBA image with each annotation drawn in its color.
    INSTANCE: a 2-D uint8 image holding each annotation's label instance id.
    ANNOTATION_ON_IMAGE: the source image with the annotations drawn on it.
    VTT: WebVTT subtitles. OBJECT_ID: a 2-D uint8 image holding each annotation's object id.
    """

    JSON = "json"
    MASK = "mask"
    INSTANCE = "instance"
    ANNOTATION_ON_IMAGE = "img_mask"
    VTT = "vtt"
    OBJECT_ID = "object_id"
