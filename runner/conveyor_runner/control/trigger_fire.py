"""Executions that triggers cause: their input, ``eventContext`` and ``event``.

Input of an event trigger's execution: the trigger's ``spec.input`` plus the event's
resource as the function's first input of the matching type, in dtlpy's id-dict form
(``{"item": {"item_id": ..., "dataset_id": ...}}``). The resource input is not looked up
again (a ``Deleted`` event's resource is gone); the other inputs are checked as for any
execution. A cron trigger's execution gets ``spec.input`` only.

Both record ``triggerId`` and an ``eventContext`` on the execution (``Context.event`` in the
function); event-born executions also carry dtlpy's ``event`` (``body``, ``context``,
``event``). When a trigger can no longer create its execution (the function or an input
was changed by a service update), the event is skipped for that trigger and the reason is
kept as the trigger's ``lastError``.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from conveyor_runner.control import executions as ledger
from conveyor_runner.control.package_spec import find_function
from conveyor_runner.control.trigger_index import TriggerView
from conveyor_runner.control.trigger_spec import INPUT_TYPES
from conveyor_runner.errors import RequestError
from conveyor_runner.ids import now_iso
from conveyor_runner.store import packages
from conveyor_runner.store import triggers as trigger_store
from conveyor_runner.store.tables import EventRow, ExecutionRow, ServiceRow

log = logging.getLogger(__name__)

_COLLECTIONS = {"Item": "items", "Dataset": "datasets", "Annotation": "annotations"}
_DECLARED = "conveyor.triggers.declared"  # session.info key: one lookup per transaction


def declared_inputs(session: Session, service: ServiceRow, function_name: str) -> list | None:
    """The declared inputs of the service's function (None if it has no such function).

    Remembered for the rest of the transaction (a batch of events asks many times).
    """
    key = (service.package_id, service.package_revision, service.module_name, function_name)
    known = session.info.setdefault(_DECLARED, {})
    if key not in known:
        modules = packages.revision(session, service.package_id,
                                    service.package_revision).doc.get("modules", [])
        function = find_function(modules, service.module_name, function_name)
        known[key] = None if function is None else function.get("input", [])
    return known[key]


def resource_input(declared: list, resource: str) -> str | None:
    """The name of the first input that receives ``resource`` (e.g. type Item), or None."""
    wanted = INPUT_TYPES.get(resource)
    return next((io["name"] for io in declared if io.get("type") == wanted), None)


def resource_value(event: EventRow) -> dict:
    """The event's resource as dtlpy's id dict."""
    if event.resource == "Dataset":
        return {"dataset_id": event.resource_id}
    if event.resource == "Annotation":
        return {"annotation_id": event.resource_id, "item_id": event.snapshot.get("item_id"),
                "dataset_id": event.dataset_id}
    return {"item_id": event.resource_id, "dataset_id": event.dataset_id}


def fire_event(session: Session, trigger: TriggerView, service: ServiceRow, event: EventRow,
               body: dict, user_id: str | None) -> ExecutionRow | None:
    """Create the execution an event causes for a matching trigger (None if it cannot)."""
    spec = trigger.spec
    declared = declared_inputs(session, service, spec["operation"]["functionName"])
    name = resource_input(declared or [], spec["resource"])
    if name is None:
        _failed(session, trigger, f"spec.operation.functionName: function "
                         f"{spec['operation']['functionName']!r} of service {service.name} "
                         f"has no {INPUT_TYPES[spec['resource']]} input", event.resource_id)
        return None
    context = {"type": "event", "source": "event", "triggerId": trigger.id,
               "resource": event.resource, "action": event.action,
               "resourceId": event.resource_id, "projectId": event.project_id,
               "datasetId": event.dataset_id, "userId": user_id, "body": body}
    document = {"body": body, "event": {"action": event.action,
                                        "resource": _COLLECTIONS[event.resource]},
                "context": {"project": event.project_id, "dataset": event.dataset_id,
                            "user": user_id, "trigger": trigger.id}}
    return _create(session, trigger, service, {name: resource_value(event)},
                   {"triggerId": trigger.id, "eventContext": context, "event": document},
                   event.resource_id)


def fire_cron(session: Session, trigger: TriggerView, service: ServiceRow, slot: str,
              slots: int) -> ExecutionRow | None:
    """Create the execution of one cron slot (``slots`` > 1: that many were due at once)."""
    spec = trigger.spec
    context = {"type": "cron", "source": "cron", "triggerId": trigger.id, "resource": "Cron",
               "action": "Fired", "resourceId": trigger.id, "projectId": trigger.project_id,
               "datasetId": None, "userId": trigger.creator_id,
               "body": {"cron": spec["cron"], "slot": slot, "firedAt": now_iso(),
                        "missedSlots": max(slots - 1, 0)}}
    return _create(session, trigger, service, None,
                   {"triggerId": trigger.id, "eventContext": context}, trigger.id)


def _create(session: Session, trigger: TriggerView, service: ServiceRow, trusted: dict | None,
            extra: dict, about: str) -> ExecutionRow | None:
    spec = trigger.spec
    try:
        return ledger.create(session, service.bot_id or trigger.creator_id, trigger.creator,
                             service, spec["operation"]["functionName"], dict(spec["input"]),
                             extra, trusted=trusted)
    except RequestError as exc:
        _failed(session, trigger, exc.message, about)
        return None


def _failed(session: Session, trigger: TriggerView, message: str, about: str) -> None:
    log.warning("trigger %s could not create an execution for %s: %s", trigger.id, about,
                message)
    trigger_store.record_error(session, trigger.id, {"message": message, "resourceId": about,
                                                     "timestamp": now_iso()})
