"""``POST /datasets/{id}/query``: DQL over a dataset's items or annotations, and bulk ops."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from conveyor_runner.api.bodies import read_body
from conveyor_runner.api.deps import BaseUrlDep, DbDep, PrincipalDep, StorageDep
from conveyor_runner.api.render import annotation_json, item_json, paged
from conveyor_runner.api.responses import json_response
from conveyor_runner.control import bulk
from conveyor_runner.control.dql import parse_query
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.store import dataset_queries, datasets

router = APIRouter(tags=["query"])


@router.post("/datasets/{dataset_id}/query")
async def query_dataset(dataset_id: str, request: Request, principal: PrincipalDep, db: DbDep,
                        storage: StorageDep, base: BaseUrlDep) -> Response:
    """Items (default) or annotations matching the DQL body, paged; with ``update`` or
    ``delete: true`` the matching entities are updated or deleted instead."""
    body = await read_body(request)
    resource = body.get("resource") or "items"
    if resource not in ("items", "annotations"):
        raise InvalidInputError("resource: must be 'items' or 'annotations'", "resource")
    query = parse_query({**body, "resource": resource})
    args = (db, principal, dataset_id, query, body, base)
    if body.get("delete") is True or body.get("update") is not None:
        return json_response(await run_in_threadpool(_bulk, *args, storage))
    # A page can hold 1,000 entities: answer the JSON directly rather than through
    # FastAPI's generic encoder, which walks every value again.
    return json_response(await run_in_threadpool(_page, *args))


def _page(db, principal, dataset_id, query, body, base) -> dict:
    with db.transaction() as session:
        datasets.visible_dataset(session, dataset_id, principal.user_id)
        if query.resource == "annotations":
            rows, total = dataset_queries.query_annotations(session, dataset_id, query)
            rendered = [annotation_json(r, base) for r in rows]
        else:
            rows, total = dataset_queries.query_items(session, dataset_id, query)
            rendered = [item_json(r, base) for r in rows]
        return paged(rendered, total, query.page, query.page_size)


def _bulk(db, principal, dataset_id, query, body, base, storage) -> dict:
    keys: list[str] = []
    with db.transaction() as session:
        datasets.visible_dataset(session, dataset_id, principal.user_id)
        if query.resource == "annotations":
            if body.get("update") is not None:
                raise InvalidInputError("update: annotations cannot be bulk-updated", "update")
            rows = dataset_queries.all_annotations(session, dataset_id, query)
            return {"deleted": bulk.delete_annotations(session, rows)}
        rows = dataset_queries.all_items(session, dataset_id, query)
        if body.get("delete") is True:
            keys = bulk.delete_items(session, rows)
            result = {"deleted": len(rows)}
        else:
            changed = bulk.update_items(session, rows, body["update"], principal.email,
                                        system=bool(body.get("systemSpace")))
            result = {"updated": changed, "items": [item_json(r, base) for r in rows]}
    for key in keys:
        storage.delete(key)
    return result
