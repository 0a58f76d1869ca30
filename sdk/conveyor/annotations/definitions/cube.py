"""``Cube``: a 2-D projected cuboid given by its eight corners."""

from __future__ import annotations

import math

import numpy as np

from conveyor.annotations import rendering
from conveyor.annotations.definitions.base import BaseAnnotationDefinition

#: Corner names, in the order of ``geo`` and of the wire ``coordinates`` keys.
CORNERS = ("front_tl", "front_tr", "front_br", "front_bl",
           "back_tl", "back_tr", "back_br", "back_bl")


class Cube(BaseAnnotationDefinition):
    """A cuboid drawn on an image: front and back faces of four ``[x, y]`` corners each.

    Wire coordinates: ``{corner: {"x", "y", "z": 0} for each corner, "angle": degrees}``.
    When no angle is given it is the angle of the front top edge.
    """

    type = "cube"

    def __init__(self, label, front_tl, front_tr, front_br, front_bl, back_tl, back_tr,
                 back_br, back_bl, angle=None, attributes=None, description=None) -> None:
        """Create a cube from its eight ``[x, y]`` corners."""
        super().__init__(description=description, attributes=attributes)
        corners = (front_tl, front_tr, front_br, front_bl, back_tl, back_tr, back_br, back_bl)
        for name, corner in zip(CORNERS, corners, strict=True):
            setattr(self, name, [float(corner[0]), float(corner[1])])
        self._angle = angle
        self.label = label
        self.keys = list(CORNERS)

    @staticmethod
    def calculate_angle(b, c) -> float:
        """Angle in degrees, in [0, 360), of the vector from point ``b`` to point ``c``."""
        if list(b) == list(c):
            return 0
        angle = math.degrees(math.atan2(c[1] - b[1], c[0] - b[0]))
        return angle + 360 if angle < 0 else angle

    @property
    def angle(self) -> float:
        """The given angle, else the angle of the front top edge (tl -> tr)."""
        if self._angle is None:
            self._angle = Cube.calculate_angle(self.front_tl, self.front_tr)
        return self._angle

    @property
    def geo(self) -> np.ndarray:
        """The eight corners as an ``(8, 2)`` array, in ``CORNERS`` order."""
        return np.asarray([getattr(self, name) for name in CORNERS], dtype=float)

    @property
    def x(self) -> np.ndarray:
        """x of the eight corners."""
        return self.geo[:, 0]

    @property
    def y(self) -> np.ndarray:
        """y of the eight corners."""
        return self.geo[:, 1]

    @property
    def left(self):
        """Smallest corner x."""
        return np.min(self.x)

    @property
    def top(self):
        """Smallest corner y."""
        return np.min(self.y)

    @property
    def right(self):
        """Largest corner x."""
        return np.max(self.x)

    @property
    def bottom(self):
        """Largest corner y."""
        return np.max(self.y)

    def to_coordinates(self, color=None) -> dict:
        """Return ``{corner: {"x", "y", "z": 0}, ..., "angle": angle}``."""
        coordinates = {name: {"x": float(x), "y": float(y), "z": 0}
                       for name, (x, y) in zip(CORNERS, self.geo, strict=True)}
        coordinates["angle"] = self.angle
        return coordinates

    @staticmethod
    def from_coordinates(coordinates) -> np.ndarray:
        """Return the ``(8, 2)`` corners of wire coordinates, in ``CORNERS`` order."""
        return np.asarray([[coordinates[n]["x"], coordinates[n]["y"]] for n in CORNERS])

    @classmethod
    def from_json(cls, _json: dict):
        """Build from an annotation JSON."""
        coordinates = cls._coordinates_of(_json)
        corners = dict(zip(CORNERS, cls.from_coordinates(coordinates), strict=True))
        return cls(label=_json.get("label"), angle=coordinates.get("angle"),
                   attributes=_json.get("attributes"), **corners)._finish_from_json(_json)

    @staticmethod
    def rotate(center, point, angle) -> list:
        """Rotate ``point`` around ``center`` by ``angle`` degrees; return ``[x, y]``."""
        rad = math.radians(angle)
        dx, dy = point[0] - center[0], point[1] - center[1]
        return [center[0] + math.cos(rad) * dx - math.sin(rad) * dy,
                center[1] + math.sin(rad) * dx + math.cos(rad) * dy]

    @classmethod
    def from_boxes_and_angle(cls, front_left, front_top, front_right, front_bottom, back_left,
                             back_top, back_right, back_bottom, label, angle=0,
                             attributes=None):
        """Build a cube from a front box and a back box, each rotated about its own center."""
        def corners(left, top, right, bottom):
            center = [(left + right) / 2, (top + bottom) / 2]
            points = [[left, top], [right, top], [right, bottom], [left, bottom]]
            return [cls.rotate(center, p, angle) if angle else p for p in points]

        front = corners(front_left, front_top, front_right, front_bottom)
        back = corners(back_left, back_top, back_right, back_bottom)
        return cls(label, *front, *back, angle=angle, attributes=attributes)

    def show(self, image, thickness, with_text, height, width, annotation_format, color,
             alpha=1):
        """Draw both faces and the four connecting edges (``thickness`` default 2)."""
        thickness = 2 if thickness in (None, -1) else thickness
        cv2 = rendering.cv2()
        pts = np.round(self.geo).astype(np.int32)

        def paint(canvas, col):
            canvas = cv2.polylines(canvas, [pts[:4], pts[4:]], True, col, thickness, cv2.LINE_8)
            for i in range(4):
                canvas = cv2.line(canvas, tuple(int(v) for v in pts[i]),
                                  tuple(int(v) for v in pts[i + 4]), col, thickness, cv2.LINE_8)
            return canvas

        image = rendering.draw(image, color, alpha, paint)
        return self._finish_show(image, with_text, color)
