"""Trigger entities: event triggers (``Trigger``) and cron triggers (``CronTrigger``).

The wire JSON keeps the trigger's settings under ``spec`` (dtlpy-contract §3.8, §4.7);
the entities expose them as attributes (``filters``, ``actions``, ``cron``, ``input``,
``function_name``, ...) and ``to_json()`` re-assembles ``spec`` from those attributes, so
``trigger.actions = [...]; trigger.update()`` sends a complete, current spec.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from .base import BaseEntity, Field, InProject, Timestamped, to_jsonable


class TriggerResource(str, Enum):
    """What an event trigger watches (ItemStatus, Task, Assignment never fire yet)."""

    ITEM = "Item"
    DATASET = "Dataset"
    ANNOTATION = "Annotation"
    TASK = "Task"
    ASSIGNMENT = "Assignment"
    ITEM_STATUS = "ItemStatus"


class TriggerAction(str, Enum):
    """The change an event trigger reacts to (statusChanged never fires yet)."""

    CREATED = "Created"
    UPDATED = "Updated"
    DELETED = "Deleted"
    STATUS_CHANGED = "statusChanged"
    CLONE = "Clone"


class TriggerExecutionMode(str, Enum):
    """``Once`` per resource, or ``Always`` (every matching event)."""

    ONCE = "Once"
    ALWAYS = "Always"


class TriggerType(str, Enum):
    """Event or cron trigger."""

    EVENT = "Event"
    CRON = "Cron"


#: Attributes read from ``spec``/``spec.operation`` rather than from top-level keys.
_SPEC_VALUES = ("input", "function_name", "service_id", "webhook_id", "pipeline_id", "spec",
                "operation", "op_type")


class BaseTrigger(InProject, Timestamped, BaseEntity):
    """What event and cron triggers share: identity, state and the target function.

    ``from_json`` on this class returns a ``CronTrigger`` for ``type: Cron`` and a
    ``Trigger`` otherwise.
    """

    _repr_fields = ("id", "name", "type", "active")

    id = Field("id")
    url = Field("url")
    created_at = Field("createdAt")
    updated_at = Field("updatedAt")
    creator = Field("creator")
    name = Field("name")
    active = Field("active")
    type = Field("type")
    scope = Field("scope")
    is_global = Field("global")
    special = Field("special")
    project_id = Field("projectId")
    updated_by = Field("updatedBy")
    template = Field("template")
    template_trigger_id = Field("templateTriggerId")
    locked = Field("locked")
    app_paused = Field("appPaused")
    app = Field("app")
    org_id = Field("orgId")

    def __init__(self, client_api: Any = None, platform_dict: dict | None = None,
                 is_fetched: bool = True, service: Any = None, project: Any = None,
                 repositories: Any = None, op_type: str = "service", input: Any = None,
                 function_name: str | None = None, service_id: str | None = None,
                 webhook_id: str | None = None, pipeline_id: str | None = None,
                 spec: dict | None = None, operation: dict | None = None, **values: Any):
        super().__init__(client_api=client_api, platform_dict=platform_dict,
                         is_fetched=is_fetched, **values)
        self._service, self._project = service, project
        self.op_type = op_type
        self.input = input
        self.function_name = function_name
        self.service_id, self.webhook_id, self.pipeline_id = service_id, webhook_id, pipeline_id
        self._spec = spec if spec is not None else {}
        self.operation = operation if operation is not None else {}

    # ------------------------------------------------------------------- json
    @classmethod
    def from_json(cls, _json: dict, client_api: Any, project: Any = None,
                  service: Any = None) -> BaseTrigger:
        """Build a Trigger or CronTrigger from the server's JSON.

        ``project``/``service`` are kept only when they are the trigger's own.

        Raises:
            BadRequest: ``spec.operation.type`` is not function, webhook, rabbitmq or
                pipeline (as dtlpy).
        """
        kind = CronTrigger if _json.get("type") == TriggerType.CRON.value else Trigger
        if cls not in (BaseTrigger, kind):
            kind = cls
        spec = _json.get("spec") or {}
        if project is not None and project.id != _json.get("projectId"):
            project = None
        if service is not None and service.id != (spec.get("operation") or {}).get("serviceId"):
            service = None
        return kind._build(_json, client_api, service=service, project=project,
                           **kind._spec_values(spec))

    @classmethod
    def _build(cls, _json: dict, client_api: Any, is_fetched: bool = True, **extra: Any):
        if not isinstance(_json, dict):
            raise TypeError(f"{cls.__name__}.from_json: _json must be a dict")
        return cls(client_api=client_api, platform_dict=_json, is_fetched=is_fetched,
                   **cls._values_from_json(_json), **extra)

    @classmethod
    def _spec_values(cls, spec: dict) -> dict:
        operation = dict(spec.get("operation") or {})
        kind = operation.get("type")
        if kind not in (None, "function", "webhook", "rabbitmq", "pipeline"):
            from .. import exceptions

            raise exceptions.BadRequest(message=f"unknown trigger operation type: {kind}")
        return {"spec": dict(spec), "operation": operation, "op_type": kind,
                "input": spec.get("input"), "function_name": operation.get("functionName"),
                "service_id": operation.get("serviceId") if kind == "function" else None,
                "webhook_id": operation.get("webhookId") if kind == "webhook" else None,
                "pipeline_id": operation.get("id") if kind == "pipeline" else None}

    def to_json(self) -> dict:
        """Platform JSON; ``spec`` is rebuilt from the attributes (a complete spec)."""
        out = super().to_json()
        out["spec"] = {**self._spec, **self._spec_json(), "input": to_jsonable(self.input),
                       "operation": self._operation_json()}
        return out

    def _spec_json(self) -> dict:
        return {}

    def _operation_json(self) -> dict:
        operation = dict(self.operation or {})
        if self.op_type == "webhook" or (self.webhook_id and not self.service_id):
            operation.update({"type": "webhook", "webhookId": self.webhook_id})
        elif self.op_type == "pipeline":
            operation.update({"type": "pipeline", "id": self.pipeline_id})
        else:
            operation.update({"type": "function", "serviceId": self.service_id,
                              "functionName": self.function_name})
        return operation

    @property
    def spec(self) -> dict:
        """The spec as received (``to_json()['spec']`` has the current values)."""
        return self._spec

    # -------------------------------------------------------------- relations
    @property
    def service(self) -> Any:
        """The target Service (``GET /services/{id}`` on first use)."""
        if self._service is None and self.service_id:
            from ..repositories.services import Services

            self._service = Services(self._client_api).get(service_id=self.service_id)
        return self._service

    @property
    def triggers(self):
        """Triggers repository of the trigger's project."""
        from ..repositories.triggers import Triggers

        return self._relation("triggers", lambda: Triggers(self._client_api,
                                                           project=self.project))

    @property
    def services(self):
        """Services repository of the trigger's project."""
        from ..repositories.services import Services

        return self._relation("services", lambda: Services(self._client_api,
                                                           project=self.project))

    # ---------------------------------------------------------------- actions
    def update(self) -> BaseTrigger:
        """Send the trigger (``PATCH /triggers/{id}``); returns the updated trigger."""
        return self.triggers.update(trigger=self)

    def delete(self) -> bool:
        """Delete the trigger (its executions stay); returns True."""
        return self.triggers.delete(trigger_id=self.id)

    def clone(self, project_id: str, name: str | None = None) -> BaseTrigger:
        """A copy of this trigger in ``project_id`` (its own project; see the server)."""
        return self.triggers.clone(trigger_id=self.id, project_id=project_id, name=name)


class Trigger(BaseTrigger):
    """An event trigger: runs the function when a matching resource changes.

    Attributes (besides BaseTrigger's): ``filters`` (the DQL filter dict), ``actions``
    (list), ``resource`` and ``execution_mode``.
    """

    def __init__(self, *args: Any, filters: Any = None,
                 execution_mode: Any = TriggerExecutionMode.ONCE,
                 actions: Any = TriggerAction.CREATED, resource: Any = TriggerResource.ITEM,
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.filters = filters if filters is not None else {}
        self.execution_mode, self.actions, self.resource = execution_mode, actions, resource

    @classmethod
    def _spec_values(cls, spec: dict) -> dict:
        return {**super()._spec_values(spec), "filters": spec.get("filter") or {},
                "execution_mode": spec.get("executionMode"), "actions": spec.get("actions"),
                "resource": spec.get("resource")}

    def _spec_json(self) -> dict:
        filters = self.filters
        if hasattr(filters, "prepare"):
            filters = filters.prepare(query_only=True).get("filter", {})
        actions = self.actions
        if actions is not None and not isinstance(actions, (list, tuple)):
            actions = [actions]
        return {"filter": to_jsonable(filters), "executionMode": to_jsonable(self.execution_mode),
                "resource": to_jsonable(self.resource), "actions": to_jsonable(actions)}


class CronTrigger(BaseTrigger):
    """A cron trigger: runs the function with ``input`` on a five-field cron schedule,
    between ``start_at`` and ``end_at`` (ISO strings, optional)."""

    def __init__(self, *args: Any, start_at: Any = None, end_at: Any = None, cron: Any = None,
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.start_at, self.end_at, self.cron = start_at, end_at, cron

    @classmethod
    def from_json(cls, _json: dict, client_api: Any, project: Any = None,
                  service: Any = None) -> CronTrigger:
        """Build a CronTrigger from the server's JSON (``id`` is required, as in dtlpy)."""
        if "id" not in _json:
            raise KeyError("id")
        return super().from_json(_json, client_api, project=project, service=service)

    @classmethod
    def _spec_values(cls, spec: dict) -> dict:
        return {**super()._spec_values(spec), "start_at": spec.get("startAt"),
                "end_at": spec.get("endAt"), "cron": spec.get("cron")}

    def _spec_json(self) -> dict:
        return {"startAt": self.start_at, "endAt": self.end_at, "cron": self.cron}

    @property
    def next_fire_at(self) -> str | None:
        """When the schedule fires next (Conveyor's ``nextFireAt``; None when done/inactive)."""
        return self._json.get("nextFireAt")


__all__ = ["BaseTrigger", "CronTrigger", "Trigger", "TriggerAction", "TriggerExecutionMode",
           "TriggerResource", "TriggerType"]
