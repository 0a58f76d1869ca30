"""The child process of one execution (``runExecutionAsProcess``).

Started with the multiprocessing ``spawn`` method, it shares nothing with the agent but
what ``spec`` carries. It logs the SDK in as the service bot, loads the service's class
from the already-fetched codebase folder and builds it (``className(**initParams)`` once
per child), runs the execution with the same code as the thread mode, ships its own log
lines and progress reports (its own outbox, emptied before it answers), and sends
``(status, body)`` over the pipe. It never reports the terminal status itself: the agent
does, and acks only afterwards. On Linux the child dies with the agent
(``PR_SET_PDEATHSIG``), so a killed agent leaves no orphan running.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import sys
import time
from pathlib import Path

#: Keys of ``spec``: url, token, service_id, replica_id, service, package, module, folder.
SPEC_KEYS = ("url", "token", "service_id", "replica_id", "service", "package", "module",
             "folder")


def main(sender, spec: dict, execution: dict, entities: dict | None = None) -> None:
    """Entry point of the child process; always sends exactly one ``(status, body)``.

    ``entities``: the input entities' JSON the claim answered with (``Invoker.run``).
    """
    _die_with_parent()
    from conveyor_runner.agent.errors import ServiceLoadError
    from conveyor_runner.agent.execution import failure, perform
    from conveyor_runner.agent.logs import LogRouter
    from conveyor_runner.agent.outbox import Outbox
    from conveyor_runner.agent.reporter import Reporter

    logging.getLogger().setLevel(logging.INFO)
    reporter = Reporter(spec["url"] + "/api/v1", spec["token"], spec["service_id"],
                        spec["replica_id"])
    outbox = Outbox(reporter)
    router = LogRouter(outbox, default=execution["id"])
    router.install()
    outbox.start()
    started = time.monotonic()
    try:
        client = _login(spec)
        loaded = _load(spec, client)
        outcome = perform(loaded, execution, client,
                          lambda body: outbox.progress(execution["id"], body), entities)
    except (ServiceLoadError, ValueError) as exc:  # ValueError: login_token refused the token
        details = getattr(exc, "details", str(exc))
        logging.getLogger("conveyor.execution").error("%s", details)
        outcome = failure(str(exc), details, time.monotonic() - started)
    finally:
        router.uninstall()
        outbox.stop()
    sender.send((outcome.status, outcome.body))
    sender.close()


def _login(spec: dict):
    """The global ``dl`` connection (user code imports it) as the service bot."""
    import conveyor as dl

    dl.setenv(spec["url"])
    dl.login_token(spec["token"])
    return dl.client_api


def _load(spec: dict, client):
    from conveyor_runner.agent import loader

    folder = Path(spec["folder"])
    cls = loader.import_class(folder, spec["module"])
    runner = loader.build_runner(cls, spec["module"], spec["service"], client)
    entities = loader.sdk_entities(client, spec["service"], spec["package"])
    return loader.LoadedService(spec["service"], spec["package"], spec["module"], folder,
                                runner, entities)


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
