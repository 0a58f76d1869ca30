"""Packages: push (create/update with code validation), get, revisions, delete; name checks."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from conveyor_runner.api.bodies import read_body
from conveyor_runner.api.deps import BaseUrlDep, DbDep, PrincipalDep, StorageDep
from conveyor_runner.api.render import package_json
from conveyor_runner.control import packages as package_control
from conveyor_runner.control.package_spec import check_name
from conveyor_runner.errors import NotFoundError
from conveyor_runner.store import packages

router = APIRouter(tags=["packages"])


@router.post("/packages")
async def create_package(request: Request, principal: PrincipalDep, db: DbDep,
                         storage: StorageDep, base: BaseUrlDep) -> dict:
    """Push a new package; its code is checked against its modules (never imported)."""
    body = await read_body(request)
    return await run_in_threadpool(_create, db, storage, principal, body, base)


def _create(db, storage, principal, body: dict, base: str) -> dict:
    with db.transaction() as session:
        return package_json(package_control.create_package(session, storage, principal, body),
                            base)


@router.get("/packages/{package_id}")
def get_package(package_id: str, principal: PrincipalDep, db: DbDep, base: BaseUrlDep) -> dict:
    """One package (its latest revision)."""
    with db.transaction() as session:
        return package_json(packages.visible_package(session, package_id, principal.user_id),
                            base)


@router.patch("/packages/{package_id}")
async def update_package(package_id: str, request: Request, principal: PrincipalDep, db: DbDep,
                         storage: StorageDep, base: BaseUrlDep) -> dict:
    """Full-object update; new modules or code make a new version and revision."""
    body = await read_body(request)
    return await run_in_threadpool(_update, db, storage, principal, package_id, body, base)


def _update(db, storage, principal, package_id: str, body: dict, base: str) -> dict:
    with db.transaction() as session:
        row = packages.visible_package(session, package_id, principal.user_id)
        return package_json(package_control.update_package(session, storage, principal, row,
                                                           body), base)


@router.get("/packages/{package_id}/revisions")
def list_revisions(package_id: str, principal: PrincipalDep, db: DbDep,
                   base: BaseUrlDep) -> list[dict]:
    """Every revision's Package JSON, oldest first (a plain array)."""
    with db.transaction() as session:
        row = packages.visible_package(session, package_id, principal.user_id)
        return [package_json(row, base, doc=r.doc, version=r.version)
                for r in packages.revisions(session, row.id)]


@router.delete("/packages/{package_id}")
def delete_package(package_id: str, principal: PrincipalDep, db: DbDep) -> dict:
    """Delete a package no service uses (409 otherwise)."""
    with db.transaction() as session:
        packages.delete(session, packages.visible_package(session, package_id, principal.user_id))
        return {"id": package_id, "deleted": True}


@router.get("/piper-misc/naming/{kind}/{name}")
def check_naming(kind: str, name: str, _principal: PrincipalDep) -> dict:
    """200 if ``name`` is a valid package/service/trigger name, else 400 saying why."""
    if kind not in ("packages", "services", "triggers"):
        raise NotFoundError(f"no naming rules for {kind!r}")
    check_name(name)
    return {}


@router.get("/app-registry/{dpk_id}")
def get_dpk(dpk_id: str, _principal: PrincipalDep) -> dict:
    """No app registry yet: every id is unknown (dtlpy then falls back to /packages)."""
    raise NotFoundError(f"dpk {dpk_id} not found")
