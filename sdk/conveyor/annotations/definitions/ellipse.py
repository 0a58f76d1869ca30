"""``Ellipse``: a rotated ellipse given by center, radii and angle."""

from __future__ import annotations

import numpy as np

from conveyor.annotations import rendering
from conveyor.annotations.definitions.base import BaseAnnotationDefinition


class Ellipse(BaseAnnotationDefinition):
    """An ellipse centred at ``(x, y)`` with radii ``rx``/``ry``, rotated ``angle`` degrees.

    Wire coordinates: ``{"angle", "center": {"x", "y", "z": 0}, "rx", "ry"}``. The bounds
    are those of the rotated ellipse.
    """

    type = "ellipse"

    def __init__(self, x, y, rx, ry, angle, label, attributes=None, description=None) -> None:
        """Create an ellipse (``angle`` in degrees, clockwise in image coordinates)."""
        super().__init__(description=description, attributes=attributes)
        self.label = label
        self.angle = angle
        self._x, self._y = x, y
        self.rx, self.ry = rx, ry

    @property
    def x(self):
        """x of the center."""
        return self._x

    @property
    def y(self):
        """y of the center."""
        return self._y

    @property
    def rad(self) -> float:
        """The angle in radians."""
        return float(np.deg2rad(self.angle))

    @property
    def geo(self) -> np.ndarray:
        """``[[x, y], [rx, ry], [angle, rad]]``."""
        return np.asarray([[self.x, self.y], [self.rx, self.ry], [self.angle, self.rad]])

    def _half_extent(self) -> tuple[float, float]:
        """Half width and half height of the rotated ellipse's bounding box."""
        cos, sin = np.cos(self.rad), np.sin(self.rad)
        half_w = np.sqrt((self.rx * cos) ** 2 + (self.ry * sin) ** 2)
        half_h = np.sqrt((self.rx * sin) ** 2 + (self.ry * cos) ** 2)
        return float(half_w), float(half_h)

    @property
    def left(self) -> float:
        """Smallest x of the rotated ellipse."""
        return self.x - self._half_extent()[0]

    @property
    def right(self) -> float:
        """Largest x of the rotated ellipse."""
        return self.x + self._half_extent()[0]

    @property
    def top(self) -> float:
        """Smallest y of the rotated ellipse."""
        return self.y - self._half_extent()[1]

    @property
    def bottom(self) -> float:
        """Largest y of the rotated ellipse."""
        return self.y + self._half_extent()[1]

    def to_coordinates(self, color=None) -> dict:
        """Return ``{"angle", "center": {"x", "y", "z": 0}, "rx", "ry"}`` as floats."""
        return {"angle": float(self.angle),
                "center": {"x": float(self.x), "y": float(self.y), "z": 0},
                "rx": float(self.rx), "ry": float(self.ry)}

    @staticmethod
    def from_coordinates(coordinates) -> tuple:
        """Return ``(x, y, rx, ry, angle)``."""
        center = coordinates["center"]
        return center["x"], center["y"], coordinates["rx"], coordinates["ry"], coordinates["angle"]

    @classmethod
    def from_json(cls, _json: dict):
        """Build from an annotation JSON."""
        x, y, rx, ry, angle = cls.from_coordinates(cls._coordinates_of(_json))
        return cls(x=x, y=y, rx=rx, ry=ry, angle=angle, label=_json.get("label"),
                   attributes=_json.get("attributes"))._finish_from_json(_json)

    def show(self, image, thickness, with_text, height, width, annotation_format, color,
             alpha=1):
        """Draw the outline (``thickness`` default 2; -1 fills it); see base."""
        thickness = 2 if thickness is None else thickness
        cv2 = rendering.cv2()
        center = (int(np.round(self.x)), int(np.round(self.y)))
        axes = (int(np.round(self.rx)), int(np.round(self.ry)))

        def paint(canvas, col):
            return cv2.ellipse(canvas, center, axes, float(self.angle), 0, 360, col, thickness,
                               cv2.LINE_8)

        image = rendering.draw(image, color, alpha, paint)
        return self._finish_show(image, with_text, color)
