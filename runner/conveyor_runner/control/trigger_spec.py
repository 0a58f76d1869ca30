"""Trigger bodies (dtlpy-contract §3.8): the wire shape checked field by field, normalised.

Event spec: ``{filter, resource, actions, executionMode, input, operation}``; cron spec:
``{cron, startAt, endAt, input, operation}``; ``operation`` is ``{type: "function",
serviceId, functionName}`` (webhook, rabbitmq and pipeline operations are refused).
``ItemStatus``, ``Task`` and ``Assignment`` triggers and the ``statusChanged`` action are
accepted but never fire yet: Conveyor has no tasks or item statuses.
"""

from __future__ import annotations

from conveyor_runner.control import cron_schedule
from conveyor_runner.control.dql import Node, parse_filter
from conveyor_runner.errors import InvalidInputError

TYPES = ("Event", "Cron")
RESOURCES = ("Item", "Dataset", "Annotation", "ItemStatus", "Task", "Assignment")
ACTIONS = ("Created", "Updated", "Deleted", "statusChanged", "Clone")
MODES = ("Once", "Always")
#: The function input type that receives the resource of an event.
INPUT_TYPES = {"Item": "Item", "ItemStatus": "Item", "Dataset": "Dataset",
               "Annotation": "Annotation", "Task": "Task", "Assignment": "Assignment"}


def trigger_type(value: object) -> str:
    """``Event`` (the default) or ``Cron``."""
    if value is None:
        return "Event"
    if value not in TYPES:
        raise InvalidInputError(f"type: unknown trigger type {value!r}; use Event or Cron",
                                "type")
    return value


def spec(kind: str, raw: object) -> dict:
    """The normalised spec of a trigger of type ``kind``.

    Raises:
        InvalidInputError / DqlError: the first bad field, named (``spec.actions[1]``).
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidInputError("spec: must be an object", "spec")
    common = {"input": _input(raw.get("input")), "operation": operation(raw.get("operation"))}
    if kind == "Cron":
        start, end = _stamp(raw.get("startAt"), "spec.startAt"), _stamp(raw.get("endAt"),
                                                                       "spec.endAt")
        if start and end and end <= start:
            raise InvalidInputError("spec.endAt: must be after spec.startAt", "spec.endAt")
        return {"cron": cron_schedule.check(raw.get("cron"), "spec.cron"), "startAt": start,
                "endAt": end, **common}
    filter_ = {} if raw.get("filter") is None else raw["filter"]
    event_filter(filter_)
    return {"filter": filter_, "resource": _choice(raw.get("resource"), RESOURCES, "Item",
                                                   "spec.resource"),
            "actions": _actions(raw.get("actions")),
            "executionMode": _choice(raw.get("executionMode"), MODES, "Once",
                                     "spec.executionMode"), **common}


def event_filter(raw: object) -> Node:
    """The parsed DQL filter of an event spec (``DqlError`` names ``spec.filter``)."""
    return parse_filter(raw, where="spec.filter")


def operation(raw: object) -> dict:
    """``{type: function, serviceId, functionName}`` (functionName defaults to ``run``)."""
    if not isinstance(raw, dict):
        raise InvalidInputError("spec.operation: required, {type: function, serviceId, "
                                "functionName}", "spec.operation")
    kind = raw.get("type", "function")
    if kind != "function":
        raise InvalidInputError(
            f"spec.operation.type: {kind!r} is not supported; Conveyor triggers run service "
            "functions (type: function)", "spec.operation.type")
    service_id = raw.get("serviceId")
    if not isinstance(service_id, str) or not service_id:
        raise InvalidInputError("spec.operation.serviceId: required", "spec.operation.serviceId")
    name = raw.get("functionName") or "run"
    if not isinstance(name, str):
        raise InvalidInputError("spec.operation.functionName: must be a string",
                                "spec.operation.functionName")
    return {"type": "function", "serviceId": service_id, "functionName": name}


def _choice(value: object, allowed: tuple[str, ...], default: str, field: str) -> str:
    if value is None:
        return default
    if value not in allowed:
        raise InvalidInputError(f"{field}: unknown value {value!r}; use one of "
                                f"{', '.join(allowed)}", field)
    return value


def _actions(value: object) -> list[str]:
    if value is None or value == []:
        return ["Created"]
    values = value if isinstance(value, list) else [value]
    for index, action in enumerate(values):
        if action not in ACTIONS:
            raise InvalidInputError(f"spec.actions[{index}]: unknown action {action!r}; use "
                                    f"one of {', '.join(ACTIONS)}", f"spec.actions[{index}]")
    return list(dict.fromkeys(values))


def _input(value: object) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInputError("spec.input: must be an object of input name -> value",
                                "spec.input")
    return value


def _stamp(value: object, field: str) -> str | None:
    if value in (None, ""):
        return None
    return cron_schedule.parse_moment(value, field)
