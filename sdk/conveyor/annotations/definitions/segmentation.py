"""``Segmentation`` (wire type ``binary``): a per-pixel mask, sent as a base64 PNG."""

from __future__ import annotations

import numpy as np

from conveyor.annotations import mask_codec, rendering
from conveyor.annotations.definitions.base import BaseAnnotationDefinition
from conveyor.annotations.definitions.box import Box


class Segmentation(BaseAnnotationDefinition):
    """A binary mask the size of the item (wire type ``binary``).

    ``geo`` is a 2-D array where values > 0 are inside. A definition read from JSON keeps
    the wire string and decodes it on first use of ``geo``, and re-sends the same string
    unless the geometry or the color changed.

    Attributes:
        color: RGB color written into the PNG (None: the annotation's color, or white).
    """

    type = "binary"

    def __init__(self, geo: np.ndarray, label: str, attributes=None, description=None,
                 color=None) -> None:
        """Create a mask definition from a 2-D array (``geo``) and a label."""
        super().__init__(description=description, attributes=attributes)
        self._geo = None if geo is None else np.asarray(geo)
        self._coordinates: str | None = None
        self._encoded_color: tuple | None = None
        self._color = None if color is None else tuple(int(c) for c in color[:3])
        self.label = label

    @property
    def color(self) -> tuple | None:
        """RGB color of the mask (from the wire PNG when read from JSON)."""
        if self._color is None and self._geo is None and self._coordinates is not None:
            _ = self.geo  # decoding also reads the color
        return self._color

    @color.setter
    def color(self, value) -> None:
        self._color = None if value is None else tuple(int(c) for c in value[:3])

    @property
    def geo(self) -> np.ndarray:
        """The mask as a 2-D array (0.0/1.0 floats when decoded from the wire)."""
        if self._geo is None and self._coordinates is not None:
            self._geo, color = mask_codec.decode_mask(self._coordinates)
            if self._color is None:
                self._color = color
            self._encoded_color = color
        return self._geo

    @geo.setter
    def geo(self, value: np.ndarray) -> None:
        self._geo = np.asarray(value)
        self._coordinates = None

    @property
    def pts(self) -> tuple:
        """``(rows, cols)`` of every set pixel (``np.nonzero`` of the mask)."""
        return np.nonzero(self.geo > 0)

    @property
    def x(self):
        """None: a mask has no vertex list."""
        return None

    @property
    def y(self):
        """None: a mask has no vertex list."""
        return None

    @property
    def left(self):
        """Smallest column of a set pixel (0 for an empty mask)."""
        return int(np.min(self.pts[1])) if self.pts[1].size else 0

    @property
    def top(self):
        """Smallest row of a set pixel (0 for an empty mask)."""
        return int(np.min(self.pts[0])) if self.pts[0].size else 0

    @property
    def right(self):
        """Largest column of a set pixel (0 for an empty mask)."""
        return int(np.max(self.pts[1])) if self.pts[1].size else 0

    @property
    def bottom(self):
        """Largest row of a set pixel (0 for an empty mask)."""
        return int(np.max(self.pts[0])) if self.pts[0].size else 0

    def to_coordinates(self, color=None) -> str:
        """Return the mask as a ``data:image/png;base64,...`` string.

        Args:
            color: RGB written into the PNG; overrides the definition's own color.

        Returns:
            The wire string; an unchanged definition read from JSON returns the string it
            was read from (so an update does not resend a re-encoded but equal mask).
        """
        if self._coordinates is not None and color is None and self._color is None:
            return self._coordinates  # nothing asks for another color: keep the wire bytes
        rgb = tuple(int(c) for c in color[:3]) if color is not None else self._color
        rgb = rgb or rendering.DEFAULT_RGB
        if self._coordinates is not None:
            if self._encoded_color is None:
                _ = self.geo  # decoding records the color the PNG was written in
            if self._encoded_color == rgb:
                return self._coordinates
        self._coordinates = mask_codec.encode_mask(self.geo, rgb)
        self._encoded_color = rgb
        return self._coordinates

    @staticmethod
    def from_coordinates(coordinates) -> np.ndarray:
        """Decode wire coordinates (string or ``{"data": ...}``) into a 0/1 float mask."""
        return mask_codec.decode_mask(coordinates)[0]

    @classmethod
    def from_json(cls, _json: dict):
        """Build from an annotation JSON without decoding the PNG yet."""
        inst = cls(geo=None, label=_json.get("label"), attributes=_json.get("attributes"))
        coordinates = cls._coordinates_of(_json)
        inst._coordinates = coordinates.get("data") if isinstance(coordinates, dict) \
            else coordinates
        return inst._finish_from_json(_json)

    def show(self, image, thickness, with_text, height, width, annotation_format, color,
             alpha=1):
        """Paint every set pixel with ``color`` (default: own color, else white); see base.

        Raises:
            ValueError: the mask and the image differ in height/width.
        """
        if image.shape[:2] != self.geo.shape[:2]:
            raise ValueError(f"geo: mask shape {self.geo.shape[:2]} differs from the image "
                             f"shape {image.shape[:2]}")
        inside = np.nonzero(self.geo > 0)

        def paint(canvas, col):
            canvas[inside] = col
            return canvas

        image = rendering.draw(image, color, alpha, paint, fallback_rgb=self.color)
        return self._finish_show(image, with_text, color)

    def to_box(self) -> list:
        """Return one ``Box`` per connected region of the mask (largest first)."""
        return Box.from_segmentation(mask=self.geo, label=self.label, attributes=self.attributes)

    @classmethod
    def from_polygon(cls, geo, label, shape, attributes=None):
        """Rasterise a polygon (``[[x, y], ...]``) into a filled mask of ``shape`` (h, w)."""
        cv2 = rendering.cv2()
        mask = np.zeros(shape=tuple(shape)[:2], dtype=np.uint8)
        points = np.round(np.asarray(geo, dtype=float)).astype(np.int32)
        mask = cv2.drawContours(mask, [points], -1, 1, -1, cv2.LINE_8)
        return cls(geo=mask, label=label, attributes=attributes)
