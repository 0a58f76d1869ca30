"""Trigger decisions: create, update (full-object PATCH) and clone.

A trigger is checked against its target when it is written: the service must be in the
trigger's project, the function must exist, an event trigger's function must take the
resource (an ``Item`` input for an Item trigger, ...), and ``spec.input`` must satisfy the
function's other inputs. A cron trigger's next slot is computed from the scheduler's clock
when it is created, re-scheduled or re-activated (not for the time it was inactive).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from conveyor_runner.control import cron_schedule, trigger_spec
from conveyor_runner.control.auth import Principal
from conveyor_runner.control.execution_inputs import check_inputs
from conveyor_runner.control.package_spec import check_name
from conveyor_runner.control.trigger_fire import declared_inputs, resource_input
from conveyor_runner.errors import InvalidInputError, NotFoundError
from conveyor_runner.ids import now_iso, parse_iso, to_iso
from conveyor_runner.store import projects, services, triggers
from conveyor_runner.store.tables import ServiceRow, TriggerRow

_SCHEDULE_KEYS = ("cron", "startAt", "endAt")


def create(session: Session, principal: Principal, body: dict, now: datetime) -> TriggerRow:
    """Create an event or cron trigger from a dtlpy ``POST /triggers`` body.

    Raises:
        InvalidInputError / DqlError: a bad field, named.
        NotFoundError: the project is not visible to the caller.
    """
    kind = trigger_spec.trigger_type(body.get("type"))
    project_id = body.get("projectId")
    if not isinstance(project_id, str) or not project_id:
        raise InvalidInputError("projectId: required", "projectId")
    projects.visible_project(session, project_id, principal.user_id)
    spec = trigger_spec.spec(kind, body.get("spec"))
    service = _checked_target(session, principal, project_id, kind, spec)
    active = _flag(body.get("active"), True)
    return triggers.create(
        session, project_id=project_id, service_id=service.id,
        name=check_name(body.get("name") or service.name), type=kind, active=active,
        creator=principal.email, creator_id=principal.user_id, updated_by=principal.email,
        next_fire_at=_first_slot(kind, spec, active, now),
        doc={"spec": spec, "scope": body.get("scope") or "project"})


def update(session: Session, principal: Principal, row: TriggerRow, body: dict,
           now: datetime) -> TriggerRow:
    """Apply a PATCH: ``name``, ``active`` and ``spec`` (merged over the current spec).

    Raises:
        InvalidInputError / DqlError: a bad field, or an attempt to change ``type``.
    """
    if body.get("type") not in (None, row.type):
        raise InvalidInputError(f"type: a trigger's type cannot change (it is {row.type})",
                                "type")
    raw = body.get("spec")
    if raw is not None and not isinstance(raw, dict):
        raise InvalidInputError("spec: must be an object", "spec")
    spec = trigger_spec.spec(row.type, {**row.doc["spec"], **(raw or {})})
    service = _checked_target(session, principal, row.project_id, row.type, spec)
    active = _flag(body.get("active"), row.active)
    rescheduled = any(spec.get(k) != row.doc["spec"].get(k) for k in _SCHEDULE_KEYS)
    if rescheduled or active != row.active:
        row.next_fire_at = _first_slot(row.type, spec, active, now)
    if body.get("name") is not None:
        row.name = check_name(body["name"])
    doc = dict(row.doc)
    if spec != doc["spec"]:
        doc.pop("lastError", None)  # the error was about the previous spec
    row.doc = {**doc, "spec": spec}
    row.service_id, row.active = service.id, active
    _touch(row, principal.email)
    return row


def _touch(row: TriggerRow, actor: str) -> None:
    # Strictly increasing, even for two updates within a millisecond: the trigger engine
    # reloads a project's triggers when an (id, updatedAt) pair changes.
    stamp = now_iso()
    if stamp <= row.updated_at:
        stamp = to_iso(parse_iso(row.updated_at) + timedelta(milliseconds=1))
    row.updated_at, row.updated_by = stamp, actor


def clone(session: Session, principal: Principal, row: TriggerRow, body: dict,
          now: datetime) -> TriggerRow:
    """A copy of the trigger (``templateTriggerId`` names the original) in its project.

    Raises:
        InvalidInputError: ``projectId`` names another project (the copy would target a
            service outside its project).
    """
    project_id = body.get("projectId") or row.project_id
    if project_id != row.project_id:
        raise InvalidInputError(
            f"projectId: a clone must stay in the trigger's project {row.project_id}: its "
            "service is there (create a trigger for a service of the other project instead)",
            "projectId")
    copy = create(session, principal, {
        "type": row.type, "projectId": project_id, "name": body.get("name") or row.name,
        "active": row.active, "spec": row.doc["spec"], "scope": row.doc.get("scope")}, now)
    copy.doc = {**copy.doc, "templateTriggerId": row.id}
    return copy


def _checked_target(session: Session, principal: Principal, project_id: str, kind: str,
                    spec: dict) -> ServiceRow:
    operation = spec["operation"]
    try:
        service = services.visible_service(session, operation["serviceId"], principal.user_id)
    except NotFoundError:
        service = None
    if service is None or service.project_id != project_id:
        raise InvalidInputError(f"spec.operation.serviceId: service {operation['serviceId']} "
                                f"not found in project {project_id}", "spec.operation.serviceId")
    declared = declared_inputs(session, service, operation["functionName"])
    if declared is None:
        raise InvalidInputError(f"spec.operation.functionName: service {service.name} has no "
                                f"function {operation['functionName']!r}",
                                "spec.operation.functionName")
    if kind == "Event":
        name = resource_input(declared, spec["resource"])
        if name is None:
            raise InvalidInputError(
                f"spec.operation.functionName: function {operation['functionName']!r} needs "
                f"an input of type {trigger_spec.INPUT_TYPES[spec['resource']]} to receive "
                f"the {spec['resource']} of the event", "spec.operation.functionName")
        declared = [io for io in declared if io["name"] != name]
    try:
        check_inputs(session, principal.user_id, declared, spec["input"])
    except InvalidInputError as exc:
        raise InvalidInputError(f"spec.{exc.message}", f"spec.{exc.field}") from None
    return service


def _first_slot(kind: str, spec: dict, active: bool, now: datetime) -> str | None:
    if kind != "Cron" or not active:
        return None
    return cron_schedule.first_slot(spec["cron"], now, spec["startAt"], spec["endAt"])


def _flag(value: object, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidInputError("active: must be true or false", "active")
    return value
