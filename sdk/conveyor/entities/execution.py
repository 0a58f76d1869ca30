"""Execution entity: one ledger record of a function invocation."""

from __future__ import annotations

from enum import Enum
from typing import Any

from .base import BaseEntity, Field, InProject, Timestamped


class ExecutionStatus(str, Enum):
    """Execution statuses; all but ``created`` and ``in-progress`` are final."""

    SUCCESS = "success"
    FAILED = "failed"
    IN_PROGRESS = "in-progress"
    CREATED = "created"
    TERMINATED = "terminated"
    ABORTED = "aborted"
    CANCELED = "canceled"
    SYSTEM_FAILURE = "system-failure"


#: final statuses; any other string (even unknown ones) means "still running"
FINAL_STATUSES = frozenset({"success", "failed", "terminated", "aborted", "canceled",
                            "system-failure"})


class Execution(InProject, Timestamped, BaseEntity):
    """Execution entity (dtlpy-contract §4.8).

    ``latest_status`` is the last ``statusLog`` entry (``{status, percentComplete,
    message, ...}``); ``status`` is dtlpy's legacy array (the same as ``status_log``).
    """

    _repr_fields = ("id", "function_name", "latest_status")

    id = Field("id")
    url = Field("url")
    creator = Field("creator")
    created_at = Field("createdAt")
    updated_at = Field("updatedAt")
    input = Field("input")
    output = Field("output")
    feedback_queue = Field("feedbackQueue")
    _status = Field("status")
    status_log = Field("statusLog")
    sync_reply_to = Field("syncReplyTo")
    latest_status = Field("latestStatus")
    function_name = Field("functionName")
    duration = Field("duration")
    attempts = Field("attempts")
    max_attempts = Field("maxAttempts")
    to_terminate = Field("toTerminate")
    trigger_id = Field("triggerId")
    service_id = Field("serviceId")
    project_id = Field("projectId")
    service_version = Field("serviceVersion")
    package_id = Field("packageId")
    package_name = Field("packageName")
    package_revision = Field("packageRevision")
    pipeline = Field("pipeline")
    model = Field("model")
    app = Field("app")
    driver_id = Field("driverId")
    error = Field("error")
    event_context = Field("eventContext")

    def __init__(self, client_api: Any = None, platform_dict: dict | None = None,
                 is_fetched: bool = True, service: Any = None, project: Any = None,
                 **values: Any):
        super().__init__(client_api=client_api, platform_dict=platform_dict,
                         is_fetched=is_fetched, **values)
        self._service, self._project = service, project

    @classmethod
    def from_json(cls, _json: dict, client_api: Any, project: Any = None, service: Any = None,
                  is_fetched: bool = True) -> Execution:
        """Build an Execution from the server's JSON (``service``/``project`` are dropped
        if they are not the execution's own)."""
        if service is not None and service.id != _json.get("serviceId"):
            service = None
        if project is not None and project.id != _json.get("projectId"):
            project = None
        return cls._build(_json, client_api, is_fetched=is_fetched, _service=service,
                          _project=project)

    def _fetch_json(self) -> dict:
        return self.executions._get_json(self.id)

    # ----------------------------------------------------------------- properties
    @property
    def status(self) -> Any:
        """dtlpy's legacy ``status`` array (the status history)."""
        return self._status

    @property
    def pipeline_id(self) -> str | None:
        """The pipeline that created the execution, if any."""
        return (self.pipeline or {}).get("id")

    @property
    def node_id(self) -> str | None:
        """The pipeline node that created the execution, if any."""
        return (self.pipeline or {}).get("nodeId")

    @property
    def pipeline_execution_id(self) -> str | None:
        """The pipeline execution (cycle), if any."""
        return (self.pipeline or {}).get("executionId")

    @property
    def syncReplyTo(self) -> Any:
        """dtlpy alias of ``sync_reply_to``."""
        return self.sync_reply_to

    @property
    def feedbackQueue(self) -> Any:
        """dtlpy alias of ``feedback_queue``."""
        return self.feedback_queue

    def in_progress(self) -> bool:
        """True until the latest status is final (unknown statuses count as running)."""
        return (self.latest_status or {}).get("status") not in FINAL_STATUSES

    # ----------------------------------------------------------------- relations
    @property
    def service(self) -> Any:
        """The Service (``GET /services/{serviceId}`` on first use)."""
        if self._service is None and self.service_id:
            from ..repositories.services import Services

            self._service = Services(self._client_api).get(service_id=self.service_id)
        return self._service

    @service.setter
    def service(self, service: Any) -> None:
        from .service import Service

        if not isinstance(service, Service):
            raise TypeError("service: expected a dl.Service")
        self._service = service

    @property
    def executions(self):
        """Executions repository (bound to the execution's service when known)."""
        from ..repositories.executions import Executions

        return self._relation("executions", lambda: Executions(
            self._client_api, project=self.project, service=self._service))

    @property
    def services(self):
        """Services repository."""
        from ..repositories.services import Services

        return self._relation("services", lambda: Services(self._client_api,
                                                           project=self.project))

    # -------------------------------------------------------------------- actions
    def _refresh(self, fresh: Execution) -> Execution:
        self._load_json(fresh._json)
        return self

    def get_latest_status(self) -> dict:
        """Fetch the execution again; returns (and stores) its ``latest_status``."""
        return self._refresh(self.executions.get(execution_id=self.id)).latest_status

    def wait(self, timeout: float | None = None) -> Execution:
        """Block until the execution is final (server long-poll); returns this execution.

        Raises:
            TimeoutError: ``timeout`` seconds passed first (None waits forever).
        """
        return self._refresh(self.executions.wait(execution_id=self.id, timeout=timeout))

    def terminate(self) -> Execution:
        """Ask to stop it: a queued execution ends ``terminated`` at once, a running one is
        signalled (``kill_event()``). Returns this execution, refreshed."""
        return self._refresh(self.executions.terminate(execution=self))

    def rerun(self, sync: bool = False) -> Execution:
        """Queue a finished execution again (with ``sync``, wait for it); returns it refreshed."""
        return self._refresh(self.executions.rerun(execution=self, sync=sync))

    def increment(self) -> int:
        """Count one more attempt (``POST /executions/{id}/attempts``); returns the count.

        Raises:
            BadRequest: the execution already reached ``max_attempts``.
        """
        self.attempts = self.executions.increment(execution=self)
        return self.attempts

    def update(self) -> Execution:
        """Send the execution (``PATCH /executions/{id}``); returns the server's record."""
        return self.executions.update(execution=self)

    def progress_update(self, status: ExecutionStatus | str | None = None,
                        percent_complete: int | None = None, message: str | None = None,
                        output: Any = None, service_version: str | None = None) -> Execution:
        """Report progress (``POST /executions/{id}/progress``); returns the Execution.

        Without ``status``: ``inProgress`` below 100 %, ``completed`` at 100 % or with an
        ``output`` (the server maps them to ``in-progress``/``success``).
        """
        return self.executions.progress_update(
            execution_id=self.id, status=status, percent_complete=percent_complete,
            message=message, output=output, service_version=service_version)

    def logs(self, follow: bool = False, log_level: str = "DEBUG") -> None:
        """Print the execution's log lines (until ``[Done] Executing function.``)."""
        self.services.log(service=self.service, execution_id=self.id, view=True,
                          follow=follow, start=self.created_at, log_level=log_level)
