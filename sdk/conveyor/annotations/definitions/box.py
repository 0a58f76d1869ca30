"""``Box``: an axis-aligned rectangle (optionally with a rotation angle)."""

from __future__ import annotations

import numbers

import numpy as np

from conveyor.annotations import rendering
from conveyor.annotations.definitions.base import BaseAnnotationDefinition
from conveyor.annotations.definitions.polygon import Polygon


class Box(BaseAnnotationDefinition):
    """A box ``[(left, top), (right, bottom)]`` in image pixels (wire type ``box``).

    Attributes:
        angle: Rotation in degrees, or None. It is stored and sent as the third element
            of ``coordinates``; drawing ignores it, as dtlpy's does.
    """

    type = "box"

    def __init__(self, left=None, top=None, right=None, bottom=None, label=None,
                 attributes=None, description=None, angle=None) -> None:
        """Create a box from its corners ``(left, top)`` and ``(right, bottom)``."""
        super().__init__(description=description, attributes=attributes)
        self.angle = angle
        self._left, self._top, self._right, self._bottom = left, top, right, bottom
        self.label = label

    @property
    def left(self):
        """x of the left edge."""
        return self._left

    @left.setter
    def left(self, value) -> None:
        self._left = value

    @property
    def top(self):
        """y of the top edge."""
        return self._top

    @top.setter
    def top(self, value) -> None:
        self._top = value

    @property
    def right(self):
        """x of the right edge."""
        return self._right

    @right.setter
    def right(self, value) -> None:
        self._right = value

    @property
    def bottom(self):
        """y of the bottom edge."""
        return self._bottom

    @bottom.setter
    def bottom(self, value) -> None:
        self._bottom = value

    @property
    def x(self) -> list:
        """``[left, right]``."""
        return [self.left, self.right]

    @property
    def y(self) -> list:
        """``[top, bottom]``."""
        return [self.top, self.bottom]

    @property
    def geo(self) -> list:
        """``[[left, top], [right, bottom]]``."""
        return [[self.left, self.top], [self.right, self.bottom]]

    @property
    def top_left(self) -> list:
        """``[left, top]``."""
        return [self.left, self.top]

    @property
    def top_right(self) -> list:
        """``[right, top]``."""
        return [self.right, self.top]

    @property
    def bottom_left(self) -> list:
        """``[left, bottom]``."""
        return [self.left, self.bottom]

    @property
    def bottom_right(self) -> list:
        """``[right, bottom]``."""
        return [self.right, self.bottom]

    @property
    def four_points(self) -> list:
        """The corners counter-clockwise from the top-left: tl, bl, br, tr."""
        return [self.top_left, self.bottom_left, self.bottom_right, self.top_right]

    def to_coordinates(self, color=None) -> list:
        """Return ``[{"x": left, "y": top, "z": 0}, {"x": right, "y": bottom, "z": 0}]``.

        A non-zero ``angle`` is appended as a third element.
        """
        points = [{"x": float(x), "y": float(y), "z": 0} for x, y in self.geo]
        if self.angle:
            points.append(self.angle)
        return points

    @staticmethod
    def from_coordinates(coordinates) -> np.ndarray:
        """Return the two corner points as a ``(2, 2)`` array."""
        return np.asarray([[pt["x"], pt["y"]] for pt in coordinates[:2]], dtype=float)

    @classmethod
    def from_json(cls, _json: dict):
        """Build from an annotation JSON; corners are normalised so that left <= right."""
        coordinates = cls._coordinates_of(_json)
        geo = cls.from_coordinates(coordinates)
        angle = coordinates[2] if len(coordinates) > 2 and isinstance(
            coordinates[2], numbers.Number) else None
        return cls(left=np.min(geo[:, 0]), top=np.min(geo[:, 1]), right=np.max(geo[:, 0]),
                   bottom=np.max(geo[:, 1]), label=_json.get("label"),
                   attributes=_json.get("attributes"), angle=angle)._finish_from_json(_json)

    def show(self, image, thickness, with_text, height, width, annotation_format, color,
             alpha=1):
        """Draw the rectangle (``thickness`` default 2; -1 fills it); see base."""
        thickness = 2 if thickness is None else thickness
        cv2 = rendering.cv2()
        points = np.round(np.asarray(self.four_points, dtype=float)).astype(np.int32)

        def paint(canvas, col):
            return cv2.drawContours(canvas, [points], -1, col, thickness, cv2.LINE_8)

        image = rendering.draw(image, color, alpha, paint)
        return self._finish_show(image, with_text, color)

    @classmethod
    def from_segmentation(cls, mask, label, attributes=None) -> list:
        """Return one bounding box per connected region of a binary mask (largest first).

        Edges are the inclusive pixel bounds: a region covering columns 3..7 gives
        ``left=3, right=7``.
        """
        # epsilon=0 keeps every contour extreme, so the boxes are the exact pixel bounds
        polygons = Polygon.from_segmentation(mask=mask, label=label, attributes=attributes,
                                             epsilon=0, max_instances=None)
        polygons = polygons if isinstance(polygons, list) else [polygons]
        return [cls(left=p.left, top=p.top, right=p.right, bottom=p.bottom, label=label,
                    attributes=attributes) for p in polygons]
