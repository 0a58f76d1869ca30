"""``UndefinedAnnotationType``: any annotation type this SDK does not model, kept verbatim."""

from __future__ import annotations

from conveyor.annotations.definitions.base import BaseAnnotationDefinition


class UndefinedAnnotationType(BaseAnnotationDefinition):
    """An annotation of another type (``gis``, ``cube_3d``, ...): ``coordinates`` unchanged.

    Reading and re-sending it preserves its JSON; bounds are 0 and ``show`` draws only text.
    """

    def __init__(self, type, label, coordinates, attributes=None, description=None) -> None:
        """Keep ``type``, ``label`` and ``coordinates`` exactly as given."""
        super().__init__(description=description, attributes=attributes)
        self.type = type
        self.label = label
        self.coordinates = coordinates

    @property
    def z(self) -> int:
        """Always 0."""
        return 0

    @property
    def geo(self) -> int:
        """0: the geometry is unknown."""
        return 0

    def to_coordinates(self, color=None):
        """Return the coordinates exactly as they were given."""
        return self.coordinates

    @classmethod
    def from_json(cls, _json: dict):
        """Build from an annotation JSON (missing coordinates become ``{}``)."""
        coordinates = _json.get("coordinates", _json.get("data", {}))
        return cls(type=_json.get("type"), label=_json.get("label"), coordinates=coordinates,
                   attributes=_json.get("attributes"))._finish_from_json(_json)
