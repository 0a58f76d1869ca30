"""``run_agent()``: the life of one replica, from its environment to its exit code.

1. Read the environment (nothing else), start the outbox (logs, progress, results and
   claims) and the heartbeat (``state: starting``).
2. Log the SDK in as the service bot -- the global ``dl`` connection, since user code does
   ``import conveyor as dl`` -- and load the service: definition, codebase, module,
   ``className(**initParams)`` built once.
3. On any load error: heartbeat ``state: failed`` with the traceback (the service's
   status shows it), a replica log line, exit code 3 -- without consuming anything. The
   compute backend restarts the replica with backoff.
4. Otherwise ``state: ready`` and consume until SIGTERM/SIGINT (or ``do_reset()``): then
   drain -- running executions get ``drainTime`` seconds, the rest are nacked -- send
   ``state: exited`` and exit 0. A second signal abandons the running executions at once.

Exit codes: 0 drained, 2 bad environment, 3 the service could not be loaded.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import traceback
from collections.abc import Mapping
from urllib.parse import urlparse

from conveyor_runner.agent.consumer import ExecutionConsumer
from conveyor_runner.agent.environment import AgentEnvironment
from conveyor_runner.agent.errors import AgentConfigurationError, ServiceLoadError
from conveyor_runner.agent.heartbeat import Heartbeat
from conveyor_runner.agent.invoker import Invoker
from conveyor_runner.agent.loader import LoadedService, load_service
from conveyor_runner.agent.logs import LogRouter
from conveyor_runner.agent.outbox import Outbox
from conveyor_runner.agent.reporter import Reporter
from conveyor_runner.plugin.manager import build_registries, get_plugin_manager

log = logging.getLogger("conveyor_runner.agent")

EXIT_OK, EXIT_ENVIRONMENT, EXIT_LOAD_FAILED = 0, 2, 3


def run_agent(environ: Mapping[str, str] | None = None) -> int:
    """Run the replica until it is drained; returns the process exit code."""
    _configure_logging()
    try:
        env = AgentEnvironment.from_env(environ)
    except AgentConfigurationError as exc:
        log.error("%s", exc)
        return EXIT_ENVIRONMENT
    reporter = Reporter(env.api_url, env.token, env.service_id, env.replica_id)
    outbox = Outbox(reporter)
    router = LogRouter(outbox)
    router.install()
    outbox.start()
    try:
        return _Replica(env, reporter, router).run()
    finally:
        router.uninstall()
        outbox.stop()
        reporter.close()


class _Replica:
    """The started components of one agent process."""

    def __init__(self, env: AgentEnvironment, reporter: Reporter, router: LogRouter) -> None:
        self.env, self.reporter, self.router = env, reporter, router
        self.invoker: Invoker | None = None
        self.consumer: ExecutionConsumer | None = None
        self.heartbeat = Heartbeat(reporter, env.revision, self._running, self._terminate,
                                   self._pause)
        self._signals = 0

    def run(self) -> int:
        self.heartbeat.start()
        log.info("replica %s of service %s starting", self.env.replica_id, self.env.service_id)
        try:
            registries = build_registries(get_plugin_manager())
            client = _login(self.env)
            loaded = load_service(client, self.env.service_id, registries, self.env.home)
            transport = self._transport(registries)
            self.invoker = Invoker(loaded, self.reporter, self.router, client,
                                   child_spec=self._child_spec(loaded))
            self.consumer = self._consumer(transport, loaded)
        except ServiceLoadError as exc:
            return self._failed(exc.details)
        except Exception:  # noqa: BLE001 - login, plugin and queue errors are load errors
            return self._failed(traceback.format_exc())
        self._install_signals()
        self.heartbeat.state = "ready"
        self.heartbeat.beat()
        log.info("replica %s ready (%s.%s, concurrency %s)", self.env.replica_id,
                 loaded.module.get("entryPoint"), loaded.module.get("className"),
                 self.consumer.concurrency)
        try:
            self.consumer.run()
        finally:
            transport.close()
            self.invoker.close()
        self.heartbeat.stop(final_state="exited")
        log.info("replica %s drained; exiting", self.env.replica_id)
        return EXIT_OK

    def _failed(self, details: str) -> int:
        log.error("the service could not be loaded; this replica exits (code %d):\n%s",
                  EXIT_LOAD_FAILED, details)
        self.heartbeat.stop()
        self.heartbeat.fail(details)
        return EXIT_LOAD_FAILED

    def _consumer(self, transport, loaded: LoadedService) -> ExecutionConsumer:
        runtime = loaded.service.get("runtime") or {}
        consumer = ExecutionConsumer(
            transport, self.env.service_id, self.invoker, self.router.outbox,
            int(runtime.get("concurrency") or 10), float(loaded.service.get("drainTime", 600)),
            on_reset=self._drain)
        consumer.open()
        return consumer

    def _transport(self, registries):
        scheme = urlparse(self.env.queue_url).scheme
        return registries.queue.get(scheme)(self.env.queue_url)

    def _child_spec(self, loaded: LoadedService) -> dict:
        env = self.env
        return {"url": env.url, "token": env.token, "service_id": env.service_id,
                "replica_id": env.replica_id, "service": loaded.service,
                "package": loaded.package, "module": loaded.module,
                "folder": str(loaded.folder)}

    def _running(self) -> list[str]:
        return self.invoker.running() if self.invoker else []

    def _terminate(self, ids: list[str]) -> None:
        for execution_id in ids:
            if self.invoker and self.invoker.request_stop(execution_id):
                log.info("terminating execution %s on request", execution_id)

    def _pause(self, drain: bool) -> None:
        if self.consumer is not None:
            (self.consumer.paused.set if drain else self.consumer.paused.clear)()

    def _drain(self) -> None:
        self.heartbeat.state = "draining"
        if self.consumer is not None:
            self.consumer.drain()

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # embedded use (tests): the caller stops it through drain()

        def on_signal(signum, _frame) -> None:
            # SIGTERM only ever asks for a drain: it may arrive more than once (a death
            # signal, then a supervisor, then a group kill), and a repeat must not throw
            # away executions that are about to report. A second Ctrl-C (SIGINT) forces.
            self._signals += 1
            if self._signals == 1:
                log.info("received %s: draining", signal.Signals(signum).name)
                self._drain()
            elif signum == signal.SIGINT and self.consumer is not None:
                log.warning("received SIGINT again: abandoning running executions")
                self.consumer.abandon_now()
            else:
                log.info("received %s again: still draining", signal.Signals(signum).name)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)


def _login(env: AgentEnvironment):
    """Log the global SDK connection in as the service bot; returns its ``ApiClient``."""
    import conveyor as dl

    dl.setenv(env.url)
    dl.login_token(env.token)
    return dl.client_api


def _configure_logging() -> None:
    """INFO and up to stderr (the backend keeps it as the replica's log)."""
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    if not any(getattr(h, "_conveyor_agent", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._conveyor_agent = True
        root.addHandler(handler)
