"""The resource JSON of an event: the wire JSON of the row snapshot the outbox kept.

Event triggers match their DQL filter against it and hand it to the function as
``eventContext.body``; it is exactly what ``GET /items/{id}`` (datasets, annotations)
answered at the moment of the change (for a deletion: just before it).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from conveyor_runner.api.render import annotation_json, dataset_json, item_json
from conveyor_runner.store import datasets
from conveyor_runner.store.tables import AnnotationRow, DatasetRow, ItemRow


class EventBodies:
    """Renders ``(session, resource, snapshot)`` with URLs under ``base`` (the API base)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def __call__(self, session: Session, resource: str, snapshot: dict) -> dict:
        """The resource JSON (dataset counts are the current ones: the snapshot has none)."""
        if resource == "Item":
            return item_json(ItemRow(**snapshot), self.base)
        if resource == "Annotation":
            return annotation_json(AnnotationRow(**snapshot), self.base)
        if resource == "Dataset":
            files, annotations = datasets.counts(session, [snapshot["id"]])[snapshot["id"]]
            return dataset_json(DatasetRow(**snapshot), self.base, files, annotations)
        raise ValueError(f"resource: no JSON for {resource!r} events")
