"""Datasets: create, get, query, update, delete, directory tree."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from conveyor_runner.api.bodies import read_body, validate
from conveyor_runner.api.deps import BaseUrlDep, DbDep, PrincipalDep, StateDep, StorageDep
from conveyor_runner.api.render import command_json, dataset_json, paged
from conveyor_runner.control import dataset_clone
from conveyor_runner.control.background import run_command
from conveyor_runner.control.dql import parse_query
from conveyor_runner.control.patches import merge_patch
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.ids import now_iso
from conveyor_runner.store import commands, dataset_queries, datasets, items, projects

router = APIRouter(tags=["datasets"])


class DatasetCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=400)
    projects: list[str] = Field(min_length=1, max_length=1)
    driver: str | None = None
    expirationOptions: dict | None = None
    indexDriver: str | None = None
    metadata: dict | None = None


class DatasetUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, min_length=1, max_length=400)
    metadata: dict | None = None
    expirationOptions: dict | None = None
    readonly: bool | None = None


def _render(session, rows, base: str) -> list[dict]:
    counts = datasets.counts(session, [r.id for r in rows])
    return [dataset_json(r, base, *counts[r.id]) for r in rows]


@router.post("/datasets")
async def create_dataset(request: Request, principal: PrincipalDep, db: DbDep,
                         base: BaseUrlDep) -> dict:
    """Create a dataset in the project named by ``projects[0]``."""
    body = validate(DatasetCreate, await read_body(request))
    doc = {k: v for k, v in (("driver", body.driver), ("indexDriver", body.indexDriver),
                             ("expirationOptions", body.expirationOptions)) if v is not None}
    with db.transaction() as session:
        project = projects.visible_project(session, body.projects[0], principal.user_id)
        metadata = {"system": {}, **(body.metadata or {})}
        row = datasets.create_dataset(session, project.id, body.name, principal.email,
                                      doc=doc, metadata=metadata)
        return _render(session, [row], base)[0]


@router.post("/datasets/query")
async def query_datasets(request: Request, principal: PrincipalDep, db: DbDep,
                         base: BaseUrlDep) -> dict:
    """DQL over the caller's datasets; ``context.projects`` narrows to projects."""
    body = await read_body(request)
    query = parse_query({**body, "resource": body.get("resource") or "datasets"})
    context = body.get("context") or {}
    project_ids = context.get("projects") if isinstance(context, dict) else None
    if project_ids is not None and not isinstance(project_ids, list):
        raise InvalidInputError("context.projects: must be a list of project ids",
                                "context.projects")
    with db.transaction() as session:
        rows, total = dataset_queries.query_datasets(
            session, principal.user_id, query, project_ids, bool(body.get("systemSpace"))
        )
        return paged(_render(session, rows, base), total, query.page, query.page_size)


@router.get("/datasets/{dataset_id}")
def get_dataset(dataset_id: str, principal: PrincipalDep, db: DbDep, base: BaseUrlDep) -> dict:
    """One dataset."""
    with db.transaction() as session:
        row = datasets.visible_dataset(session, dataset_id, principal.user_id)
        return _render(session, [row], base)[0]


@router.patch("/datasets/{dataset_id}")
async def update_dataset(dataset_id: str, request: Request, principal: PrincipalDep, db: DbDep,
                         base: BaseUrlDep) -> dict:
    """Rename or change metadata/settings; read-only and unknown keys are ignored.

    ``metadata.system`` changes only with ``?system=true``.
    """
    body = validate(DatasetUpdate, await read_body(request))
    system = request.query_params.get("system") == "true"
    with db.transaction() as session:
        row = datasets.visible_dataset(session, dataset_id, principal.user_id)
        if body.name is not None and body.name != row.name:
            datasets.rename_dataset(session, row, body.name)
        if body.metadata is not None:
            patch = dict(body.metadata) if system else {
                k: v for k, v in body.metadata.items() if k != "system"}
            row.metadata_ = merge_patch(row.metadata_, patch)
        for key in ("expirationOptions", "readonly"):
            value = getattr(body, key)
            if value is not None:
                row.doc = {**row.doc, key: value}
        row.updated_at, row.updated_by = now_iso(), principal.email
        return _render(session, [row], base)[0]


@router.delete("/datasets/{dataset_id}")
def delete_dataset(dataset_id: str, principal: PrincipalDep, db: DbDep,
                   storage: StorageDep) -> dict:
    """Delete a dataset, its items, annotations and binaries."""
    with db.transaction() as session:
        row = datasets.visible_dataset(session, dataset_id, principal.user_id)
        keys = datasets.delete_dataset(session, row)
    for key in keys:
        storage.delete(key)
    return {"id": dataset_id, "deleted": True}


@router.post("/datasets/{dataset_id}/clone")
async def clone_dataset(dataset_id: str, request: Request, principal: PrincipalDep,
                        state: StateDep, base: BaseUrlDep) -> dict:
    """Clone the items ``filter`` selects into a new (``name``) or existing dataset; answers a
    Command whose ``spec.returnedModelId`` is the target dataset's id once it succeeds."""
    body = await read_body(request)
    query = parse_query({**(body.get("filter") or {}), "resource": "items"})
    with state.db.transaction() as session:
        target_id = dataset_clone.prepare_target(session, principal, dataset_id, body)
        command = commands.create(session, principal.user_id, "dataset-clone",
                                  {"datasetId": dataset_id, "returnedModelId": target_id},
                                  status="in-progress")
    run_command(state.db, command.id, lambda: {"itemsCount": dataset_clone.clone_items(
        state.db, state.storage, principal, dataset_id, target_id, query,
        body.get("cloneDatasetParams") or {})})
    return command_json(command, base)


@router.get("/datasets/{dataset_id}/directoryTree")
def directory_tree(dataset_id: str, principal: PrincipalDep, db: DbDep) -> dict:
    """The dataset's folders as a tree of ``{value, children}`` nodes rooted at ``/``."""
    with db.transaction() as session:
        datasets.visible_dataset(session, dataset_id, principal.user_id)
        folders = items.folders(session, dataset_id)
    nodes = {f.filename: {"value": {"id": f.id, "name": f.name, "dir": f.dir,
                                    "filename": f.filename, "metadata": f.metadata_},
                          "children": []} for f in folders}
    for folder in folders:
        if folder.filename != "/" and folder.dir in nodes:
            nodes[folder.dir]["children"].append(nodes[folder.filename])
    return nodes.get("/", {"value": {"filename": "/", "name": "", "dir": ""}, "children": []})
