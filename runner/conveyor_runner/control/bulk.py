"""Bulk operations a DQL query selects: item metadata updates and deletions."""

from __future__ import annotations

from sqlalchemy.orm import Session

from conveyor_runner.control.patches import merge_patch
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.ids import now_iso
from conveyor_runner.store import annotations, items
from conveyor_runner.store.tables import AnnotationRow, ItemRow


def update_items(session: Session, rows: list[ItemRow], update: object, actor: str, *,
                 system: bool) -> int:
    """Merge-patch ``update["metadata"]`` into every row; returns how many changed.

    Raises:
        InvalidInputError: ``update`` is not ``{"metadata": {...}}``, or touches
            ``metadata.system`` without ``systemSpace``.
    """
    if not isinstance(update, dict) or not isinstance(update.get("metadata"), dict):
        raise InvalidInputError("update: must be {\"metadata\": {...}}", field="update")
    patch = update["metadata"]
    if "system" in patch and not system:
        raise InvalidInputError(
            "update.metadata.system: set systemSpace: true to update system metadata",
            field="update.metadata.system",
        )
    stamp = now_iso()
    for row in rows:
        row.metadata_ = merge_patch(row.metadata_, patch)
        row.updated_at, row.updated_by = stamp, actor
    return len(rows)


def delete_items(session: Session, rows: list[ItemRow]) -> list[str]:
    """Delete the rows; returns the storage keys to remove after commit."""
    return items.delete_items(session, rows)


def delete_annotations(session: Session, rows: list[AnnotationRow]) -> int:
    """Delete the annotations; returns how many."""
    annotations.remove(session, rows)
    return len(rows)
