"""Service entity: a deployed package module (replicas, settings, its execution queue)."""

from __future__ import annotations

from typing import Any

from .base import BaseEntity, Field, InProject, Timestamped
from .runtime import KubernetesRuntime, load_runtime


class Service(InProject, Timestamped, BaseEntity):
    """Service entity (dtlpy-contract §4.6).

    ``service.update()`` sends the full JSON (received keys overlaid with the attributes).
    A stub (``is_fetched=False``) fetches ``GET /services/{id}`` on first use of a
    missing attribute.
    """

    _repr_fields = ("id", "name", "package_revision", "active")

    id = Field("id")
    name = Field("name")
    url = Field("url")
    project_id = Field("projectId")
    org_id = Field("orgId")
    package_id = Field("packageId")
    package_revision = Field("packageRevision")
    module_name = Field("moduleName")
    init_input = Field("initParams")
    versions = Field("versions")
    runtime = Field("runtime", load=load_runtime)
    bot = Field("botUserName")
    use_user_jwt = Field("useUserJwt")
    is_global = Field("global")
    driver_id = Field("driverId")
    max_attempts = Field("maxAttempts")
    run_execution_as_process = Field("runExecutionAsProcess")
    execution_timeout = Field("executionTimeout")
    drain_time = Field("drainTime")
    on_reset = Field("onReset")
    active = Field("active")
    version = Field("version")
    creator = Field("creator")
    created_at = Field("createdAt")
    updated_at = Field("updatedAt")
    updated_by = Field("updatedBy")
    queue_length_limit = Field("queueLengthLimit")
    secrets = Field("secrets")
    integrations = Field("integrations")
    type = Field("type")
    mode = Field("mode")
    metadata = Field("metadata")
    archive = Field("archive")
    config = Field("config")
    settings = Field("settings")
    panels = Field("panels")
    app = Field("app")
    scope = Field("scope")
    crashloop = Field("crashloop")

    def __init__(self, client_api: Any = None, platform_dict: dict | None = None,
                 is_fetched: bool = True, package: Any = None, project: Any = None,
                 **values: Any):
        if values.get("runtime") is not None:
            values["runtime"] = load_runtime(values["runtime"])
        super().__init__(client_api=client_api, platform_dict=platform_dict,
                         is_fetched=is_fetched, **values)
        self._package, self._project = package, project

    @classmethod
    def from_json(cls, _json: dict, client_api: Any = None, package: Any = None,
                  project: Any = None, is_fetched: bool = True) -> Service:
        """Build a Service from the server's JSON (``package``/``project`` are dropped if
        they are not the service's own)."""
        if project is not None and project.id != _json.get("projectId"):
            project = None
        if package is not None and package.id != _json.get("packageId"):
            package = None
        return cls._build(_json, client_api, is_fetched=is_fetched, _package=package,
                          _project=project)

    def _fetch_json(self) -> dict:
        return self.services._get_json(self.id)

    # ----------------------------------------------------------------- relations
    @property
    def package(self) -> Any:
        """The deployed Package (``GET /packages/{packageId}`` on first use)."""
        if self._package is None and self.package_id:
            from ..repositories.packages import Packages

            self._package = Packages(self._client_api).get(package_id=self.package_id)
        return self._package

    @property
    def services(self):
        """Services repository of the service's project."""
        from ..repositories.services import Services

        return self._relation("services", lambda: Services(
            self._client_api, project=self.project, package=self._package))

    @property
    def executions(self):
        """Executions repository of this service."""
        from ..repositories.executions import Executions

        return self._relation("executions", lambda: Executions(
            self._client_api, project=self.project, service=self))

    @property
    def revisions(self) -> list:
        """Revision history (``GET /services/{id}/revisions``), fetched once."""
        return self._relation("revisions", lambda: self.services.revisions(service=self))

    @property
    def execution_url(self) -> str:
        """How to create an execution of this service with curl (a template)."""
        return ("curl -X POST <base>/executions/" + str(self.id) +
                "\n  -H 'authorization: Bearer <token>' -H 'Content-Type: application/json'"
                "\n  -d '{\"input\": {<input json>}, \"functionName\": \"<function_name>\"}'")

    # -------------------------------------------------------------------- actions
    def update(self, force: bool = False) -> Service:
        """Send the service (``PATCH /services/{id}``); returns the updated Service."""
        return self.services.update(service=self, force=force)

    def delete(self, force: bool = False) -> bool:
        """Delete the service; its unfinished executions end ``canceled``. Returns True."""
        return self.services.delete(service_id=self.id, force=force)

    def status(self) -> dict:
        """Replicas, desired count, queue depth and last error (``GET /services/{id}/status``)."""
        return self.services.status(service_id=self.id)

    def pause(self) -> bool:
        """Stop the replicas; queued executions wait for ``resume()``. Returns True."""
        return self.services.pause(service_id=self.id)

    def resume(self) -> Any:
        """Resume a paused service; returns the server's answer."""
        return self.services.resume(service_id=self.id)

    def restart(self, replica_name: str | None = None) -> Any:
        """Replace the replicas (all of them, or the one named); returns the server's answer."""
        return self.services.restart(service=self, replica_name=replica_name)

    def dead_letters(self) -> list[dict]:
        """Messages of this service's queue that could not be processed, with reasons."""
        return self.services.dead_letters(service=self)

    def redrive(self, message_id: str | None = None) -> int:
        """Put dead letters (all, or one) back on the queue; returns how many."""
        return self.services.redrive(service=self, message_id=message_id)

    def checkout(self) -> None:
        """Make this the checked-out service (local state only)."""
        self.services.checkout(service=self)

    def log(self, size=None, checkpoint=None, start=None, end=None, follow=False, text=None,
            execution_id=None, function_name=None, replica_id=None, system=False, view=True,
            until_completed=True, model_id: str | None = None,
            model_operation: str | None = None):
        """Service logs (``POST /services/logs``); see ``Services.log``.

        Returns:
            A ``ServiceLog`` when ``view`` is False; with ``view`` the lines are printed
            (until ``[Done] Executing function.`` when ``until_completed``) and None returned.
        """
        return self.services.log(
            service=self, size=size, checkpoint=checkpoint, start=start, end=end,
            follow=follow, text=text, execution_id=execution_id, function_name=function_name,
            replica_id=replica_id, system=system, view=view, until_completed=until_completed,
            model_id=model_id, model_operation=model_operation)

    def execute(self, execution_input=None, function_name=None, resource=None, item_id=None,
                dataset_id=None, annotation_id=None, project_id=None, sync=False,
                stream_logs=True, return_output=True):
        """Run a function of this service (see ``Executions.create``).

        Returns:
            The created ``Execution`` (status ``created``); with ``sync`` the finished
            execution's output (``return_output``) or the finished Execution.
        """
        return self.executions.create(
            execution_input=execution_input, function_name=function_name, resource=resource,
            item_id=item_id, dataset_id=dataset_id, annotation_id=annotation_id,
            project_id=project_id, sync=sync, stream_logs=stream_logs,
            return_output=return_output)

    def execute_batch(self, filters, function_name: str | None = None,
                      execution_inputs: list | None = None, wait=True):
        """One execution per item/annotation ``filters`` selects; returns the Command."""
        return self.executions.create_batch(service_id=self.id, filters=filters,
                                            function_name=function_name,
                                            execution_inputs=execution_inputs, wait=wait)

    def rerun_batch(self, filters, wait=True):
        """Rerun the executions ``filters`` selects (``POST /executions/rerun``)."""
        return self.executions.rerun_batch(filters=filters, service_id=self.id, wait=wait)

    def open_in_web(self) -> None:
        """Not available: Conveyor has no web console."""
        raise NotImplementedError("Conveyor has no web console; use the SDK or the REST API.")


__all__ = ["KubernetesRuntime", "Service"]
