"""Item changes: partial updates (dtlpy diffs), clones and bulk operations."""

from __future__ import annotations

from sqlalchemy.orm import Session

from conveyor_runner.control.auth import Principal
from conveyor_runner.control.patches import merge_patch
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.ids import new_id, now_iso
from conveyor_runner.storage.driver import StorageDriver
from conveyor_runner.store import annotations, datasets, items
from conveyor_runner.store.tables import ItemRow


def apply_patch(session: Session, row: ItemRow, patch: dict, actor: str, *,
                system: bool) -> None:
    """Apply a dtlpy-style partial item body.

    ``filename`` (or ``dir``/``name``) moves the item; ``metadata`` is merge-patched, its
    ``system`` part only when ``system`` is true; ``description`` and ``hidden`` are set.
    Null values of other keys and read-only keys are ignored, as the dtlpy client sends many.

    Raises:
        InvalidInputError: a field of the wrong type.
        ConflictError: the move target exists.
    """
    target = _move_target(row, patch)
    if target is not None:
        items.move(session, row, target, actor)
    metadata = patch.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise InvalidInputError("metadata: must be an object", field="metadata")
        if not system:
            metadata = {k: v for k, v in metadata.items() if k != "system"}
        row.metadata_ = merge_patch(row.metadata_, metadata)
    if "description" in patch and patch["description"] is not None:
        if not isinstance(patch["description"], str):
            raise InvalidInputError("description: must be a string", field="description")
        row.description = patch["description"]
    if isinstance(patch.get("hidden"), bool):
        row.hidden = patch["hidden"]
    row.updated_at, row.updated_by = now_iso(), actor


def _move_target(row: ItemRow, patch: dict) -> str | None:
    if patch.get("filename") is not None:
        return items.normalize_path(patch["filename"])
    folder, name = patch.get("dir"), patch.get("name")
    if folder is None and name is None:
        return None
    folder = items.normalize_path(folder, "dir") if folder is not None else row.dir
    if name is not None and (not isinstance(name, str) or "/" in name or not name):
        raise InvalidInputError("name: must be a non-empty name without '/'", field="name")
    return items.normalize_path(f"{folder}/{name or row.name}")


def clone_item(session: Session, storage: StorageDriver, principal: Principal, source: ItemRow,
               body: dict) -> ItemRow:
    """Copy an item (binary, optionally metadata and annotations) into a dataset.

    Raises:
        NotFoundError: the target dataset is not visible to the caller.
        InvalidInputError: the source is a folder.
        ConflictError: the target path exists.
    """
    if source.type != "file":
        raise InvalidInputError("id: only files can be cloned", field="id")
    target_id = body.get("targetDatasetId") or source.dataset_id
    target = datasets.visible_dataset(session, target_id, principal.user_id)
    filename = items.normalize_path(body.get("remoteFileName") or source.filename,
                                    "remoteFileName")
    params = body.get("cloneDatasetParams") or {}
    metadata = {"system": dict(source.metadata_.get("system", {}))}
    if params.get("withMetadata", True):
        metadata = merge_patch(source.metadata_, {})
    metadata = merge_patch(metadata, body.get("metadata") or {})
    key = f"items/{target.id}/{new_id()}"
    storage.copy(source.storage_key, key)
    try:
        clone = items.add_file(
            session, target.id, filename, principal.email, storage_key=key, size=source.size,
            mimetype=source.mimetype, metadata_=metadata, description=source.description,
        )
        clone.doc = {"srcItem": source.id}
        if params.get("withItemsAnnotations", True):
            for annotation in annotations.of_item(session, source.id):
                body_json = {**annotation.doc, "type": annotation.type,
                             "label": annotation.label, "coordinates": annotation.coordinates,
                             "metadata": annotation.metadata_}
                annotations.add(session, clone, body_json, principal.email)
        session.flush()
    except BaseException:
        storage.delete(key)
        raise
    return clone
