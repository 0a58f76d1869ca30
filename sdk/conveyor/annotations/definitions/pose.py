"""``Pose``: a skeleton instance whose keypoints are child ``Point`` annotations."""

from __future__ import annotations

import uuid

import numpy as np

from conveyor.annotations.definitions.base import BaseAnnotationDefinition


class Pose(BaseAnnotationDefinition):
    """A pose of template ``template_id`` (wire type ``pose``).

    Wire coordinates: ``{"templateId", "instanceId"}``. The keypoints are separate
    ``point`` annotations whose ``metadata.system.parentId`` is this annotation's id;
    ``points`` holds them locally (Point definitions) for bounds and ``x``/``y``.
    """

    type = "pose"

    def __init__(self, label, template_id, instance_id=None, attributes=None, points=None,
                 description=None) -> None:
        """Create a pose; ``instance_id`` defaults to a new UUID."""
        super().__init__(description=description, attributes=attributes)
        self.label = label
        self.template_id = template_id
        self.instance_id = instance_id if instance_id is not None else str(uuid.uuid1())
        self.points = list(points) if points is not None else []

    @property
    def x(self) -> list:
        """x of every keypoint."""
        return [p.x for p in self.points]

    @property
    def y(self) -> list:
        """y of every keypoint."""
        return [p.y for p in self.points]

    @property
    def left(self):
        """Smallest keypoint x (0 without keypoints)."""
        return np.min(self.x) if self.points else 0

    @property
    def top(self):
        """Smallest keypoint y (0 without keypoints)."""
        return np.min(self.y) if self.points else 0

    @property
    def right(self):
        """Largest keypoint x (0 without keypoints)."""
        return np.max(self.x) if self.points else 0

    @property
    def bottom(self):
        """Largest keypoint y (0 without keypoints)."""
        return np.max(self.y) if self.points else 0

    def to_coordinates(self, color=None) -> dict:
        """Return ``{"templateId", "instanceId"}``."""
        return {"templateId": self.template_id, "instanceId": self.instance_id}

    @classmethod
    def from_json(cls, _json: dict):
        """Build from an annotation JSON (keypoints are not part of it)."""
        coordinates = cls._coordinates_of(_json)
        return cls(label=_json.get("label"), template_id=coordinates.get("templateId"),
                   instance_id=coordinates.get("instanceId"),
                   attributes=_json.get("attributes"))._finish_from_json(_json)
