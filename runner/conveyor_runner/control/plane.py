"""ControlPlane: the long-running parts behind the API (queue, execution intake, dispatcher,
reconciler, trigger engine, cron scheduler)."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlparse

from conveyor_runner.compute.backend import ComputeBackend
from conveyor_runner.control.auth import issue_token
from conveyor_runner.control.cron import CronScheduler
from conveyor_runner.control.dispatch import Dispatcher
from conveyor_runner.control.events import EventBus
from conveyor_runner.control.intake import ExecutionIntake
from conveyor_runner.control.janitor import Janitor
from conveyor_runner.control.queue_gateway import QueueGateway
from conveyor_runner.control.reconciler import Reconciler, ReplicaEnvironment
from conveyor_runner.control.trigger_engine import EventBodies, TriggerEngine
from conveyor_runner.control.waiters import ExecutionWaiters
from conveyor_runner.plugin.manager import Registries
from conveyor_runner.settings import Settings
from conveyor_runner.store.db import Database
from conveyor_runner.store.tables import ExecutionRow, ServiceRow
from conveyor_runner.store.users import get_user

BOT_TOKEN_TTL = 365 * 24 * 3600


class ControlPlane:
    """Owns the queue transport, compute backends and the background loops.

    Nothing starts until ``start``; ``stop`` stops the loops (replicas keep running unless
    ``drain_all`` was called first). ``event_bodies`` renders the resource JSON event
    triggers match against (the API's renderer: the control plane knows no wire shapes).
    """

    def __init__(self, settings: Settings, db: Database, registries: Registries,
                 signing_key: str, *, event_bodies: EventBodies) -> None:
        self.settings, self.db, self.registries = settings, db, registries
        self._signing_key = signing_key
        queue_cls = registries.queue.get(urlparse(settings.queue_url).scheme)
        self.queue = queue_cls(settings.queue_url)
        self.waiters = ExecutionWaiters()
        self.gateway: QueueGateway | None = None
        self._backends: dict[str, ComputeBackend] = {}
        self._backends_lock = threading.Lock()
        self._tokens: dict[tuple[str, int], str] = {}
        self.reconciler = Reconciler(db, self.backend, ReplicaEnvironment(
            control_url=settings.public_url, queue_url=settings.replica_queue_url,
            home_root=str(settings.data_dir / "replica-home"), token_for=self._bot_token))
        self.dispatcher = Dispatcher(db, self.queue, on_published=self.reconciler.notice_queued)
        self.intake = ExecutionIntake(db, self.dispatcher.publish)
        self.events = EventBus()
        db.on_events_committed(self.events.notify)
        self.triggers = TriggerEngine(db, self.events, event_bodies, self.queue_created)
        self.cron = CronScheduler(db, self.queue_created)
        self.janitor = Janitor(db, self.dispatcher.publish, self.waiters.notify)

    def queue_created(self, rows: list[ExecutionRow]) -> None:
        """Publish executions a trigger or cron created, and wake their services.

        The wake-up is the scale-from-zero hook: the reconciler evaluates each service's
        autoscaler now, which starts a replica for a service at zero with queued work.
        """
        self.dispatcher.publish(rows)
        for service_id in {row.service_id for row in rows}:
            self.reconciler.wake(service_id)

    def backend_names(self) -> list[str]:
        """Names of the installed compute backends."""
        return self.registries.compute.names()

    def backend(self, name: str) -> ComputeBackend:
        """The (single) instance of a compute backend, created on first use."""
        with self._backends_lock:
            if name not in self._backends:
                cls = self.registries.compute.get(name)
                self._backends[name] = cls(Path(self.settings.data_dir) / "compute" / name)
            return self._backends[name]

    def _bot_token(self, service: ServiceRow) -> str:
        key = (service.id, service.revision)
        if key not in self._tokens:
            with self.db.transaction() as session:
                bot = get_user(session, service.bot_id)
                self._tokens[key] = issue_token(bot.id, bot.email, self._signing_key,
                                                BOT_TOKEN_TTL)
        return self._tokens[key]

    def start(self) -> None:
        """Start the gateway, dispatcher, intake, reconciler, trigger engine and cron."""
        self.gateway = QueueGateway(self.queue)
        self.dispatcher.start()
        self.intake.start()
        self.reconciler.start()
        self.triggers.start()
        self.cron.start()
        self.janitor.start()

    def drain_all(self, timeout: float) -> None:
        """Stop every replica (SIGTERM, drain) and wait up to ``timeout`` for them to exit."""
        self.reconciler.stop()
        self.reconciler.remove_all(timeout)

    def stop(self) -> None:
        """Stop the loops and release the queue and backends."""
        self.intake.stop()  # what it holds is written and published before the rest stops
        self.janitor.stop()
        self.cron.stop()
        self.triggers.stop()
        self.reconciler.stop()
        self.dispatcher.stop()
        if self.gateway is not None:
            self.gateway.shutdown()
        for backend in self._backends.values():
            backend.close()
        self.queue.close()
