"""Row -> wire JSON, in the shapes of dtlpy-contract §4 (one function per entity)."""

from __future__ import annotations

import math

from conveyor_runner.store.tables import (
    AnnotationRow,
    CommandRow,
    DatasetRow,
    ItemRow,
    ProjectRow,
    UserRow,
)

ORG = {"id": "conveyor", "name": "conveyor"}


def paged(items: list, total: int, page: int, page_size: int) -> dict:
    """The paging envelope every query endpoint answers with."""
    pages = math.ceil(total / page_size) if page_size else 0
    return {
        "items": items,
        "totalItemsCount": total,
        "totalPagesCount": pages,
        "hasNextPage": bool(page_size) and (page + 1) * page_size < total,
        "page_offset": page,
        "page_size": page_size,
    }


def user_json(row: UserRow, role: str | None = None) -> dict:
    """A User (or Bot) entity."""
    body = {
        "id": row.id,
        "email": row.email,
        "username": row.username,
        "firstName": row.first_name,
        "lastName": row.last_name,
        "type": row.type,
        "avatar": None,
        "org": ORG["id"],
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }
    if role is not None:
        body["role"] = role
    if row.type == "bot":
        body["projectId"] = row.project_id
        body["orgBot"] = False
    return body


def project_json(row: ProjectRow, base: str, role: str | None = None) -> dict:
    """A Project entity."""
    return {
        **row.doc,
        "id": row.id,
        "name": row.name,
        "creator": row.creator,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
        "org": ORG,
        "role": role,
        "account": None,
        "isBlocked": False,
        "archived": False,
        "featureConstraints": row.doc.get("featureConstraints", {}),
        "systemProject": False,
        "contributors": [],
        "url": f"{base}/projects/{row.id}",
    }


def dataset_json(row: DatasetRow, base: str, items_count: int, annotations_count: int) -> dict:
    """A Dataset entity; counts are computed by the caller."""
    return {
        **row.doc,
        "id": row.id,
        "name": row.name,
        "projects": [row.project_id],
        "creator": row.creator,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
        "updatedBy": row.updated_by,
        "metadata": row.metadata_,
        "itemsCount": items_count,
        "annotationsCount": annotations_count,
        "annotated": annotations_count > 0,
        "readonly": row.doc.get("readonly", False),
        "readableType": "local",
        "accessLevel": "owner",
        "driver": row.doc.get("driver"),
        "url": f"{base}/datasets/{row.id}",
        "items": f"{base}/datasets/{row.id}/items",
        "directoryTree": f"{base}/datasets/{row.id}/directoryTree",
        "export": f"{base}/datasets/{row.id}/export",
    }


def item_json(row: ItemRow, base: str) -> dict:
    """An Item entity (file or folder)."""
    body = {
        **row.doc,
        "id": row.id,
        "datasetId": row.dataset_id,
        "filename": row.filename,
        "name": row.name,
        "dir": row.dir,
        "type": row.type,
        "hidden": row.hidden,
        "metadata": row.metadata_,
        "annotated": row.annotations_count > 0,
        "annotationsCount": row.annotations_count,
        "creator": row.creator,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
        "updatedBy": row.updated_by,
        "description": row.description,
        "url": f"{base}/items/{row.id}",
        "dataset": f"{base}/datasets/{row.dataset_id}",
        "annotations": f"{base}/items/{row.id}/annotations",
    }
    if row.type == "file":
        body["stream"] = f"{base}/items/{row.id}/stream"
        body["thumbnail"] = body["stream"]
    return body


def annotation_json(row: AnnotationRow, base: str) -> dict:
    """An Annotation entity."""
    return {
        **row.doc,
        "id": row.id,
        "itemId": row.item_id,
        "datasetId": row.dataset_id,
        "type": row.type,
        "label": row.label,
        "coordinates": row.coordinates,
        "metadata": row.metadata_,
        "creator": row.creator,
        "createdAt": row.created_at,
        "updatedBy": row.updated_by,
        "updatedAt": row.updated_at,
        "url": f"{base}/annotations/{row.id}",
        "item": f"{base}/items/{row.item_id}",
        "dataset": f"{base}/datasets/{row.dataset_id}",
    }


def command_json(row: CommandRow, base: str) -> dict:
    """A Command entity; ``url`` contains ``api/v1`` as dtlpy's ``wait`` requires."""
    return {
        "id": row.id,
        "url": f"{base}/commands/{row.id}",
        "type": row.type,
        "status": row.status,
        "progress": row.progress,
        "spec": row.spec,
        "error": row.error,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }


def package_json(row, base: str, doc: dict | None = None, version: str | None = None) -> dict:
    """A Package entity (``doc``/``version`` override for a past revision)."""
    doc = row.doc if doc is None else doc
    return {
        "modules": [], "slots": None, "serviceConfig": None, "requirements": [],
        "codebase": None, "metadata": {}, "global": False, **doc,
        "id": row.id, "name": row.name, "version": version or row.version, "type": row.type,
        "projectId": row.project_id, "creator": row.creator, "createdAt": row.created_at,
        "updatedAt": row.updated_at, "url": f"{base}/packages/{row.id}",
    }


def service_json(row, base: str, bot_email: str | None) -> dict:
    """A Service entity; the runtime autoscaler is only ever rabbitmq/rps (dtlpy parses it)."""
    return {
        **row.doc,
        "id": row.id, "name": row.name, "projectId": row.project_id, "orgId": ORG["id"],
        "packageId": row.package_id, "packageRevision": row.package_revision,
        "moduleName": row.module_name, "active": row.active, "botUserName": bot_email,
        "version": str(row.revision), "creator": row.creator, "createdAt": row.created_at,
        "updatedAt": row.updated_at, "updatedBy": row.updated_by,
        "url": f"{base}/services/{row.id}",
    }


def execution_json(row, base: str) -> dict:
    """An Execution entity; ``latestStatus`` always carries a ``status``."""
    latest = row.status_log[-1] if row.status_log else {"status": row.status}
    return {
        **row.doc,
        "id": row.id, "url": f"{base}/executions/{row.id}", "creator": row.creator,
        "createdAt": row.created_at, "updatedAt": row.updated_at, "input": row.input,
        "output": row.output, "status": row.status_log, "statusLog": row.status_log,
        "latestStatus": latest, "functionName": row.function_name, "duration": row.duration,
        "attempts": row.attempts, "maxAttempts": row.max_attempts,
        "toTerminate": row.to_terminate, "serviceId": row.service_id,
        "projectId": row.project_id, "error": row.error,
        "triggerId": row.doc.get("triggerId"), "pipeline": row.doc.get("pipeline"),
    }
