"""EmbeddedHttpTransport: replicas consume the embedded queue through the control plane.

Replicas of the embedded default cannot open the control plane's queue file (they may run
elsewhere, and the file belongs to the control plane), so they consume through its queue
gateway: ``POST /queues/{queue}/consumers``, ``.../receive``, ``.../prefetch`` and
``DELETE .../{consumerId}`` (``conveyor_runner.api.routes.queues``).

Guarantees (details in :mod:`conveyor_plugins.embedded.http_consumer`): ``ack``, ``nack``
and ``dead_letter`` return only after the gateway applied them, piggy-backed on the next
request of the consumer and never delayed beyond one bounded long-poll (1 s); a keep-alive
keeps a busy or draining consumer from being closed for silence; a consumer the gateway
forgot is reopened, and settling its old deliveries is a logged no-op (they were requeued).

Selection: ``CONVEYOR_QUEUE_URL=embedded+http://host:port`` (or ``embedded+https``) with the
token in ``CONVEYOR_TOKEN``. Consuming only: publishing, depth, purge, dead letters and
redrive are control-plane operations and raise ``ConfigurationError`` here.
"""

from __future__ import annotations

import os

from conveyor.client.urls import api_base, normalise_root
from conveyor_plugins.embedded.http_consumer import ConsumerGone, GatewayConsumer
from conveyor_runner.errors import ConfigurationError
from conveyor_runner.http_calls import CallFailed, HttpCalls
from conveyor_runner.queue import Consumer, DeadLetter, QueueTransport, QueueUnavailableError


class EmbeddedHttpTransport(QueueTransport):
    """Consumes ``svc-<serviceId>`` queues through the control plane's queue gateway.

    Args:
        url: ``embedded+http://host:port`` (the control-plane root; ``/api/v1`` optional).
        token: a JWT of a member of the service's project; default ``$CONVEYOR_TOKEN``.

    Raises:
        ConfigurationError: the URL is not ``embedded+http(s)://...`` or no token is set.
    """

    schemes = ("embedded+http", "embedded+https")

    def __init__(self, url: str, token: str | None = None) -> None:
        super().__init__(url)
        scheme, _, rest = url.partition("+")
        if scheme != "embedded" or not rest.startswith(("http://", "https://")):
            raise ConfigurationError(f"queue URL {url!r} is not embedded+http(s)://host:port")
        self.api_url = api_base(normalise_root(rest))
        token = token or os.environ.get("CONVEYOR_TOKEN", "").strip()
        if not token:
            raise ConfigurationError("CONVEYOR_TOKEN: required to consume through the queue "
                                     f"gateway at {rest}")
        self._http = HttpCalls(self.api_url, {"authorization": f"Bearer {token}"})

    def declare(self, queue: str, *, delivery_timeout: float | None = None) -> None:
        """No-op: the control plane declares a service's queue when it deploys it."""

    def consume(self, queue: str, *, prefetch: int) -> Consumer:
        """Open a gateway consumer with ``prefetch`` unsettled deliveries at most.

        Raises:
            ConfigurationError: the queue is unknown or not visible to the token.
            QueueUnavailableError: the control plane cannot be reached.
        """
        return GatewayConsumer(self, queue, prefetch)

    def publish(self, queue, body, *, message_id, headers=None) -> None:
        raise self._consume_only("publish")

    def depth(self, queue: str) -> int:
        raise self._consume_only("depth")

    def purge(self, queue: str) -> int:
        raise self._consume_only("purge")

    def delete_queue(self, queue: str) -> None:
        raise self._consume_only("delete_queue")

    def dead_letters(self, queue: str) -> list[DeadLetter]:
        raise self._consume_only("dead_letters")

    def redrive(self, queue: str, message_id: str | None = None) -> int:
        raise self._consume_only("redrive")

    def close(self) -> None:
        """Release the connection pool (consumers should be closed first)."""
        self._http.close()

    def _consume_only(self, operation: str) -> ConfigurationError:
        return ConfigurationError(
            f"{operation}: the embedded queue gateway ({self.url}) only consumes; create "
            "executions through the API (POST /executions/{serviceId}) or use the "
            "embedded:/// URL on the control plane's machine")

    def call(self, path: str, body: dict | None, timeout: float, method: str = "post") -> dict:
        """One gateway call (used by the consumers); returns the JSON reply.

        Raises:
            ConsumerGone: 404 on a consumer's path (the gateway closed or forgot it).
            QueueUnavailableError: connection failure, timeout or 5xx.
            ConfigurationError: any other 4xx (unknown queue, rejected token, bad tag).
        """
        try:
            reply = self._http.call(method, path, body, timeout)
        except CallFailed as exc:
            raise QueueUnavailableError(f"queue gateway {self.api_url}: {exc}") from exc
        if reply.status == 404 and "/consumers/" in path:
            raise ConsumerGone(path)
        if reply.status >= 500:
            raise QueueUnavailableError(f"queue gateway: HTTP {reply.status}")
        if reply.status >= 400:
            raise ConfigurationError(f"queue gateway refused {path}: HTTP "
                                     f"{reply.status} {reply.message()}")
        return reply.json()


