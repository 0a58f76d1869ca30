"""``Polygon`` (wire type ``segment``): a closed outline, and its extraction from masks."""

from __future__ import annotations

import numpy as np

from conveyor.annotations import rendering
from conveyor.annotations.definitions.base import BaseAnnotationDefinition


def as_points(geo) -> np.ndarray:
    """Return ``geo`` (``[[x, y], ...]``, list or array) as an ``(N, 2)`` float array."""
    points = np.asarray(geo, dtype=float)
    if points.size == 0:
        return points.reshape(0, 2)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"geo: expected [[x, y], ...], got an array of shape {points.shape}")
    return points


class _PointListDefinition(BaseAnnotationDefinition):
    """A shape given by an ordered list of ``[x, y]`` vertices (polygon, polyline)."""

    def __init__(self, geo, label, attributes=None, description=None) -> None:
        super().__init__(description=description, attributes=attributes)
        self.geo = geo
        self.label = label

    @property
    def geo(self) -> np.ndarray:
        """The vertices as an ``(N, 2)`` float array of ``[x, y]``."""
        return self._geo

    @geo.setter
    def geo(self, value) -> None:
        self._geo = as_points(value)

    @property
    def x(self) -> np.ndarray:
        """The x of every vertex."""
        return self._geo[:, 0]

    @property
    def y(self) -> np.ndarray:
        """The y of every vertex."""
        return self._geo[:, 1]

    @property
    def left(self):
        """Smallest vertex x."""
        return np.min(self.x)

    @property
    def top(self):
        """Smallest vertex y."""
        return np.min(self.y)

    @property
    def right(self):
        """Largest vertex x."""
        return np.max(self.x)

    @property
    def bottom(self):
        """Largest vertex y."""
        return np.max(self.y)

    def to_coordinates(self, color=None) -> list:
        """Return ``[[{"x": x, "y": y}, ...]]`` (one ring, floats)."""
        return [[{"x": float(x), "y": float(y)} for x, y in self._geo]]

    @staticmethod
    def from_coordinates(coordinates) -> np.ndarray:
        """Return the ``(N, 2)`` vertices of one ring ``[{"x", "y"}, ...]``."""
        return as_points([[pt["x"], pt["y"]] for pt in coordinates])

    @classmethod
    def from_json(cls, _json: dict):
        """Build from an annotation JSON; only the first ring of ``coordinates`` is read."""
        rings = cls._coordinates_of(_json)
        geo = cls.from_coordinates(rings[0] if rings else [])
        return cls(geo=geo, label=_json.get("label"),
                   attributes=_json.get("attributes"))._finish_from_json(_json)

    def _int_points(self) -> np.ndarray:
        return np.round(self._geo).astype(np.int32)


class Polygon(_PointListDefinition):
    """A closed polygon: ``geo`` is ``[[x, y], ...]`` in image pixels (wire type ``segment``)."""

    type = "segment"

    def show(self, image, thickness, with_text, height, width, annotation_format, color,
             alpha=1):
        """Draw the outline (``thickness`` default 2; -1 fills the polygon); see base."""
        thickness = 2 if thickness is None else thickness
        cv2 = rendering.cv2()

        def paint(canvas, col):
            return cv2.drawContours(canvas, [self._int_points()], -1, col, thickness,
                                    cv2.LINE_8)

        image = rendering.draw(image, color, alpha, paint)
        return self._finish_show(image, with_text, color)

    @classmethod
    def from_segmentation(cls, mask, label, attributes=None, epsilon=None, max_instances=1,
                          min_area=0):
        """Trace the outer contours of a binary mask as polygons.

        Args:
            mask: 2-D array; pixels above half its maximum are inside.
            label: Label of every polygon.
            attributes: Attributes of every polygon.
            epsilon: Maximum distance (px) between a contour and its simplified polygon;
                0 keeps every contour pixel; None uses 0.05% of each contour's length.
            max_instances: Keep at most this many polygons, largest area first (None: all).
            min_area: Drop contours whose area is not above this (pixels).

        Returns:
            One ``Polygon`` when exactly one is kept, else a list (possibly empty). Holes do
            not become polygons (only outer contours are traced).
        """
        cv2 = rendering.cv2()
        mask = np.asarray(mask, dtype=float)
        peak = mask.max() if mask.size else 0
        binary = (mask > peak / 2).astype(np.uint8) if peak > 0 else np.zeros_like(mask, np.uint8)
        contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        areas = [cv2.contourArea(c) for c in contours]
        order = [i for i in np.argsort(areas)[::-1] if areas[i] > min_area][:max_instances]
        polygons = [cls(geo=_simplify(cv2, contours[i], epsilon), label=label,
                        attributes=attributes) for i in order]
        return polygons[0] if len(polygons) == 1 else polygons


def _simplify(cv2, contour, epsilon) -> np.ndarray:
    """Approximate a contour (Douglas-Peucker); degenerate results keep the raw contour."""
    if epsilon is None:
        epsilon = 0.0005 * cv2.arcLength(contour, True)
    approx = np.squeeze(cv2.approxPolyDP(contour, epsilon, True))
    return approx if approx.ndim == 2 else np.squeeze(contour).reshape(-1, 2)
