"""``Point``: a single keypoint."""

from __future__ import annotations

import numpy as np

from conveyor.annotations import rendering
from conveyor.annotations.definitions.base import BaseAnnotationDefinition


class Point(BaseAnnotationDefinition):
    """A point ``(x, y)`` in image pixels (wire type ``point``)."""

    type = "point"

    def __init__(self, x, y, label, attributes=None, description=None) -> None:
        """Create a point at ``(x, y)``."""
        super().__init__(description=description, attributes=attributes)
        self._x, self._y = x, y
        self.label = label

    @property
    def x(self):
        """x of the point."""
        return self._x

    @x.setter
    def x(self, value) -> None:
        self._x = value

    @property
    def y(self):
        """y of the point."""
        return self._y

    @y.setter
    def y(self, value) -> None:
        self._y = value

    @property
    def z(self) -> int:
        """Always 0 (2-D point)."""
        return 0

    @property
    def geo(self) -> list:
        """``[x, y]``."""
        return [self.x, self.y]

    # A point is its own bounding box (dtlpy swaps right/bottom here; we do not).
    @property
    def left(self):
        """x of the point."""
        return self.x

    @property
    def right(self):
        """x of the point."""
        return self.x

    @property
    def top(self):
        """y of the point."""
        return self.y

    @property
    def bottom(self):
        """y of the point."""
        return self.y

    def to_coordinates(self, color=None) -> dict:
        """Return ``{"x": x, "y": y, "z": 0.0}``."""
        return {"x": float(self.x), "y": float(self.y), "z": float(self.z)}

    @staticmethod
    def from_coordinates(coordinates) -> tuple:
        """Return ``(x, y)`` of ``{"x", "y"[, "z"]}``."""
        return coordinates["x"], coordinates["y"]

    @classmethod
    def from_json(cls, _json: dict):
        """Build from an annotation JSON."""
        x, y = cls.from_coordinates(cls._coordinates_of(_json))
        return cls(x=x, y=y, label=_json.get("label"),
                   attributes=_json.get("attributes"))._finish_from_json(_json)

    def show(self, image, thickness, with_text, height, width, annotation_format, color,
             alpha=1):
        """Draw a filled disc of radius ``thickness`` (default, and for -1: 5); see base.

        Every pixel within ``thickness`` of the rounded point is set.
        """
        thickness = 5 if thickness in (None, -1) else thickness
        cv2 = rendering.cv2()
        center = (int(np.round(self.x)), int(np.round(self.y)))

        def paint(canvas, col):
            return cv2.circle(canvas, center, thickness, col, -1, cv2.LINE_8)

        image = rendering.draw(image, color, alpha, paint)
        return self._finish_show(image, with_text, color)
