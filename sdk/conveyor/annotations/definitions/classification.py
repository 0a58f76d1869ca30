"""``Classification`` (wire type ``class``): a label for the whole item."""

from __future__ import annotations

from conveyor.annotations.definitions.base import BaseAnnotationDefinition


class Classification(BaseAnnotationDefinition):
    """A whole-item label without geometry (wire type ``class``; no ``coordinates`` sent).

    ``show`` draws only the label text (with ``with_text``); bounds are all 0.
    """

    type = "class"

    def __init__(self, label, attributes=None, description=None) -> None:
        """Create a classification with ``label``."""
        super().__init__(description=description, attributes=attributes)
        self.label = label

    @classmethod
    def from_json(cls, _json: dict):
        """Build from an annotation JSON (``coordinates`` are ignored)."""
        return cls(label=_json.get("label"),
                   attributes=_json.get("attributes"))._finish_from_json(_json)
