"""Reporter: the agent's protocol calls to the control plane (claim, reports, heartbeat, logs).

(Reading the service, the package and the codebase goes through the SDK client, as user
code's calls do.) Every call carries the service bot's token and this replica's id. Retry policy:

* connection errors, timeouts and 5xx answers are retried with exponential backoff
  (0.5 s doubling, capped) -- a bounded number of times, except for results;
* a 4xx answer is never retried: it raises ``ReportRejected`` with the server's message;
* ``result`` (a terminal status) retries until the control plane stored it, answers 4xx,
  or the caller's ``give_up`` event is set: the agent acks a delivery only after the
  ledger stored its result, so giving up early would lose nothing but time.

Thread-safe: one ``requests.Session`` with a connection pool shared by all threads.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from conveyor_runner.agent.errors import ControlPlaneUnreachable, ReportRejected

log = logging.getLogger(__name__)

#: Bounded calls try this many times in all (about 15 s of backoff in total).
ATTEMPTS = 6
BACKOFF_START = 0.5
BACKOFF_CAP = 15.0


class Reporter:
    """HTTP calls of one replica.

    Args:
        api_url: ``<control plane root>/api/v1``.
        token: the service bot's JWT.
        service_id: the service this replica serves.
        replica_id: this replica's id (sent with claims, reports and logs).
        timeout: per-request timeout in seconds.
    """

    def __init__(self, api_url: str, token: str, service_id: str, replica_id: str,
                 timeout: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.service_id, self.replica_id = service_id, replica_id
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["authorization"] = f"Bearer {token}"
        adapter = HTTPAdapter(pool_maxsize=64, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    # -- the calls ----------------------------------------------------------------------

    def claim(self, execution_id: str, dispatch_id: str | None) -> dict:
        """``POST /executions/{id}/claim``: ``{action: run|skip, reason, execution}``.

        One token per claim, resent by every retry: if a claim was stored but its reply
        lost, the retry is recognised as the same claim instead of a dead previous attempt.
        """
        return self._call("post", f"/executions/{execution_id}/claim",
                          {"replicaId": self.replica_id, "dispatchId": dispatch_id,
                           "claimToken": uuid.uuid4().hex})

    def progress(self, execution_id: str, body: dict) -> dict:
        """A non-terminal progress report (bounded retries)."""
        return self._call("post", f"/executions/{execution_id}/progress",
                          {**body, "replicaId": self.replica_id})

    def result(self, execution_id: str, body: dict,
               give_up: threading.Event | None = None) -> dict:
        """A terminal report; returns once the ledger stored it (the Execution JSON).

        Raises:
            ReportRejected: 4xx (e.g. 409: another replica owns the execution now).
            ControlPlaneUnreachable: ``give_up`` was set before the report got through.
        """
        return self._call("post", f"/executions/{execution_id}/progress",
                          {**body, "replicaId": self.replica_id}, attempts=None,
                          give_up=give_up)

    def heartbeat(self, body: dict) -> dict:
        """One heartbeat (no retry: the next beat is the retry); ``{terminate, drain}``."""
        return self._call("post", f"/services/{self.service_id}/replicas/{self.replica_id}"
                          "/heartbeat", body, attempts=1, timeout=min(self.timeout, 10.0))

    def execution_logs(self, execution_id: str, lines: list[dict]) -> None:
        """Append an execution's log lines (bounded retries)."""
        self._call("post", f"/executions/{execution_id}/logs",
                   {"replicaId": self.replica_id, "lines": lines}, attempts=3)

    def service_logs(self, lines: list[dict]) -> None:
        """Append replica-level log lines (bounded retries)."""
        self._call("post", f"/services/{self.service_id}/logs/append",
                   {"replicaId": self.replica_id, "lines": lines}, attempts=3)

    def close(self) -> None:
        """Release the connection pool."""
        self._session.close()

    # -- retries ------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict, *, attempts: int | None = ATTEMPTS,
              give_up: threading.Event | None = None, timeout: float | None = None) -> Any:
        """Send until a 2xx (returned as JSON) or a 4xx (raised); retry the rest."""
        url = self.api_url + path
        delay, tried = BACKOFF_START, 0
        while True:
            tried += 1
            problem = self._send_once(method, url, body, timeout or self.timeout)
            if not isinstance(problem, str):
                return problem
            if (attempts is not None and tried >= attempts) or (give_up and give_up.is_set()):
                raise ControlPlaneUnreachable(f"{method.upper()} {path}: {problem} "
                                              f"(after {tried} attempts)")
            log.warning("%s %s failed (%s); retrying in %.1f s", method.upper(), path,
                        problem, delay)
            wait = delay * random.uniform(0.8, 1.2)
            if give_up is not None:
                if give_up.wait(wait):
                    raise ControlPlaneUnreachable(f"{method.upper()} {path}: {problem}")
            else:
                threading.Event().wait(wait)
            delay = min(delay * 2, BACKOFF_CAP)

    def _send_once(self, method: str, url: str, body: dict, timeout: float) -> Any:
        """The parsed 2xx body, or a string describing a retryable failure."""
        try:
            response = self._session.request(method, url, json=body, timeout=timeout)
        except requests.RequestException as exc:
            return f"{type(exc).__name__}: {exc}"
        if response.status_code >= 500:
            return f"HTTP {response.status_code}: {_message(response)}"
        if response.status_code >= 400:
            raise ReportRejected(response.status_code, _message(response))
        return response.json() if response.content else {}


def _message(response: requests.Response) -> str:
    try:
        return str(response.json().get("message") or response.text[:300])
    except (ValueError, AttributeError):
        return response.text[:300]
