"""Runner settings: one immutable object built from the environment and the CLI."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from conveyor.client.login_file import conveyor_home

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7979


class Settings(BaseModel):
    """Everything the control plane needs to start.

    Attributes:
        host: interface the REST API binds to.
        port: TCP port of the REST API.
        data_dir: root of the embedded default's state (database, binaries, queue).
        database_url: SQLAlchemy URL; SQLite under ``data_dir`` unless set.
        storage_url: where item binaries live; ``file://<data_dir>/binaries`` unless set.
        queue_url: where executions travel; the embedded queue under ``data_dir`` unless set
            (``CONVEYOR_QUEUE_URL=amqp://...`` selects RabbitMQ).
        public_url: the URL clients use to reach this server (put into ``url`` fields).
        token_ttl_seconds: lifetime of issued JWTs.
    """

    model_config = ConfigDict(frozen=True)

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path
    database_url: str
    storage_url: str
    queue_url: str
    public_url: str
    token_ttl_seconds: int = 7 * 24 * 3600

    @classmethod
    def load(
        cls,
        *,
        host: str | None = None,
        port: int | None = None,
        data_dir: str | Path | None = None,
        database_url: str | None = None,
        public_url: str | None = None,
    ) -> Settings:
        """Build settings from explicit values, then ``CONVEYOR_*`` variables, then defaults.

        Guarantees the data directory exists when this returns.
        """
        env = os.environ
        host = host or env.get("CONVEYOR_HOST") or DEFAULT_HOST
        port = int(port or env.get("CONVEYOR_PORT") or DEFAULT_PORT)
        root = Path(data_dir or env.get("CONVEYOR_DATA_DIR") or conveyor_home() / "data")
        root = root.expanduser().resolve()
        root.mkdir(parents=True, exist_ok=True)
        database_url = (
            database_url or env.get("CONVEYOR_DATABASE_URL") or f"sqlite:///{root / 'conveyor.db'}"
        )
        storage_url = env.get("CONVEYOR_STORAGE_URL") or (root / "binaries").as_uri()
        queue_url = env.get("CONVEYOR_QUEUE_URL") or "embedded://" + str(root / "queue.db")
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        public_url = public_url or env.get("CONVEYOR_PUBLIC_URL") or f"http://{shown_host}:{port}"
        return cls(
            host=host,
            port=port,
            data_dir=root,
            database_url=database_url,
            storage_url=storage_url,
            queue_url=queue_url,
            public_url=public_url.rstrip("/"),
        )

    @property
    def replica_queue_url(self) -> str:
        """The queue URL replicas use: the embedded queue is reached through this server."""
        if self.queue_url.startswith("embedded://"):
            return "embedded+" + self.public_url
        return self.queue_url

    @property
    def api_url(self) -> str:
        """The REST API base clients address: ``<public_url>/api/v1``."""
        return f"{self.public_url}/api/v1"
