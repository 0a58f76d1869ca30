"""``Polyline``: an open chain of line segments."""

from __future__ import annotations

from conveyor.annotations import rendering
from conveyor.annotations.definitions.polygon import _PointListDefinition


class Polyline(_PointListDefinition):
    """An open polyline: ``geo`` is ``[[x, y], ...]`` in image pixels (wire type ``polyline``)."""

    type = "polyline"

    def show(self, image, thickness, with_text, height, width, annotation_format, color,
             alpha=1):
        """Draw the segments (``thickness`` default 2; -1 is treated as 2); see base."""
        thickness = 2 if thickness in (None, -1) else thickness
        cv2 = rendering.cv2()

        def paint(canvas, col):
            return cv2.polylines(canvas, [self._int_points()], False, col, thickness, cv2.LINE_8)

        image = rendering.draw(image, color, alpha, paint)
        return self._finish_show(image, with_text, color)
