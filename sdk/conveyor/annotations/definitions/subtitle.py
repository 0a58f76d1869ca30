"""``Subtitle``: a text caption over a time range of an audio or video item."""

from __future__ import annotations

from conveyor.annotations.definitions.base import BaseAnnotationDefinition


class Subtitle(BaseAnnotationDefinition):
    """A caption ``text`` (wire type ``subtitle``; coordinates ``{"text": text}``).

    The time range lives on the Annotation (``start_time``/``end_time``), not here.
    """

    type = "subtitle"

    def __init__(self, text, label, attributes=None, description=None) -> None:
        """Create a caption with ``text`` and ``label``."""
        super().__init__(description=description, attributes=attributes)
        self.text = text
        self.label = label

    def to_coordinates(self, color=None) -> dict:
        """Return ``{"text": text}``."""
        return {"text": self.text}

    @staticmethod
    def from_coordinates(coordinates) -> str:
        """Return the caption text."""
        return coordinates["text"]

    @classmethod
    def from_json(cls, _json: dict):
        """Build from an annotation JSON."""
        text = cls.from_coordinates(cls._coordinates_of(_json))
        return cls(text=text, label=_json.get("label"),
                   attributes=_json.get("attributes"))._finish_from_json(_json)
