"""Items: upload, query, get, update, move, clone, delete and binary download."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from conveyor_runner.api.bodies import read_body
from conveyor_runner.api.deps import BaseUrlDep, DbDep, PrincipalDep, StorageDep
from conveyor_runner.api.ranges import parse_range
from conveyor_runner.api.render import command_json, item_json
from conveyor_runner.api.responses import json_response
from conveyor_runner.control import items as item_control
from conveyor_runner.control.uploads import Upload, parse_metadata, store_upload
from conveyor_runner.errors import InvalidInputError, NotFoundError
from conveyor_runner.store import commands, datasets, items

router = APIRouter(tags=["items"])

_CHUNK = 256 * 1024


@router.post("/datasets/{dataset_id}/items")
async def upload_item(dataset_id: str, request: Request, principal: PrincipalDep, db: DbDep,
                      storage: StorageDep, base: BaseUrlDep) -> Response:
    """Upload a file (multipart: type, path, file, metadata, description, size) or make a
    folder (form ``type=dir&path=/a/b``). Answers the item and ``x-item-op``."""
    form = await request.form()
    kind = form.get("type") or "file"
    if kind == "dir":
        row = await run_in_threadpool(_make_dir, db, principal, dataset_id, form.get("path"))
        return json_response(item_json(row, base), headers={"x-item-op": "created"})
    if kind != "file":
        raise InvalidInputError("type: must be 'file' or 'dir'", field="type")
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise InvalidInputError("file: a file part is required", field="file")
    path = form.get("path") or "/" + (file.filename or "")
    upload = Upload(
        dataset_id=dataset_id, filename=path, stream=file.file,
        metadata=parse_metadata(form.get("metadata")), description=form.get("description"),
        declared_size=_declared_size(form.get("size")),
        mode=request.query_params.get("mode", "skip"),
    )
    try:
        row, op = await run_in_threadpool(store_upload, db, storage, principal, upload)
    finally:
        await form.close()
    return json_response(item_json(row, base), headers={"x-item-op": op})


def _declared_size(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    if not str(raw).isdigit():
        raise InvalidInputError("size: must be a non-negative integer", field="size")
    return int(raw)


def _make_dir(db, principal, dataset_id: str, path: str | None):
    folder = items.normalize_path(path or "", "path")
    with db.transaction() as session:
        dataset = datasets.visible_dataset(session, dataset_id, principal.user_id)
        items.ensure_folders(session, dataset.id, folder, principal.email)
        return items.find_by_filename(session, dataset.id, folder)


@router.get("/items/{item_id}")
def get_item(item_id: str, principal: PrincipalDep, db: DbDep, base: BaseUrlDep) -> dict:
    """One item."""
    with db.transaction() as session:
        return item_json(items.visible_item(session, item_id, principal.user_id), base)


@router.patch("/items/{item_id}")
async def update_item(item_id: str, request: Request, principal: PrincipalDep, db: DbDep,
                      base: BaseUrlDep) -> dict:
    """Apply a partial item body: move (``filename``), metadata, description, hidden."""
    body = await read_body(request)
    system = request.query_params.get("system") == "true"
    return await run_in_threadpool(_update_item, db, principal, item_id, body, system, base)


def _update_item(db, principal, item_id: str, body: dict, system: bool, base: str) -> dict:
    with db.transaction() as session:
        row = items.visible_item(session, item_id, principal.user_id)
        item_control.apply_patch(session, row, body, principal.email, system=system)
        return item_json(row, base)


@router.delete("/items/{item_id}")
def delete_item(item_id: str, principal: PrincipalDep, db: DbDep, storage: StorageDep) -> dict:
    """Delete an item (a folder with its contents) and its binary."""
    with db.transaction() as session:
        row = items.visible_item(session, item_id, principal.user_id)
        keys = items.delete_items(session, [row])
    for key in keys:
        storage.delete(key)
    return {"id": item_id, "deleted": True}


@router.get("/items/{item_id}/stream")
def stream_item(item_id: str, request: Request, principal: PrincipalDep, db: DbDep,
                storage: StorageDep) -> StreamingResponse:
    """The item's bytes; honours ``Range`` (206 with ``Content-Range``)."""
    with db.transaction() as session:
        row = items.visible_item(session, item_id, principal.user_id)
    if row.type != "file" or not row.storage_key:
        raise InvalidInputError("id: folders have no binary to download", field="id")
    try:
        handle = storage.open(row.storage_key)
    except KeyError:
        raise NotFoundError(f"item {item_id} has no stored binary") from None
    span = parse_range(request.headers.get("range"), row.size)
    start, end = span if span else (0, row.size - 1)
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(max(end - start + 1, 0)),
               "Content-Disposition": f'attachment; filename="{row.name}"'}
    if span:
        headers["Content-Range"] = f"bytes {start}-{end}/{row.size}"
    return StreamingResponse(_read_span(handle, start, end), status_code=206 if span else 200,
                             media_type=row.mimetype or "application/octet-stream",
                             headers=headers)


def _read_span(handle, start: int, end: int):
    with handle:
        handle.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = handle.read(min(_CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


@router.post("/items/{item_id}/clone")
async def clone_item(item_id: str, request: Request, principal: PrincipalDep, db: DbDep,
                     storage: StorageDep, base: BaseUrlDep) -> dict:
    """Clone an item; answers a finished Command whose ``spec.returnedModelId`` names it."""
    body = await read_body(request)
    return await run_in_threadpool(_clone, db, storage, principal, item_id, body, base)


def _clone(db, storage, principal, item_id: str, body: dict, base: str) -> dict:
    with db.transaction() as session:
        source = items.visible_item(session, item_id, principal.user_id)
        clone = item_control.clone_item(session, storage, principal, source, body)
        command = commands.create(session, principal.user_id, "item-clone",
                                  {"itemId": item_id, **body})
        commands.finish(command, "success", spec={"returnedModelId": [clone.id]})
        return command_json(command, base)
