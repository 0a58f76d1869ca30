"""``BaseAnnotationDefinition``: what every annotation geometry (box, polygon, ...) shares."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np

from conveyor.annotations import rendering

logger = logging.getLogger("conveyor")


class BaseAnnotationDefinition:
    """The geometry, label and attributes of one annotation, independent of any item.

    Subclasses set ``type`` (the wire name), convert geometry to and from the wire
    ``coordinates`` and draw themselves. The bounding properties (``left``, ``top``,
    ``right``, ``bottom``) are 0 for definitions without a position (classification, ...).

    Attributes:
        label: The label (a string), or None.
        description: Free text sent as the annotation's ``description``, or None.
    """

    #: Wire name of the type (``"box"``, ``"segment"``, ...).
    type: ClassVar[str] = ""

    def __init__(self, description: str | None = None, attributes: dict | None = None) -> None:
        """Set the shared fields; ``attributes`` must be a dict (``{}`` when None)."""
        self.description = description
        self.label: str | None = None
        self.attributes = attributes

    # -- shared fields -------------------------------------------------------------------

    @property
    def attributes(self) -> dict:
        """Named attributes (``metadata.system.attributes`` on the wire); always a dict."""
        return self._attributes

    @attributes.setter
    def attributes(self, value: dict | None) -> None:
        if value and not isinstance(value, dict):
            raise TypeError(f"attributes: expected a dict, got {type(value).__name__}")
        self._attributes = value or {}

    @property
    def left(self) -> Any:
        """Smallest x of the geometry (0 when it has no position)."""
        return 0

    @property
    def top(self) -> Any:
        """Smallest y of the geometry (0 when it has no position)."""
        return 0

    @property
    def right(self) -> Any:
        """Largest x of the geometry (0 when it has no position)."""
        return 0

    @property
    def bottom(self) -> Any:
        """Largest y of the geometry (0 when it has no position)."""
        return 0

    @property
    def height(self) -> float:
        """``bottom - top``, rounded."""
        return float(np.round(self.bottom - self.top))

    @property
    def width(self) -> float:
        """``right - left``, rounded."""
        return float(np.round(self.right - self.left))

    @property
    def x(self) -> Any:
        """The x coordinate(s) of the geometry (0 when it has no position)."""
        return 0

    @property
    def y(self) -> Any:
        """The y coordinate(s) of the geometry (0 when it has no position)."""
        return 0

    @property
    def geo(self) -> Any:
        """The geometry as numbers (shape depends on the type; empty when none)."""
        return []

    @property
    def logger(self) -> logging.Logger:
        """The SDK logger."""
        return logger

    # -- wire format ---------------------------------------------------------------------

    def to_coordinates(self, color: Any = None) -> Any:
        """Return the wire ``coordinates`` of this geometry (``color`` is used by masks)."""
        return []

    @staticmethod
    def from_coordinates(coordinates: Any) -> Any:
        """Return the geometry parsed from wire ``coordinates``."""
        return coordinates

    def to_json(self) -> dict:
        """Return ``{"type", "label", "coordinates", "attributes"[, "description"]}``.

        ``from_json`` of the same class accepts this dict and builds an equal definition.
        """
        _json = {"type": self.type, "label": self.label,
                 "coordinates": self.to_coordinates(), "attributes": self.attributes}
        if self.description is not None:
            _json["description"] = self.description
        return _json

    @staticmethod
    def _coordinates_of(_json: dict) -> Any:
        """Return ``coordinates`` (or the snapshot key ``data``) of an annotation JSON."""
        if "coordinates" in _json:
            return _json["coordinates"]
        if "data" in _json:
            return _json["data"]
        raise ValueError(f"coordinates: missing in annotation {_json.get('id')!r} "
                         "(neither 'coordinates' nor 'data' present)")

    def _finish_from_json(self, _json: dict):
        """Copy the description of ``_json`` (when present) and return ``self``."""
        if _json.get("description") is not None:
            self.description = _json["description"]
        return self

    # -- rendering -----------------------------------------------------------------------

    def show(self, image, thickness, with_text, height, width, annotation_format, color,
             alpha=1):
        """Draw this definition on ``image`` and return the result.

        The base implementation draws nothing but the optional label text; geometric
        subclasses draw their shape. ``image`` is modified in place when ``alpha == 1``.

        Args:
            image: The canvas (RGBA for MASK, 2-D uint8 for INSTANCE/OBJECT_ID).
            thickness: Line thickness in pixels; -1 fills closed shapes; None: type default.
            with_text: Also write the label at the top-left corner.
            height: Item height (unused by vector shapes).
            width: Item width (unused by vector shapes).
            annotation_format: A ``ViewAnnotationOptions`` value.
            color: RGBA tuple for color canvases, an int id for id canvases.
            alpha: Opacity in [0, 1] (only effective with a translucent RGBA color).

        Returns:
            The drawn image.
        """
        if with_text:
            image = self.add_text_to_image(image=image, annotation=self, color=color)
        return image

    @staticmethod
    def add_text_to_image(image, annotation, color=None):
        """Write ``annotation``'s label and attribute names on ``image``; return it."""
        return rendering.put_label(image, annotation, color)

    def _finish_show(self, image, with_text, color):
        """Add the label text when asked; shared tail of the subclasses' ``show``."""
        if with_text:
            image = self.add_text_to_image(image=image, annotation=self, color=color)
        return image

    def __repr__(self) -> str:
        return f"{type(self).__name__}(label={self.label!r}, type={self.type!r})"
