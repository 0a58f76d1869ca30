"""Video frame states of an annotation, and their wire form (``metadata.system.snapshots_``).

An annotation on a video has a first frame (its top-level ``coordinates``) and one snapshot
per later frame whose state was set explicitly or differs from the frame before it. A frame
with no state of its own shows the state of the closest earlier frame.
"""

from __future__ import annotations

import copy
from typing import Any

from conveyor.annotations.definitions import BaseAnnotationDefinition, definition_from_json


class FrameAnnotation:
    """The state of one annotation on one video frame.

    Attributes:
        annotation: The owning Annotation.
        annotation_definition: The geometry on this frame (same type as the annotation).
        frame_num: The frame number.
        fixed: True when set by a user (a key frame), False when carried over.
        object_visible: Whether the object is visible on this frame.
    """

    def __init__(self, annotation, annotation_definition: BaseAnnotationDefinition,
                 frame_num: int, fixed: bool, object_visible: bool = True,
                 recipe_2_attributes=None, interpolation: bool = False) -> None:
        """Create a frame state (``recipe_2_attributes``: legacy list attributes, kept)."""
        self.annotation = annotation
        self.annotation_definition = annotation_definition
        self.frame_num = frame_num
        self.fixed = fixed
        self.object_visible = object_visible
        self._legacy_attributes = recipe_2_attributes
        self._interpolation = interpolation

    @classmethod
    def new(cls, annotation, annotation_definition, frame_num, fixed, object_visible=True):
        """Create a frame state for ``annotation`` on ``frame_num``."""
        return cls(annotation, annotation_definition, frame_num, fixed, object_visible)

    @classmethod
    def from_snapshot(cls, annotation, _json: dict, fps=None):
        """Build a frame state from one ``snapshots_`` entry of ``annotation``'s JSON."""
        definition = definition_from_json({
            "type": annotation.type, "label": _json.get("label", annotation.label),
            "coordinates": _json.get("data", _json.get("coordinates")),
            "attributes": _json.get("namedAttributes"),
            "description": _json.get("description"),
        })
        return cls(annotation, definition, _json.get("frame", annotation.end_frame + 1),
                   _json.get("fixed", False), _json.get("objectVisible", True),
                   recipe_2_attributes=_json.get("attributes"))

    def to_snapshot(self) -> dict:
        """Return the ``snapshots_`` entry of this frame."""
        definition = self.annotation_definition
        snapshot = {"frame": self.frame_num, "fixed": self.fixed, "label": definition.label,
                    "type": self.annotation.type, "objectVisible": self.object_visible,
                    "data": self.annotation.coordinates_of(definition)}
        if definition.description is not None:
            snapshot["description"] = definition.description
        if definition.attributes is not None:
            snapshot["namedAttributes"] = definition.attributes
        if self._legacy_attributes is not None:
            snapshot["attributes"] = self._legacy_attributes
        return snapshot

    @property
    def type(self) -> str:
        """The annotation's type."""
        return self.annotation.type

    @property
    def label(self):
        """The label on this frame."""
        return self.annotation_definition.label

    @property
    def attributes(self) -> dict:
        """The named attributes on this frame."""
        return self.annotation_definition.attributes

    @property
    def coordinates(self) -> Any:
        """The wire coordinates on this frame."""
        return self.annotation.coordinates_of(self.annotation_definition)

    def show(self, **kwargs):
        """Draw this frame's geometry; keyword arguments as ``BaseAnnotationDefinition.show``."""
        return self.annotation_definition.show(**kwargs)


class FrameTrack:
    """The frame states of one annotation, keyed by frame number."""

    def __init__(self) -> None:
        """Start with no frames."""
        self.frames: dict[int, FrameAnnotation] = {}

    def __contains__(self, frame_num: int) -> bool:
        return self.state_at(frame_num) is not None

    def __len__(self) -> int:
        return len(self.frames)

    def actual_keys(self) -> list[int]:
        """Frame numbers that have a state of their own, ascending."""
        return sorted(self.frames)

    def add(self, frame: FrameAnnotation) -> None:
        """Set the state of ``frame.frame_num`` (replacing any state it had)."""
        self.frames[frame.frame_num] = frame

    def state_at(self, frame_num: int) -> FrameAnnotation | None:
        """The state shown on ``frame_num``: its own, else the closest earlier one."""
        earlier = [k for k in self.frames if k <= frame_num]
        return self.frames[max(earlier)] if earlier else None

    def snapshots(self, start_frame: int, end_frame: int) -> list[dict]:
        """The ``snapshots_`` list: frames after the first whose state is worth sending.

        A frame is sent when it is fixed or its state differs from the frame before it
        (ignoring the frame number), so carried-over states do not bloat the JSON.
        """
        out: list[dict] = []
        previous = None
        for frame_num in self.actual_keys():
            snapshot = self.frames[frame_num].to_snapshot()
            comparable = {k: v for k, v in snapshot.items() if k != "frame"}
            changed = previous is None or comparable != previous
            previous = copy.deepcopy(comparable)
            if start_frame < frame_num <= end_frame and (snapshot["fixed"] or changed):
                out.append(snapshot)
        return out
