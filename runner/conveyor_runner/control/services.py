"""Service decisions: deploy, update (and whether replicas must roll), pause, resume."""

from __future__ import annotations

from sqlalchemy.orm import Session

from conveyor_runner.control import service_spec
from conveyor_runner.control.auth import Principal
from conveyor_runner.control.package_spec import check_name, find_module
from conveyor_runner.errors import InvalidInputError, NotFoundError
from conveyor_runner.ids import now_iso
from conveyor_runner.store import bots, packages, projects, services
from conveyor_runner.store.tables import ServiceRow


def deploy(session: Session, principal: Principal, body: dict, backends: list[str]) -> ServiceRow:
    """Create a service from a package module; the service gets its own project bot.

    Raises:
        InvalidInputError: bad name, module, revision, runtime or settings, named.
        NotFoundError: the package or project is not visible.
        ConflictError: the project has a service of that name.
    """
    package_id = body.get("packageId")
    if not isinstance(package_id, str):
        raise InvalidInputError("packageId: required", field="packageId")
    package = packages.visible_package(session, package_id, principal.user_id)
    project_id = body.get("projectId") or package.project_id
    if project_id != package.project_id:
        raise InvalidInputError("projectId: must be the package's project", field="projectId")
    projects.visible_project(session, project_id, principal.user_id)
    name = check_name(body.get("name") or package.name)
    revision, module_name = _module_choice(session, package, body)
    doc = _doc(body, {}, backends)
    _check_module_init(session, package, revision, module_name, doc)
    bot = bots.create_bot(session, project_id, name)
    return services.create(
        session, project_id=project_id, package_id=package.id, name=name,
        package_revision=revision, module_name=module_name, active=body.get("active") is not False,
        bot_id=bot.id, creator=principal.email, updated_by=principal.email, doc=doc,
    )


def update(session: Session, principal: Principal, row: ServiceRow, body: dict,
           backends: list[str]) -> ServiceRow:
    """Apply a full-object PATCH. Code or settings changes bump ``revision`` (replicas roll);
    scaling changes and ``active`` do not."""
    package = packages.visible_package(session, row.package_id, principal.user_id)
    merged = {"packageRevision": row.package_revision, "moduleName": row.module_name,
              **{k: v for k, v in body.items() if k in ("packageRevision", "moduleName")
                 and v is not None}}
    revision, module_name = _module_choice(session, package, merged)
    doc = _doc(body, row.doc, backends)
    _check_module_init(session, package, revision, module_name, doc)
    if _needs_roll(row, revision, module_name, doc):
        row.revision += 1
    row.package_revision, row.module_name, row.doc = revision, module_name, doc
    if isinstance(body.get("active"), bool):
        row.active = body["active"]
    row.updated_at, row.updated_by = now_iso(), principal.email
    return row


def set_active(row: ServiceRow, active: bool, actor: str) -> None:
    """Pause (no replicas; queued executions wait) or resume the service."""
    row.active = active
    row.updated_at, row.updated_by = now_iso(), actor


def restart(row: ServiceRow, actor: str) -> None:
    """Replace every replica: a new revision with the same settings."""
    row.revision += 1
    row.updated_at, row.updated_by = now_iso(), actor


def _module_choice(session: Session, package, body: dict) -> tuple[str, str]:
    requested = body.get("packageRevision")
    revision = package.version if requested in (None, "latest") else str(requested)
    try:
        modules = packages.revision(session, package.id, revision).doc.get("modules", [])
    except NotFoundError:
        raise InvalidInputError(f"packageRevision: package {package.name} has no version "
                                f"{revision!r}", "packageRevision") from None
    module_name = body.get("moduleName") or (modules[0]["name"] if modules else "default_module")
    if find_module(modules, module_name) is None:
        raise InvalidInputError(
            f"moduleName: package {package.name} {revision} has no module {module_name!r}",
            "moduleName")
    return revision, module_name


def _doc(body: dict, current: dict, backends: list[str]) -> dict:
    merged = {**current, **{k: body[k] for k in service_spec.KEPT_KEYS if k in body}}
    doc = {k: v for k, v in merged.items() if v is not None}
    doc.update(service_spec.settings(merged))
    doc["runtime"] = service_spec.runtime(merged.get("runtime"), backends)
    return doc


def _check_module_init(session: Session, package, revision: str, module_name: str,
                       doc: dict) -> None:
    modules = packages.revision(session, package.id, revision).doc.get("modules", [])
    service_spec.check_init_params(doc["initParams"], find_module(modules, module_name))


def _needs_roll(row: ServiceRow, revision: str, module_name: str, doc: dict) -> bool:
    if (revision, module_name) != (row.package_revision, row.module_name):
        return True
    if any(doc.get(k) != row.doc.get(k) for k in service_spec.ROLLING_KEYS):
        return True
    old_runtime = {k: v for k, v in row.doc.get("runtime", {}).items()
                   if k not in service_spec.SCALING_KEYS}
    new_runtime = {k: v for k, v in doc["runtime"].items() if k not in service_spec.SCALING_KEYS}
    return old_runtime != new_runtime


def desired_replicas(row: ServiceRow) -> int:
    """How many replicas should run now, before any autoscaling: 0 when paused."""
    if not row.active:
        return 0
    return int(row.doc.get("runtime", {}).get("numReplicas", 1))
