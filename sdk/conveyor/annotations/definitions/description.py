"""``Description``: the free-text description of an item, stored as an annotation."""

from __future__ import annotations

from conveyor.annotations.definitions.base import BaseAnnotationDefinition


class Description(BaseAnnotationDefinition):
    """An item description (wire type ``item_description``, label ``item.description``).

    Its annotation is flagged ``metadata.system.system: true`` on upload.
    """

    type = "item_description"

    def __init__(self, text, description=None) -> None:
        """Create a description with ``text``."""
        super().__init__(description=description)
        self.text = text
        self.label = "item.description"

    def to_coordinates(self, color=None) -> dict:
        """Return ``{"text": text}``."""
        return {"text": self.text}

    @staticmethod
    def from_coordinates(coordinates) -> str:
        """Return the description text."""
        return coordinates["text"]

    @classmethod
    def from_json(cls, _json: dict):
        """Build from an annotation JSON."""
        text = cls.from_coordinates(cls._coordinates_of(_json))
        return cls(text=text)._finish_from_json(_json)
