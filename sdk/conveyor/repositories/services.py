"""Services repository: deploy, get, list, update, delete, pause/resume, status, logs."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from .. import exceptions
from ..entities.filters import Filters, FiltersResource
from ..entities.package_function import FunctionIO
from ..entities.paged_entities import PagedEntities
from ..entities.project import Project
from ..entities.runtime import KubernetesRuntime
from ..entities.service import Service
from ..entities.service_log import ServiceLog

logger = logging.getLogger("conveyor")


class Services:
    """All I/O for services, scoped to ``project`` and/or ``package`` when given.

    Args:
        client_api: the ``ApiClient``.
        project: the project whose services are listed (else the checked-out project).
        package: the package whose services are listed and deployed.
        project_id: accepted for dtlpy compatibility (``project`` is used).
    """

    def __init__(self, client_api: Any, project: Project | None = None, package: Any = None,
                 project_id: str | None = None) -> None:
        self._client_api = client_api
        self._project = project
        self._package = package

    @property
    def project(self) -> Project | None:
        """The scoping project: the one given, the package's, the checked-out one, or None."""
        if self._project is not None:
            return self._project
        if self._package is not None and self._package.project is not None:
            return self._package.project
        state = self._client_api.state.get("project")
        return Project.from_json(state, self._client_api) if state is not None else None

    @property
    def package(self) -> Any:
        """The scoping package, or None."""
        return self._package

    def _entity(self, _json: dict) -> Service:
        return Service.from_json(_json, self._client_api, package=self._package,
                                 project=self._project)

    def _get_json(self, service_id: str) -> dict:
        return self._client_api.json("GET", f"/services/{service_id}")

    def _list(self, filters: Any) -> dict:
        return self._client_api.json("POST", "/query/faas", json=filters.prepare()) or {}

    def _build_entities_from_response(self, response_items: list) -> list[Service]:
        return [self._entity(j) for j in response_items]

    def _id_of(self, service_id: str | None, service_name: str | None, what: str) -> str:
        if service_id is not None:
            return service_id
        if service_name is None:
            raise exceptions.BadRequest(message=f"service_id or service_name: one is required "
                                                f"to {what}")
        return self.get(service_name=service_name).id

    # ------------------------------------------------------------------- read
    def get(self, service_name: str | None = None, service_id: str | None = None,
            checkout: bool = False, fetch: bool | None = None, log_error: bool = True) -> Service:
        """A service by id, by name (within the project/package), or the checked-out one.

        Raises:
            NotFound: none, or several, match the name; BadRequest: nothing identifies one.
        """
        if service_id is not None and fetch is False:
            service = Service.from_json({"id": service_id}, self._client_api,
                                        package=self._package, project=self._project,
                                        is_fetched=False)
        elif service_id is not None:
            service = self._entity(self._get_json(service_id))
        elif service_name is not None:
            filters = Filters(resource=FiltersResource.SERVICE, use_defaults=False)
            filters.add(field="name", values=service_name)
            found = self.list(filters=filters)
            if found.items_count != 1:
                what = "not found" if found.items_count == 0 else "matches several services"
                raise exceptions.NotFound(message=f"Service {what}. name: {service_name!r}")
            service = found.items[0]
        else:
            state = self._client_api.state.get("service")
            if state is None:
                raise exceptions.BadRequest(message=(
                    "service_id or service_name: one is required (no checked-out service)"))
            service = self._entity(state)
        if checkout:
            self.checkout(service=service)
        return service

    def list(self, filters: Filters | None = None) -> PagedEntities:
        """Services matching ``filters`` (default: non-global), within the project/package.

        Raises:
            BadRequest: ``filters`` is not for the services resource.
        """
        filters = filters or Filters(resource=FiltersResource.SERVICE)
        if getattr(filters.resource, "value", filters.resource) != "services":
            raise exceptions.BadRequest(message="filters: resource must be services")
        if self.project is not None and not filters.has_field("projectId"):
            filters.add(field="projectId", values=self.project.id)
        if self._package is not None and not filters.has_field("packageId"):
            filters.add(field="packageId", values=self._package.id)
        paged = PagedEntities(client_api=self._client_api, page_offset=filters.page,
                              page_size=filters.page_size, filters=filters,
                              items_repository=self)
        paged.get_page()
        return paged

    def revisions(self, service: Service | None = None, service_id: str | None = None) -> list:
        """Revision history JSON (``GET /services/{id}/revisions``)."""
        if service is None and service_id is None:
            raise exceptions.BadRequest(message="service or service_id: one is required")
        return self._client_api.json("GET", f"/services/{service_id or service.id}/revisions")

    def status(self, service_name: str | None = None, service_id: str | None = None) -> dict:
        """``{replicas, desired, status, queued, error, scaling}`` of the service."""
        service_id = self._id_of(service_id, service_name, "get its status")
        return self._client_api.json("GET", f"/services/{service_id}/status")

    # ----------------------------------------------------------------- changes
    def update(self, service: Service, force: bool = False) -> Service:
        """Send the full service JSON (``PATCH /services/{id}[?force=true]``)."""
        path = f"/services/{service.id}" + ("?force=true" if force else "")
        return self._entity(self._client_api.json("PATCH", path, json=service.to_json()))

    def delete(self, service_name: str | None = None, service_id: str | None = None,
               force: bool = False) -> bool:
        """Delete a service; its unfinished executions end ``canceled``. Returns True."""
        service_id = self._id_of(service_id, service_name, "delete it")
        self._client_api.request("DELETE", f"/services/{service_id}"
                                 + ("?force=true" if force else ""))
        return True

    def pause(self, service_name: str | None = None, service_id: str | None = None,
              force: bool = False) -> bool:
        """Stop the replicas; queued executions stay queued. Returns True."""
        service_id = self._id_of(service_id, service_name, "pause it")
        self._client_api.request("POST", f"/services/{service_id}/stop"
                                 + ("?force=true" if force else ""))
        return True

    def resume(self, service_name: str | None = None, service_id: str | None = None,
               force: bool = False) -> Any:
        """Resume a paused service; returns the server's answer."""
        service_id = self._id_of(service_id, service_name, "resume it")
        return self._client_api.json("POST", f"/services/{service_id}/resume"
                                     + ("?force=true" if force else ""))

    def restart(self, service: Service, replica_name: str | None = None) -> Any:
        """Replace the service's replicas (``POST /services/{id}/restart``)."""
        body = {"replicaName": replica_name} if replica_name else {}
        return self._client_api.json("POST", f"/services/{service.id}/restart", json=body)

    def dead_letters(self, service: Service) -> list[dict]:
        """Messages of the service's queue that could not be processed, with their reasons
        (``GET /services/{id}/dead-letters``): ``[{messageId, reason, deadAt, body}]``."""
        return self._client_api.json("GET", f"/services/{service.id}/dead-letters")

    def redrive(self, service: Service, message_id: str | None = None) -> int:
        """Move the service's dead letters (or the one of ``message_id``) back to its queue;
        returns how many moved."""
        body = {"messageId": message_id} if message_id else {}
        reply = self._client_api.json("POST", f"/services/{service.id}/dead-letters/redrive",
                                      json=body)
        return int(reply["redriven"])

    def checkout(self, service: Service | None = None, service_id: str | None = None,
                 service_name: str | None = None) -> None:
        """Remember a service as the default of ``get()`` (``.conveyor/state.json``)."""
        if service is None:
            service = self.get(service_id=service_id, service_name=service_name)
        self._client_api.state.put("service", service.to_json())

    def name_validation(self, name: str) -> None:
        """Check a service name with the server (``GET /piper-misc/naming/services/{name}``).

        Raises:
            BadRequest: the name is invalid (the message says why).
        """
        self._client_api.json("GET", f"/piper-misc/naming/services/{name}")

    # ------------------------------------------------------------------ deploy
    def deploy(self, service_name: str | None = None, package: Any = None, bot: Any = None,
               revision: str | None = None, init_input: Any = None, runtime: Any = None,
               pod_type: Any = None, sdk_version: str | None = None,
               agent_versions: dict | None = None, verify: bool = True, checkout: bool = False,
               module_name: str | None = None, project_id: str | None = None,
               driver_id: str | None = None, func: Any = None,
               run_execution_as_process: bool | None = None,
               execution_timeout: int | None = None, drain_time: int | None = None,
               max_attempts: int | None = None, on_reset: str | None = None,
               force: bool = False, secrets: list | None = None,
               integrations: list | None = None, active: bool = True, **kwargs: Any) -> Service:
        """Create the service, or update the one of that name (dtlpy-contract §3.6).

        Name: ``service_name``, else ``package.serviceConfig.name``, else the package name.
        An existing service gets the given runtime, init inputs, revision, versions,
        driver, secrets, integrations *and* execution settings, then ``PATCH``; a new one
        is created with ``POST /services``. ``bot`` and ``verify`` are ignored (the server
        assigns each service its own bot).

        Raises:
            BadRequest: no package or project, bad ``init_input``, or settings the server
                refuses (named); NotImplementedError: ``func`` deployment.
        """
        if func is not None:
            raise NotImplementedError("deploy(func=...) is not supported; push a package")
        package = package if package is not None else self._package
        if package is None:
            raise exceptions.BadRequest(message="package: required to deploy a service")
        name = service_name or (package.service_config or {}).get("name") or package.name
        project_id = project_id or package.project_id or getattr(self.project, "id", None)
        if project_id is None:
            raise exceptions.BadRequest(message="project_id: required to deploy a service")
        settings = _settings(
            runtime=_runtime_json(runtime, pod_type), initParams=_init_params(init_input),
            packageRevision=revision,
            versions=agent_versions or ({"dtlpy": sdk_version} if sdk_version else None),
            driverId=driver_id, secrets=_as_list(secrets), integrations=_as_list(integrations),
            moduleName=module_name, maxAttempts=max_attempts,
            runExecutionAsProcess=run_execution_as_process, drainTime=drain_time,
            onReset=on_reset, executionTimeout=execution_timeout,
            useUserJwt=kwargs.get("jwt_forward"), **{"global": kwargs.get("is_global")})
        existing = self._find(name, project_id, package.id)
        if existing is not None:
            service = self._redeploy(existing, settings, force)
        else:
            body = {"name": name, "projectId": project_id, "packageId": package.id,
                    "active": active, "packageRevision": package.version, **settings}
            answer = self._client_api.json("POST", "/services", json=body)
            service = Service.from_json(answer, self._client_api, package=package,
                                        project=self._project)
        if checkout:
            self.checkout(service=service)
        return service

    def _find(self, name: str, project_id: str, package_id: str) -> Service | None:
        filters = Filters(resource=FiltersResource.SERVICE, use_defaults=False)
        for field, value in (("name", name), ("projectId", project_id),
                             ("packageId", package_id)):
            filters.add(field=field, values=value)
        found = PagedEntities(client_api=self._client_api, page_offset=0, page_size=2,
                              filters=filters, items_repository=self)
        found.get_page()
        return found.items[0] if found.items else None

    def _redeploy(self, service: Service, settings: dict, force: bool) -> Service:
        body = service.to_json()
        for key, value in settings.items():
            if key == "runtime" and isinstance(body.get("runtime"), dict):
                value = {**body["runtime"], **value}
            body[key] = value
        path = f"/services/{service.id}" + ("?force=true" if force else "")
        return self._entity(self._client_api.json("PATCH", path, json=body))

    # --------------------------------------------------------------- execute/log
    def execute(self, service: Service | None = None, service_id: str | None = None,
                service_name: str | None = None, sync: bool = False,
                function_name: str | None = None, stream_logs: bool = False,
                execution_input: Any = None, resource: Any = None, item_id: str | None = None,
                dataset_id: str | None = None, annotation_id: str | None = None,
                project_id: str | None = None, return_output: bool = False):
        """Run a function of a service (see ``Executions.create``)."""
        if service is None:
            service = self.get(service_id=service_id, service_name=service_name)
        return service.executions.create(
            sync=sync, function_name=function_name, stream_logs=stream_logs,
            execution_input=execution_input, resource=resource, item_id=item_id,
            dataset_id=dataset_id, annotation_id=annotation_id, project_id=project_id,
            return_output=return_output)

    def log(self, service: Service, size: int | None = 100, checkpoint: Any = None,
            start: str | None = None, end: str | None = None, follow: bool = False,
            text: str | None = None, execution_id: str | None = None,
            function_name: str | None = None, replica_id: str | None = None,
            system: bool = False, view: bool = True, until_completed: bool = True,
            log_level: str = "DEBUG", model_id: str | None = None,
            model_operation: str | None = None, project_id: str | None = None):
        """Service log lines (``POST /services/logs``, paged by ``checkpoint``).

        Returns:
            A ``ServiceLog`` (iterate it for ``"<timestamp>: <message>"`` lines) when
            ``view`` is False. With ``view`` the lines are printed — following new ones
            when ``follow`` — until the server says ``stop`` or, with
            ``until_completed``, until a ``[Done] Executing function.`` line; None.
        """
        fetch, start = self._log_fetcher(
            service, size=size, start=start, end=end, follow=follow, text=text,
            execution_id=execution_id, function_name=function_name, replica_id=replica_id,
            system=system, log_level=log_level, model_id=model_id,
            model_operation=model_operation, project_id=project_id)
        service_log = ServiceLog(fetch(checkpoint), fetch, start=start)
        if not view:
            return service_log
        service_log.view(until_completed=until_completed)
        return None

    def _log_fetcher(self, service: Service | None, *, size: int | None = 100,
                     start: str | None = None, end: str | None = None, follow: bool = False,
                     text: str | None = None, execution_id: str | None = None,
                     function_name: str | None = None, replica_id: str | None = None,
                     system: bool = False, log_level: str = "DEBUG",
                     model_id: str | None = None, model_operation: str | None = None,
                     project_id: str | None = None):
        """``(fetch(checkpoint) -> page JSON, start)`` for ``POST /services/logs``; no request
        is sent until ``fetch`` is called."""
        if service is None and model_id is None:
            raise exceptions.BadRequest(message="service: required (or model_id)")
        start = start or datetime.datetime.combine(datetime.date.today(),
                                                   datetime.time()).isoformat()
        body = {"direction": "asc", "follow": follow, "system": system,
                "logLevel": str(log_level).upper(), "start": start,
                "serviceId": getattr(service, "id", None),
                "projectId": project_id or getattr(service, "project_id", None)}
        optional = {"size": size, "executionId": [execution_id] if execution_id else None,
                    "functionName": function_name, "text": text, "replicaId": replica_id,
                    "end": end, "modelId": model_id, "modelOperation": model_operation}
        body.update({k: v for k, v in optional.items() if v is not None})

        def fetch(point: Any) -> dict:
            page = dict(body, checkpoint=point) if point is not None else body
            return self._client_api.json("POST", "/services/logs", json=page) or {}

        return fetch, start

    def open_in_web(self, *args: Any, **kwargs: Any) -> None:
        """Not available: Conveyor has no web console."""
        raise NotImplementedError("Conveyor has no web console; use the SDK or the REST API.")


def _settings(**given: Any) -> dict:
    """The given service settings (JSON keys), without the ones left as None."""
    return {k: getattr(v, "value", v) for k, v in given.items() if v is not None}


def _runtime_json(runtime: Any, pod_type: Any) -> dict | None:
    if isinstance(runtime, KubernetesRuntime):
        runtime = runtime.to_json()
    elif runtime is not None and not isinstance(runtime, dict):
        raise exceptions.BadRequest(message="runtime: expected dl.KubernetesRuntime or a dict")
    if pod_type is not None:
        runtime = {**(runtime or {}), "podType": getattr(pod_type, "value", pod_type)}
    return runtime


def _init_params(init_input: Any) -> dict | None:
    if init_input is None or isinstance(init_input, dict):
        return init_input
    inputs = init_input if isinstance(init_input, list) else [init_input]
    if not inputs:
        return None
    if not all(isinstance(io, FunctionIO) for io in inputs):
        raise exceptions.BadRequest(message=(
            "init_input: expected a dict or dl.FunctionIO list, got "
            f"{type(init_input).__name__}"))
    return {io.name: io.value for io in inputs}


def _as_list(value: Any) -> list | None:
    if value is None or isinstance(value, list):
        return value
    return [value]
