"""Reporter: the agent's protocol calls to the control plane (exchanges, heartbeats).

(Reading the service, the package and the codebase goes through the SDK client, as user
code's calls do.) Every call carries the service bot's token and this replica's id. Claims
and reports are batched per service in exchanges (``POST /services/{id}/exchange``; the
batching itself is ``outbox.Outbox``'s). Retry policy:

* connection errors, timeouts and 5xx answers are retried with exponential backoff
  (0.5 s doubling, capped) -- a bounded number of times, or, for an exchange carrying
  results, until it got through or its caller's ``give_up`` is set: the agent acks a
  delivery only after the ledger stored its result, so giving up early would lose
  nothing but time. Retries resend the same body: the ledger recognises repeated claims
  and results by their claim tokens;
* a 4xx answer is never retried: it raises ``ReportRejected`` with the server's message.

Thread-safe: one connection pool (``http_calls.HttpCalls``) shared by all threads.
"""

from __future__ import annotations

import logging
import random
import threading
from typing import Any

from conveyor_runner.agent.errors import ControlPlaneUnreachable, ReportRejected
from conveyor_runner.http_calls import CallFailed, HttpCalls

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
        replica_id: this replica's id (sent with claims, reports and heartbeats).
        timeout: per-request timeout in seconds.
    """

    def __init__(self, api_url: str, token: str, service_id: str, replica_id: str,
                 timeout: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.service_id, self.replica_id = service_id, replica_id
        self.timeout = timeout
        self._http = HttpCalls(self.api_url, {"authorization": f"Bearer {token}"})

    # -- the calls ----------------------------------------------------------------------

    def exchange(self, body: dict, *, attempts: int | None = ATTEMPTS,
                 give_up: Any = None) -> dict:
        """``POST /services/{id}/exchange`` with ``{logs, progress, results, claims}``;
        returns the answer (``routes.replicas.exchange``).

        Args:
            attempts: tries in all; None retries until it got through or ``give_up``.
            give_up: an object with ``is_set()`` and ``wait(seconds)`` (an Event will do).

        Raises:
            ReportRejected: 4xx.
            ControlPlaneUnreachable: the attempts ran out, or ``give_up`` was set.
        """
        return self._call("post", f"/services/{self.service_id}/exchange",
                          {**body, "replicaId": self.replica_id}, attempts=attempts,
                          give_up=give_up)

    def heartbeat(self, body: dict) -> dict:
        """One heartbeat (no retry: the next beat is the retry); ``{terminate, drain}``."""
        return self._call("post", f"/services/{self.service_id}/replicas/{self.replica_id}"
                          "/heartbeat", body, attempts=1, timeout=min(self.timeout, 10.0))

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    # -- retries ------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict, *, attempts: int | None = ATTEMPTS,
              give_up: Any = None, timeout: float | None = None) -> Any:
        """Send until a 2xx (returned as JSON) or a 4xx (raised); retry the rest."""
        delay, tried = BACKOFF_START, 0
        while True:
            tried += 1
            problem = self._send_once(method, path, body, timeout or self.timeout)
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

    def _send_once(self, method: str, path: str, body: dict, timeout: float) -> Any:
        """The parsed 2xx body, or a string describing a retryable failure."""
        try:
            reply = self._http.call(method, path, body, timeout)
        except CallFailed as exc:
            return str(exc)
        if reply.status >= 500:
            return f"HTTP {reply.status}: {reply.message()}"
        if reply.status >= 400:
            raise ReportRejected(reply.status, reply.message())
        return reply.json()
