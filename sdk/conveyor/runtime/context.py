"""Context: what a user function receives as ``context`` (dtlpy-contract §5.5).

The agent builds one ``Context`` per execution from the execution's ledger record
(``execution_dict``), its ``eventContext`` and the service/package/project entities.
Related entities (execution, pipeline, task, ...) are fetched lazily on first access
through the SDK module given as ``sdk`` (default ``conveyor``).
"""

from __future__ import annotations

import logging
from typing import Any

from .progress import Progress


class ItemStatusEvent:
    """The ``itemStatusEvent`` of an event context (a task status change on an item)."""

    def __init__(self, _json: dict | None) -> None:
        _json = _json or {}
        self.pipeline_id = _json.get("pipelineId")
        self.node_id = _json.get("nodeId")
        self.action = _json.get("action")
        status = _json.get("status") or {}
        self.task_id = status.get("taskId")
        self.assignment_id = status.get("assignmentId")
        self.status = status.get("status")
        self.creator = status.get("creator")
        self.timestamp = status.get("timestamp")


class ExecutionEventContext:
    """The event that caused an execution (``execution.eventContext``); all keys optional."""

    def __init__(self, _json: dict | None) -> None:
        _json = _json or {}
        self.resource = _json.get("resource")
        self.source = _json.get("source")
        self.action = _json.get("action")
        self.resource_id = _json.get("resourceId")
        self.user_id = _json.get("userId")
        self.dataset_id = _json.get("datasetId")
        self.project_id = _json.get("projectId")
        self.body = _json.get("body")
        self.item_status_event = ItemStatusEvent(_json.get("itemStatusEvent"))

    @property
    def command_data(self) -> Any:
        """``body.commandData`` when the event came from a command, else None."""
        return self.body.get("commandData") if isinstance(self.body, dict) else None

    @property
    def command_id(self) -> Any:
        """``body.commandData.commandId``, else None."""
        data = self.command_data
        return data.get("commandId") if isinstance(data, dict) else None


class Context:
    """Per-execution context: ids, related entities, the event, a logger and the SDK.

    Args:
        service: the ``dl.Service`` running the execution.
        package: its ``dl.Package``.
        project: its ``dl.Project``.
        event_context: the execution's ``eventContext`` JSON.
        execution_dict: the execution JSON (ledger record).
        progress: the execution's ``Progress``.
        logger: the execution's logger (default ``conveyor.execution``).
        sdk: the SDK module entities are fetched with (default ``conveyor``).
    """

    def __init__(self, service: Any = None, package: Any = None, project: Any = None,
                 event_context: dict | None = None, execution_dict: dict | None = None,
                 progress: Progress | None = None, logger: logging.Logger | None = None,
                 sdk: Any = None) -> None:
        self._service, self._package, self.project = service, package, project
        self._progress = progress
        self._logger = logger
        self._sdk = sdk
        self.event = ExecutionEventContext(event_context)
        self.execution_dict = execution_dict or {}
        # dtlpy reads `trigger_id` (a key the execution JSON lacks); `triggerId` is ours
        self.trigger_id = self.execution_dict.get("trigger_id") or self.execution_dict.get(
            "triggerId")
        self.execution_id = self.execution_dict.get("id")
        pipeline = self.execution_dict.get("pipeline") or {}
        self.pipeline_id = pipeline.get("id")
        self.node_id = pipeline.get("nodeId")
        self.pipeline_execution_id = pipeline.get("executionId")
        self._cache: dict[str, Any] = {}

    # ------------------------------------------------------------------ plumbing
    @property
    def sdk(self) -> Any:
        """The SDK module (``conveyor`` unless another was given)."""
        if self._sdk is None:
            import conveyor

            self._sdk = conveyor
        return self._sdk

    @property
    def logger(self) -> logging.Logger:
        """The execution's logger."""
        return self._logger or logging.getLogger("conveyor.execution")

    @property
    def progress(self) -> Progress | None:
        """The execution's ``Progress``."""
        return self._progress

    def _lazy(self, key: str, repository: str, **ids: Any) -> Any:
        """Fetch once with ``sdk.<repository>.get(**ids)``; None when an id is missing."""
        if any(v is None for v in ids.values()):
            return None
        if key not in self._cache:
            self._cache[key] = getattr(self.sdk, repository).get(**ids)
        return self._cache[key]

    # ------------------------------------------------------------------ entities
    @property
    def service(self) -> Any:
        """The service (always set by the agent)."""
        assert self._service is not None, "Missing `service` in context"
        return self._service

    @property
    def package(self) -> Any:
        """The package (always set by the agent)."""
        assert self._package is not None, "Missing `package` in context"
        return self._package

    @property
    def execution(self) -> Any:
        """The execution entity, built from ``execution_dict`` without a request."""
        if "execution" not in self._cache:
            self._cache["execution"] = self.sdk.Execution.from_json(
                _json=self.execution_dict, client_api=self.service.client_api,
                service=self.service, project=self.project)
        return self._cache["execution"]

    @property
    def pipeline(self) -> Any:
        """The pipeline the execution belongs to, or None."""
        return self._lazy("pipeline", "pipelines", pipeline_id=self.pipeline_id)

    @property
    def node(self) -> Any:
        """The pipeline node that created the execution, or None."""
        pipeline = self.pipeline
        if pipeline is None or self.node_id is None:
            return None
        return next((n for n in pipeline.nodes if n.node_id == self.node_id), None)

    @property
    def pipeline_execution(self) -> Any:
        """The pipeline execution (cycle), or None."""
        return self._lazy("pipeline_execution", "pipeline_executions",
                          pipeline_execution_id=self.pipeline_execution_id)

    # ------------------------------------------------------------------ event
    @property
    def command_id(self) -> Any:
        """The event's command id, if any."""
        return self.event.command_id

    @property
    def command_data(self) -> Any:
        """The event's command data, if any."""
        return self.event.command_data

    @property
    def item_status(self) -> Any:
        """The task status set on the item by the event, if any."""
        return self.event.item_status_event.status

    @property
    def item_status_creator(self) -> Any:
        """Who set that status."""
        return self.event.item_status_event.creator

    @property
    def item_status_operation(self) -> Any:
        """The status action (e.g. added/removed)."""
        return self.event.item_status_event.action

    @property
    def task_id(self) -> Any:
        """The task of the status event, if any."""
        return self.event.item_status_event.task_id

    @property
    def assignment_id(self) -> Any:
        """The assignment of the status event, if any."""
        return self.event.item_status_event.assignment_id

    @property
    def task(self) -> Any:
        """The task entity (``sdk.tasks.get``), or None without a task id."""
        return self._lazy("task", "tasks", task_id=self.task_id)

    @property
    def assignment(self) -> Any:
        """The assignment entity (``sdk.assignments.get``), or None."""
        return self._lazy("assignment", "assignments", assignment_id=self.assignment_id)
