"""Triggers repository: create (event or cron), get, list, update, delete, clone.

Requests (dtlpy-contract §3.8): ``POST /triggers``, ``GET|PATCH|DELETE /triggers/{id}``,
``POST /triggers/{id}/clone``, listing through ``POST /query/faas`` (resource
``triggers``), names through ``GET /piper-misc/naming/triggers/{name}``.
"""

from __future__ import annotations

import logging
from typing import Any

from .. import exceptions
from ..entities.base import to_jsonable
from ..entities.filters import Filters, FiltersResource
from ..entities.paged_entities import PagedEntities
from ..entities.trigger import (
    BaseTrigger,
    TriggerAction,
    TriggerExecutionMode,
    TriggerResource,
    TriggerType,
)

logger = logging.getLogger("conveyor")


class Triggers:
    """All I/O for triggers, scoped to ``service`` and/or ``project`` when given.

    Args:
        client_api: the ``ApiClient``.
        project: the project triggers are created in and listed for.
        service: the service triggers run (its project is used when ``project`` is None).
        project_id: a project id instead of ``project``.
        pipeline: accepted for dtlpy compatibility; pipelines are not supported yet.
    """

    def __init__(self, client_api: Any, project: Any = None, service: Any = None,
                 project_id: str | None = None, pipeline: Any = None) -> None:
        self._client_api = client_api
        self._service = service
        self._pipeline = pipeline
        if project is None and service is not None:
            project = service.project
        if project is None and project_id is not None:
            from ..entities.project import Project

            project = Project.from_json({"id": project_id}, client_api, is_fetched=False)
        self._project = project

    @property
    def project(self) -> Any:
        """The scoping project, or None."""
        return self._project

    @property
    def service(self) -> Any:
        """The scoping service.

        Raises:
            PlatformException: the repository has no service.
        """
        if self._service is None:
            raise exceptions.PlatformException(
                "400", 'Missing "service": use service.triggers or pass service=')
        return self._service

    def _entity(self, _json: dict) -> BaseTrigger:
        return BaseTrigger.from_json(_json, self._client_api, project=self._project,
                                     service=self._service)

    def _list(self, filters: Any) -> dict:
        return self._client_api.json("POST", "/query/faas", json=filters.prepare()) or {}

    def _build_entities_from_response(self, response_items: list) -> list[BaseTrigger]:
        return [self._entity(j) for j in response_items]

    # ----------------------------------------------------------------- create
    def create(self, service_id: str | None = None,
               trigger_type: TriggerType = TriggerType.EVENT, name: str | None = None,
               webhook_id: str | None = None, function_name: str = "run",
               project_id: str | None = None, active: bool = True, filters: Any = None,
               resource: TriggerResource = TriggerResource.ITEM, actions: Any = None,
               execution_mode: TriggerExecutionMode = TriggerExecutionMode.ONCE,
               start_at: str | None = None, end_at: str | None = None,
               inputs: dict | None = None, cron: str | None = None,
               pipeline_id: str | None = None, pipeline: Any = None,
               pipeline_node_id: str | None = None, root_node_namespace: str | None = None,
               **kwargs: Any) -> BaseTrigger:
        """Create an event trigger (``filters``, ``resource``, ``actions``,
        ``execution_mode``) or a cron trigger (``cron``, ``start_at``, ``end_at``).

        Both run ``function_name`` of the service (``service_id``, else the repository's
        service) with ``inputs`` (an event trigger adds the changed resource as the
        function's input of that type). ``name`` defaults to the service's name.

        Raises:
            BadRequest: no or several targets, a pipeline target, no project, or a field
                the server refuses (named: a bad filter, cron string, function, input...).
        """
        if pipeline_id is not None or pipeline is not None or (
                self._pipeline is not None and service_id is None and webhook_id is None):
            raise exceptions.BadRequest(message="pipeline triggers are not supported yet: "
                                                "Conveyor has no pipelines")
        if service_id is None and webhook_id is None and self._service is not None:
            service_id = self._service.id
        if (service_id is None) == (webhook_id is None):
            raise exceptions.BadRequest(message="Must provide only one of service id or "
                                                "webhook id")
        project_id = project_id or getattr(self._project, "id", None)
        if project_id is None:
            raise exceptions.BadRequest(message="project_id: required (no project)")
        payload = {"type": to_jsonable(trigger_type), "active": active, "projectId": project_id,
                   "name": name or getattr(self._service, "name", None) or "defaulttrigger",
                   "spec": self._spec(trigger_type, service_id, webhook_id, function_name,
                                      filters, resource, actions, execution_mode, start_at,
                                      end_at, inputs, cron)}
        if kwargs.get("scope") is not None:
            payload["scope"] = kwargs["scope"]
        return self._entity(self._client_api.json("POST", "/triggers", json=payload))

    @staticmethod
    def _spec(trigger_type, service_id, webhook_id, function_name, filters, resource, actions,
              execution_mode, start_at, end_at, inputs, cron) -> dict:
        if to_jsonable(trigger_type) == TriggerType.CRON.value:
            spec = {"endAt": end_at, "startAt": start_at, "cron": cron}
        elif to_jsonable(trigger_type) == TriggerType.EVENT.value:
            if isinstance(filters, Filters):
                filters = filters.prepare(query_only=True).get("filter", {})
            if actions is not None and not isinstance(actions, (list, tuple)):
                actions = [actions]
            spec = {"filter": filters or {}, "resource": resource or TriggerResource.ITEM,
                    "executionMode": execution_mode or TriggerExecutionMode.ONCE,
                    "actions": list(actions or []) or [TriggerAction.CREATED]}
        else:
            raise ValueError(f'Unknown trigger type: "{trigger_type}". Use dl.TriggerType')
        operation = ({"type": "webhook", "webhookId": webhook_id} if webhook_id is not None
                     else {"type": "function", "serviceId": service_id,
                           "functionName": function_name or "run"})
        return to_jsonable({**spec, "input": inputs or {}, "operation": operation})

    # ------------------------------------------------------------------- read
    def get(self, trigger_id: str | None = None, trigger_name: str | None = None) -> BaseTrigger:
        """A trigger by id, or by name within the project/service.

        Raises:
            NotFound: no trigger, or several, have the name; BadRequest: neither given.
        """
        if trigger_id is not None:
            trigger = self._entity(self._client_api.json("GET", f"/triggers/{trigger_id}"))
            if trigger_name is not None and trigger.name != trigger_name:
                logger.warning("triggers.get: trigger %s is named %r, not %r", trigger_id,
                               trigger.name, trigger_name)
            return trigger
        if trigger_name is None:
            raise exceptions.BadRequest(message="Must provide either trigger name or trigger id")
        filters = self._default_filters()
        filters.add(field="name", values=trigger_name)
        found = self.list(filters=filters)
        if found.items_count != 1:
            what = "Trigger not found" if found.items_count == 0 else \
                f"More than one trigger by name {trigger_name} exist"
            raise exceptions.NotFound(message=what)
        return found.items[0]

    def list(self, filters: Filters | None = None) -> PagedEntities:
        """Triggers of the project/service (or matching ``filters``).

        Raises:
            BadRequest: ``filters`` is not a triggers Filters.
        """
        if filters is None:
            filters = self._default_filters()
        elif not isinstance(filters, Filters):
            raise exceptions.BadRequest(message=f"Unknown filters type: {type(filters)!r}")
        if getattr(filters.resource, "value", filters.resource) != "triggers":
            raise exceptions.BadRequest(message="filters: resource must be triggers")
        paged = PagedEntities(client_api=self._client_api, page_offset=filters.page,
                              page_size=filters.page_size, filters=filters,
                              items_repository=self)
        paged.get_page()
        return paged

    def _default_filters(self) -> Filters:
        filters = Filters(resource=FiltersResource.TRIGGER)
        if self._project is not None:
            filters.add(field="projectId", values=self._project.id)
        if self._service is not None:
            filters.add(field="spec.operation.serviceId", values=self._service.id)
        return filters

    # ---------------------------------------------------------------- change
    def update(self, trigger: BaseTrigger) -> BaseTrigger:
        """Send the trigger's full JSON (``PATCH /triggers/{id}``); returns the result."""
        return self._entity(self._client_api.json("PATCH", f"/triggers/{trigger.id}",
                                                  json=trigger.to_json()))

    def delete(self, trigger_id: str | None = None, trigger_name: str | None = None) -> bool:
        """Delete a trigger by id or name; returns True.

        Raises:
            BadRequest: neither given; NotFound: no such trigger.
        """
        if trigger_id is None:
            if trigger_name is None:
                raise exceptions.BadRequest(
                    message="Must provide either trigger name or trigger id")
            trigger_id = self.get(trigger_name=trigger_name).id
        self._client_api.json("DELETE", f"/triggers/{trigger_id}")
        return True

    def clone(self, trigger_id: str, project_id: str, name: str | None = None) -> BaseTrigger:
        """A copy of the trigger in ``project_id`` (``POST /triggers/{id}/clone``)."""
        payload = {"projectId": project_id, **({"name": name} if name is not None else {})}
        return self._entity(self._client_api.json("POST", f"/triggers/{trigger_id}/clone",
                                                  json=payload))

    def name_validation(self, name: str) -> None:
        """Check a trigger name with the server.

        Raises:
            BadRequest: the name is not 1-63 lowercase letters, digits or dashes.
        """
        self._client_api.json("GET", f"/piper-misc/naming/triggers/{name}")

    def sync(self, declared: list[dict]) -> list[BaseTrigger]:
        """Create or update the service's triggers a package.json declares, by name.

        A declared trigger whose name the service has no trigger for is created; one that
        exists is updated when the declaration changes its JSON. Returns them in order.
        """
        existing = {t.name: t for t in self.list().all()}
        return [self._sync_one(entry, existing.get(entry.get("name"))) for entry in declared]

    def _sync_one(self, entry: dict, current: BaseTrigger | None) -> BaseTrigger:
        spec = entry.get("spec") or {}
        if current is None:
            return self.create(
                name=entry.get("name"), trigger_type=entry.get("type") or TriggerType.EVENT,
                function_name=(spec.get("operation") or {}).get("functionName") or "run",
                active=entry.get("active", True), filters=spec.get("filter"),
                resource=spec.get("resource"), actions=spec.get("actions"),
                execution_mode=spec.get("executionMode"), start_at=spec.get("startAt"),
                end_at=spec.get("endAt"), inputs=spec.get("input"), cron=spec.get("cron"),
                scope=entry.get("scope"))
        now = current.to_json()
        wanted = _merged(now, {k: v for k, v in entry.items() if k in ("active", "scope")})
        operation = {k: v for k, v in (spec.get("operation") or {}).items() if k != "serviceId"}
        wanted["spec"] = _merged(now["spec"], {**spec, "operation": operation})
        if wanted == now:
            return current
        return self.update(BaseTrigger.from_json(wanted, self._client_api,
                                                 project=self._project, service=self._service))


def _merged(base: dict, update: dict) -> dict:
    out = dict(base)
    for key, value in update.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) and key != "filter" else value
    return out


__all__ = ["Triggers"]
