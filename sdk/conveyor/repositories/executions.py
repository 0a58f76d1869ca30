"""Executions repository: create (one or a batch), get, list, wait, terminate, rerun, progress.

Waiting uses the server's long-poll (``GET /executions/{id}?wait=30``) in a loop: the
answer comes as soon as the execution is final, with no client-side sleeping.
"""

from __future__ import annotations

import json
import logging
import shlex
import threading
import time
from typing import Any

from .. import exceptions
from ..entities.command import Command
from ..entities.execution import Execution
from ..entities.filters import Filters, FiltersResource
from ..entities.package_function import FunctionIO
from ..entities.paged_entities import PagedEntities
from ..entities.service_log import FUNCTION_END_LINE, ServiceLog

logger = logging.getLogger("conveyor")

#: seconds the server may hold one ``GET /executions/{id}?wait=`` (it caps it at 60)
LONG_POLL_SECONDS = 30.0
#: The long-poll a sync ``create`` asks of its POST (the rest of the wait is GETs).
CREATE_WAIT_SECONDS = 2.0
#: how long a log-streaming thread may take to drain after its execution finished
LOG_DRAIN_SECONDS = 30.0


class Executions:
    """All I/O for executions, scoped to ``service`` and/or ``project`` when given.

    Args:
        client_api: the ``ApiClient``.
        service: the service executions are created on and listed for.
        project: the project executions are listed for.
    """

    def __init__(self, client_api: Any, service: Any = None, project: Any = None) -> None:
        self._client_api = client_api
        self._service = service
        self._project = project

    @property
    def service(self) -> Any:
        """The scoping service, or None."""
        return self._service

    @property
    def project(self) -> Any:
        """The scoping project, or None."""
        return self._project

    def _entity(self, _json: dict) -> Execution:
        return Execution.from_json(_json, self._client_api, project=self._project,
                                   service=self._service)

    def _get_json(self, execution_id: str, wait: float = 0) -> dict:
        params = {"wait": f"{wait:g}"} if wait > 0 else None
        return self._client_api.json("GET", f"/executions/{execution_id}", params=params,
                                     timeout=self._client_api.timeout + wait)

    def _list(self, filters: Any) -> dict:
        return self._client_api.json("POST", "/query/faas", json=filters.prepare()) or {}

    def _build_entities_from_response(self, response_items: list) -> list[Execution]:
        return [self._entity(j) for j in response_items]

    # ------------------------------------------------------------------ create
    def create(self, service_id: str | None = None, execution_input: Any = None,
               function_name: str | None = None, resource: Any = None,
               item_id: str | None = None, dataset_id: str | None = None,
               annotation_id: str | None = None, project_id: str | None = None,
               sync: bool = False, stream_logs: bool = False, return_output: bool = False,
               return_curl_only: bool = False, timeout: float | None = None) -> Any:
        """Create an execution (``POST /executions/{serviceId}``).

        Input: ``execution_input`` (a dict as is, or FunctionIO list -> ``{name: value}``),
        else the ``item_id``/``dataset_id``/``annotation_id`` shortcut, which builds
        ``{<resource>: {dataset_id, item_id?, annotation_id?}}`` (resource inferred from
        the most specific id given). ``projectId`` is sent when known (given, the
        repository's project, or the service's); the server uses the service's project.

        Returns:
            The Execution (status ``created``). With ``sync``: waits (``timeout``) and
            returns the finished Execution, or its ``output`` when ``return_output``;
            ``stream_logs`` prints the execution's log lines meanwhile. With
            ``return_curl_only``: the equivalent curl command (nothing is sent).

        Raises:
            BadRequest: no service, bad input form, or inputs the server refuses (it
                names the input; no execution is recorded then).
            TimeoutError: ``sync`` and ``timeout`` passed first.
        """
        service_id = service_id or getattr(self._service, "id", None)
        if service_id is None:
            raise exceptions.BadRequest(message="service_id: required to create an execution")
        payload: dict[str, Any] = {}
        inputs = _input_payload(execution_input, resource, item_id, dataset_id, annotation_id)
        if inputs is not None:
            payload["input"] = inputs
        project_id = project_id or getattr(self._project, "id", None) or getattr(
            self._service, "project_id", None)
        if project_id is not None:
            payload["projectId"] = project_id
        payload["functionName"] = function_name or "run"
        path = f"/executions/{service_id}"
        if return_curl_only:
            return self._curl(path, payload)
        if sync and not stream_logs:
            execution = self._create_and_wait(path, payload, timeout)
        else:
            execution = self._entity(self._client_api.json("POST", path, json=payload))
            if sync:
                execution = self._wait_streaming(execution, stream_logs, timeout)
        if not sync:
            return execution
        return execution.output if return_output else execution

    def _create_and_wait(self, path: str, payload: dict, timeout: float | None) -> Execution:
        """Create with the first long-poll riding on the POST (``?wait=``): a short
        execution's sync call is one round trip. That wait stays short, since a POST that
        fails mid-wait cannot be retried (it would create the execution again); the rest of
        the wait is ``wait``'s retryable GETs."""
        deadline = time.monotonic() + timeout if timeout and timeout > 0 else None
        first = CREATE_WAIT_SECONDS if timeout is None or timeout <= 0 \
            else min(CREATE_WAIT_SECONDS, timeout)
        execution = self._entity(self._client_api.json(
            "POST", path, json=payload, params={"wait": f"{first:g}"},
            timeout=self._client_api.timeout + first))
        if not execution.in_progress():
            return execution
        left = None if deadline is None else max(deadline - time.monotonic(), 1e-3)
        return self.wait(execution=execution, timeout=left)

    def _wait_streaming(self, execution: Execution, stream_logs: bool,
                        timeout: float | None) -> Execution:
        if not stream_logs:
            return self.wait(execution=execution, timeout=timeout)
        follower = self._log_follower(execution)
        thread = threading.Thread(target=_print_until_done, args=(follower,), daemon=True,
                                  name=f"logs-{execution.id}")
        thread.start()
        try:
            execution = self.wait(execution=execution, timeout=timeout)
            thread.join(LOG_DRAIN_SECONDS)  # the server ends the stream once it is all read
        finally:
            follower.cancel()  # never leave a follower polling after we return
        return execution

    def _log_follower(self, execution: Execution) -> ServiceLog:
        service = self._service or execution.service
        fetch, start = service.services._log_fetcher(service, execution_id=execution.id,
                                                     follow=True, start=execution.created_at)
        # an empty first page: the first request is made by the printing thread
        return ServiceLog({}, fetch, start=start)

    def _curl(self, path: str, payload: dict) -> str:
        url = self._client_api.base_url + path
        return (f"curl -X POST {shlex.quote(url)} -H 'authorization: Bearer "
                f"{self._client_api.token}' -H 'Content-Type: application/json' "
                f"-d {shlex.quote(json.dumps(payload))}")

    def create_batch(self, service_id: str | None, filters: Any,
                     function_name: str | None = None, execution_inputs: Any = None,
                     wait: bool = True) -> Command:
        """One execution per item/annotation ``filters`` selects (a server-side Command).

        ``execution_inputs`` (dict or FunctionIO list) are the other inputs of each.

        Returns:
            The Command (finished when ``wait``).

        Raises:
            BadRequest: no filters/service, or bad inputs; FailedDependency: the batch failed.
        """
        service_id = service_id or getattr(self._service, "id", None)
        if service_id is None or filters is None:
            raise exceptions.BadRequest(message="service_id and filters: both are required")
        args = _input_payload(execution_inputs or {}, None, None, None, None)
        payload = {"batch": {"query": filters.prepare(), "args": args},
                   "functionName": function_name or "run"}
        answer = self._client_api.json("POST", f"/executions/{service_id}", json=payload)
        command = Command.from_json(answer, self._client_api)
        return command.wait(timeout=0) if wait else command

    def rerun_batch(self, filters: Any, service_id: str | None = None,
                    wait: bool = True) -> Command:
        """Rerun every execution ``filters`` selects (``POST /executions/rerun``).

        Raises:
            BadRequest: ``filters`` missing or not for the executions resource.
        """
        if filters is None or getattr(filters.resource, "value", filters.resource) \
                != "executions":
            raise exceptions.BadRequest(message="filters: an executions Filters is required")
        if service_id is not None and not filters.has_field("serviceId"):
            filters.add(field="serviceId", values=service_id)
        answer = self._client_api.json("POST", "/executions/rerun",
                                       json={"query": filters.prepare()["filter"]})
        command = Command.from_json(answer, self._client_api)
        return command.wait(timeout=0) if wait else command

    # -------------------------------------------------------------------- read
    def get(self, execution_id: str | None = None, sync: bool = False) -> Execution:
        """An execution (``GET /executions/{id}``); with ``sync``, once it is final."""
        if execution_id is None:
            raise exceptions.BadRequest(message="execution_id: required")
        if sync:
            return self.wait(execution_id=execution_id)
        return self._entity(self._get_json(execution_id))

    def list(self, filters: Filters | None = None) -> PagedEntities:
        """Executions matching ``filters`` (100 a page), within the project/service.

        Raises:
            BadRequest: ``filters`` is not for the executions resource.
        """
        filters = filters or Filters(resource=FiltersResource.EXECUTION)
        if getattr(filters.resource, "value", filters.resource) != "executions":
            raise exceptions.BadRequest(message="filters: resource must be executions")
        if self._project is not None and not filters.has_field("projectId"):
            filters.add(field="projectId", values=self._project.id)
        if self._service is not None and not filters.has_field("serviceId"):
            filters.add(field="serviceId", values=self._service.id)
        paged = PagedEntities(client_api=self._client_api, page_offset=filters.page,
                              page_size=filters.page_size, filters=filters,
                              items_repository=self)
        paged.get_page()
        return paged

    def wait(self, execution_id: str | None = None, execution: Execution | None = None,
             timeout: float | None = None, backoff_factor: float = 1) -> Execution:
        """Block until the execution is final; returns it.

        Each request is a server long-poll of up to ``LONG_POLL_SECONDS`` (shorter near
        the deadline); ``backoff_factor`` is accepted for dtlpy compatibility.

        Raises:
            TimeoutError: ``timeout`` seconds (None or <= 0: no limit) passed first.
        """
        execution_id = execution_id or getattr(execution, "id", None)
        if execution_id is None:
            raise ValueError("execution_id or execution: one is required")
        deadline = time.monotonic() + timeout if timeout and timeout > 0 else None
        while True:
            left = LONG_POLL_SECONDS if deadline is None else deadline - time.monotonic()
            current = self._entity(self._get_json(execution_id,
                                                  wait=max(0.0, min(LONG_POLL_SECONDS, left))))
            if not current.in_progress():
                return current
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"execution wait() timed out after {timeout:g} s. id: "
                                   f"{execution_id!r}, status: {current.latest_status}")

    # ----------------------------------------------------------------- actions
    def terminate(self, execution: Execution) -> Execution:
        """Stop an execution: ends ``terminated`` at once while queued; a running one is
        signalled. Returns the Execution."""
        return self._entity(self._client_api.json(
            "POST", f"/executions/{execution.id}/terminate"))

    def rerun(self, execution: Execution, sync: bool = False) -> Execution:
        """Queue a finished execution again; with ``sync``, wait for it to finish.

        Raises:
            Conflict: the execution has not finished.
        """
        rerun = self._entity(self._client_api.json("POST", f"/executions/{execution.id}/rerun"))
        return self.wait(execution_id=rerun.id) if sync else rerun

    def increment(self, execution: Execution) -> int:
        """Count one more attempt; returns the new count.

        Raises:
            BadRequest: ``maxAttempts`` already reached.
        """
        return self._client_api.json("POST", f"/executions/{execution.id}/attempts")

    def update(self, execution: Execution) -> Execution:
        """``PATCH /executions/{id}`` with the execution's JSON; returns the server's record."""
        return self._entity(self._client_api.json(
            "PATCH", f"/executions/{execution.id}", json=execution.to_json()))

    def progress_update(self, execution_id: str, status: Any = None,
                        percent_complete: int | None = None, message: str | None = None,
                        output: Any = None, service_version: str | None = None) -> Execution:
        """Report progress (``POST /executions/{id}/progress``); returns the Execution.

        Without ``status``: ``inProgress`` below 100 %, ``completed`` at 100 % or with an
        ``output``.
        """
        status = getattr(status, "value", status)
        if status is None:
            done = (isinstance(percent_complete, int) and percent_complete >= 100) or (
                percent_complete is None and output is not None)
            status = "completed" if done else "inProgress"
        payload = {"status": status}
        optional = {"percentComplete": percent_complete, "message": message, "output": output,
                    "serviceVersion": service_version}
        payload.update({k: v for k, v in optional.items() if v is not None})
        return self._entity(self._client_api.json(
            "POST", f"/executions/{execution_id}/progress", json=payload))

    def logs(self, execution_id: str, follow: bool = True, until_completed: bool = True) -> None:
        """Print an execution's log lines (through its service's log)."""
        service = self._service or self.get(execution_id=execution_id).service
        service.services.log(service=service, execution_id=execution_id, follow=follow,
                             until_completed=until_completed, view=True)


def _input_payload(execution_input: Any, resource: Any, item_id: str | None,
                   dataset_id: str | None, annotation_id: str | None) -> dict | None:
    """The ``input`` object of an execution request (None when there is no input)."""
    if execution_input is None:
        if resource is None:
            resource = ("Annotation" if annotation_id else "Item" if item_id
                        else "Dataset" if dataset_id else None)
        if resource is None:
            return None
        value: dict[str, Any] = {"dataset_id": dataset_id}
        if item_id is not None:
            value["item_id"] = item_id
        if annotation_id is not None:
            value["annotation_id"] = annotation_id
        return {str(getattr(resource, "value", resource)).lower(): value}
    if isinstance(execution_input, dict):
        return execution_input
    inputs = execution_input if isinstance(execution_input, list) else [execution_input]
    if not all(isinstance(io, FunctionIO) for io in inputs):
        raise exceptions.BadRequest(message=(
            "execution_input: expected a dict or dl.FunctionIO list, got "
            f"{type(execution_input).__name__}"))
    merged: dict[str, Any] = {}
    for io in inputs:
        merged.update(io.to_json(resource="execution"))
    return merged


def _print_until_done(follower: ServiceLog) -> None:
    """Print an execution's log lines until its ``[Done]`` line, the end, or cancel()."""
    try:
        for line in follower:
            print(line)
            if FUNCTION_END_LINE in line:
                return
    except exceptions.ConveyorError as exc:  # logs are best effort; the result is not
        logger.warning("log streaming stopped: %s", exc)
