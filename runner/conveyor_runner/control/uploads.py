"""Item uploads: binary first, record second, so nothing half-written ever shows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import BinaryIO

from conveyor_runner.control import media
from conveyor_runner.control.auth import Principal
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.ids import new_id, now_iso
from conveyor_runner.storage.driver import StorageDriver
from conveyor_runner.store import items
from conveyor_runner.store.db import Database
from conveyor_runner.store.tables import ItemRow

MODES = ("skip", "overwrite")


@dataclass(frozen=True)
class Upload:
    """One file to store: where, what, and what the client declared about it."""

    dataset_id: str
    filename: str
    stream: BinaryIO
    metadata: dict
    description: str | None = None
    declared_size: int | None = None
    mode: str = "skip"


def parse_metadata(raw: str | None) -> dict:
    """The ``metadata`` form field (a JSON object string) as a dict.

    Raises:
        InvalidInputError: not JSON or not an object.
    """
    if raw in (None, ""):
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise InvalidInputError(f"metadata: not valid JSON ({exc})", field="metadata") from None
    if not isinstance(value, dict):
        raise InvalidInputError("metadata: must be a JSON object", field="metadata")
    return value


def store_upload(db: Database, storage: StorageDriver, principal: Principal,
                 upload: Upload) -> tuple[ItemRow, str]:
    """Store the binary and its item record; return ``(item, op)``.

    ``op`` is ``created``, ``overwrite`` or ``skip`` (the ``x-item-op`` header). The binary
    is written under a fresh key before the record is committed and removed again if the
    record cannot be written, so a failed upload leaves neither record nor file; an
    overwritten binary is removed only after the new record is committed.

    Raises:
        NotFoundError: the dataset is not visible to the caller.
        InvalidInputError: bad path, bad mode, or bytes that differ from ``declared_size``.
    """
    if upload.mode not in MODES:
        raise InvalidInputError(f"mode: must be one of {', '.join(MODES)}", field="mode")
    filename = items.normalize_path(upload.filename, "path")
    with db.transaction() as session:
        existing_id = items.item_at(session, upload.dataset_id, principal.user_id, filename)
        if existing_id is not None and upload.mode == "skip":
            existing = session.get(ItemRow, existing_id)
            if existing is not None:  # else deleted a moment ago: the path is free
                return existing, "skip"
    header = upload.stream.read(media.HEADER_BYTES)
    upload.stream.seek(0)
    key = f"items/{upload.dataset_id}/{new_id()}"
    size = storage.put(key, upload.stream, expected_size=upload.declared_size)
    system = _system_metadata(filename, size, header)
    try:
        row, op, old_key = _write_record(db, principal, upload, filename, key, system,
                                         existing_id)
    except BaseException:
        storage.delete(key)
        raise
    if old_key:
        storage.delete(old_key)
    return row, op


def _system_metadata(filename: str, size: int, header: bytes) -> dict:
    mimetype = media.guess_mimetype(filename)
    system = {"size": size, "mimetype": mimetype, "originalname": filename.rsplit("/", 1)[-1],
              "encoding": "7bit", "refs": []}
    dims = media.image_size(header)
    if dims:
        system["width"], system["height"] = dims
    return system


def _write_record(db: Database, principal: Principal, upload: Upload, filename: str, key: str,
                  system: dict, existing_id: str | None) -> tuple[ItemRow, str, str | None]:
    user_meta = dict(upload.metadata)
    user_meta["system"] = {**user_meta.get("system", {}), **system}
    with db.transaction() as session:
        # Only an overwrite needs to look again; a new path relies on the unique constraint,
        # so a concurrent upload of the same path loses with 409 instead of a double insert.
        existing = items.find_by_filename(session, upload.dataset_id, filename) \
            if existing_id else None
        if existing is None:
            row = items.add_file(
                session, upload.dataset_id, filename, principal.email, storage_key=key,
                size=system["size"], mimetype=system["mimetype"], metadata_=user_meta,
                description=upload.description,
            )
            return row, "created", None
        old_key = existing.storage_key
        existing.storage_key, existing.size = key, system["size"]
        existing.mimetype, existing.metadata_ = system["mimetype"], user_meta
        existing.description = upload.description
        existing.updated_at, existing.updated_by = now_iso(), principal.email
        return existing, "overwrite", old_key
