"""Package decisions: validation at push, versions and revisions."""

from __future__ import annotations

from sqlalchemy.orm import Session

from conveyor_runner.control.auth import Principal
from conveyor_runner.control.codebase_check import check_codebase
from conveyor_runner.control.package_spec import (
    bump_patch,
    check_name,
    check_version,
    normalize_modules,
)
from conveyor_runner.errors import InvalidInputError
from conveyor_runner.ids import now_iso
from conveyor_runner.storage.driver import StorageDriver
from conveyor_runner.store import items, packages, projects
from conveyor_runner.store.tables import PackageRow

#: Keys of a package body the server keeps (everything else is read-only or unknown).
KEPT_KEYS = ("modules", "codebase", "requirements", "serviceConfig", "slots", "metadata",
             "uiHooks", "global", "description", "displayName")
CONTENT_KEYS = ("modules", "codebase", "requirements")


def create_package(session: Session, storage: StorageDriver, principal: Principal,
                   body: dict) -> PackageRow:
    """Validate a pushed package (code included) and store it as version 1.0.0 (or its own).

    Raises:
        InvalidInputError: a bad name, module, function, input type or code mismatch, named.
        NotFoundError: the project or the codebase item is not visible.
        ConflictError: the name is taken in the project.
    """
    project_id = body.get("projectId")
    if not isinstance(project_id, str):
        raise InvalidInputError("projectId: required", field="projectId")
    projects.visible_project(session, project_id, principal.user_id)
    name = check_name(body.get("name"))
    doc = _content(session, storage, principal, project_id, body)
    version = check_version(body.get("version") or "1.0.0")
    kind = body.get("type") or "faas"
    return packages.create(session, project_id, name, version, kind, doc, principal.email)


def update_package(session: Session, storage: StorageDriver, principal: Principal,
                   row: PackageRow, body: dict) -> PackageRow:
    """Apply a full-object PATCH: new content gets a new version and a recorded revision."""
    merged = {key: row.doc.get(key) for key in KEPT_KEYS}
    merged.update({key: body[key] for key in KEPT_KEYS if key in body})
    doc = _content(session, storage, principal, row.project_id, merged)
    changed = any(doc.get(k) != row.doc.get(k) for k in CONTENT_KEYS)
    requested = body.get("version")
    if requested not in (None, row.version):
        row.version = check_version(requested)
    elif changed:
        row.version = bump_patch(row.version)
    row.doc = doc
    row.updated_at = now_iso()
    packages.add_revision(session, row)
    return row


def _content(session: Session, storage: StorageDriver, principal: Principal, project_id: str,
             body: dict) -> dict:
    doc = {key: body.get(key) for key in KEPT_KEYS if body.get(key) is not None}
    modules = normalize_modules(body.get("modules"))
    codebase = body.get("codebase")
    if codebase is not None and not isinstance(codebase, dict):
        raise InvalidInputError("codebase: must be an object", field="codebase")
    if codebase and codebase.get("type") == "item":
        modules = check_codebase(_zip_bytes(session, storage, principal, codebase), modules)
    doc["modules"] = modules
    return doc


def _zip_bytes(session: Session, storage: StorageDriver, principal: Principal,
               codebase: dict) -> bytes:
    item_id = codebase.get("itemId")
    if not isinstance(item_id, str):
        raise InvalidInputError("codebase.itemId: required for an item codebase",
                                "codebase.itemId")
    item = items.visible_item(session, item_id, principal.user_id)
    if not item.storage_key:
        raise InvalidInputError("codebase.itemId: the item has no binary", "codebase.itemId")
    with storage.open(item.storage_key) as handle:
        return handle.read()
