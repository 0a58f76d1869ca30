"""Annotations: upload to an item, list, get, update, delete."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from conveyor_runner.api.deps import BaseUrlDep, DbDep, PrincipalDep
from conveyor_runner.api.render import annotation_json
from conveyor_runner.control.annotations import apply_update, validate_annotation
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.store import annotations, items

router = APIRouter(tags=["annotations"])


async def _json_body(request: Request) -> object:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError as exc:
        raise InvalidInputError(f"body: not valid JSON ({exc})", field="body") from None


@router.post("/items/{item_id}/annotations")
async def upload_annotations(item_id: str, request: Request, principal: PrincipalDep,
                             db: DbDep, base: BaseUrlDep) -> list[dict]:
    """Create annotations on the item from a JSON array (or one object); all or none.

    Answers the created annotations as a plain array, in the order sent.
    """
    body = await _json_body(request)
    bodies = body if isinstance(body, list) else [body]
    for index, annotation in enumerate(bodies):
        validate_annotation(annotation, f"[{index}]")
    return await run_in_threadpool(_create, db, principal, item_id, bodies, base)


def _create(db, principal, item_id: str, bodies: list, base: str) -> list[dict]:
    with db.transaction() as session:
        item = items.visible_item(session, item_id, principal.user_id)
        if item.type != "file":
            raise InvalidInputError("itemId: folders cannot be annotated", field="itemId")
        rows = [annotations.add(session, item, body, principal.email) for body in bodies]
        session.flush()
        return [annotation_json(row, base) for row in rows]


@router.get("/items/{item_id}/annotations")
def list_item_annotations(item_id: str, principal: PrincipalDep, db: DbDep,
                          base: BaseUrlDep) -> list[dict]:
    """Every annotation of the item (a plain array, oldest first)."""
    with db.transaction() as session:
        items.visible_item(session, item_id, principal.user_id)
        return [annotation_json(r, base) for r in annotations.of_item(session, item_id)]


@router.get("/annotations/{annotation_id}")
def get_annotation(annotation_id: str, principal: PrincipalDep, db: DbDep,
                   base: BaseUrlDep) -> dict:
    """One annotation."""
    with db.transaction() as session:
        row = annotations.visible_annotation(session, annotation_id, principal.user_id)
        return annotation_json(row, base)


@router.api_route("/annotations/{annotation_id}", methods=["PUT", "PATCH"])
async def update_annotation(annotation_id: str, request: Request, principal: PrincipalDep,
                            db: DbDep, base: BaseUrlDep) -> dict:
    """Apply a partial annotation body (dtlpy sends a diff); ``?system=true`` allows
    ``metadata.system`` changes."""
    body = await _json_body(request)
    system = request.query_params.get("system") == "true"
    with db.transaction() as session:
        row = annotations.visible_annotation(session, annotation_id, principal.user_id)
        apply_update(row, body, principal.email, system=system)
        return annotation_json(row, base)


@router.delete("/annotations/{annotation_id}")
def delete_annotation(annotation_id: str, principal: PrincipalDep, db: DbDep) -> dict:
    """Delete one annotation."""
    with db.transaction() as session:
        row = annotations.visible_annotation(session, annotation_id, principal.user_id)
        annotations.remove(session, [row])
        return {"id": annotation_id, "deleted": True}
