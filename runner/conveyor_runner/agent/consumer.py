"""ExecutionConsumer: deliveries -> claim -> invoke -> report -> ack.

For each delivery, in a handler thread of its own (at most ``concurrency`` at once, which
is also the consumer's prefetch, so a delivery is never taken that cannot start):

1. decode the ``ExecutionMessage``; undecodable -> ``dead_letter(reason)``;
2. ``POST /executions/{id}/claim``; ``skip`` -> ack; claim refused with 400/404 (no such
   execution) -> dead letter; other refusals, or the control plane unreachable after the
   retries -> nack (redelivered, claimed later);
3. ``run`` -> the invoker runs it to an outcome;
4. the terminal report, retried until the ledger stored it -- and only then ``ack``.
   A report the ledger refuses (409: another replica owns the execution now) is acked:
   the ledger already decided, and this delivery is a stale copy.

Draining (SIGTERM, ``do_reset``): stop receiving, keep the consumer open (its running
deliveries must not return to the queue while they run), wait up to ``drainTime`` for the
running executions, then abandon the rest: their deliveries are nacked, so their
redelivery meets the ledger's ``onReset`` at claim. The consumer is closed last.
"""

from __future__ import annotations

import logging
import threading
import time

from conveyor_runner.agent.errors import ControlPlaneUnreachable, ReportRejected
from conveyor_runner.queue import QueueUnavailableError
from conveyor_runner.queue.messages import ExecutionMessage, UndecodableMessageError, queue_name

log = logging.getLogger(__name__)


class ExecutionConsumer:
    """Consumes one service's queue until drained.

    Args:
        transport: the ``QueueTransport`` of ``CONVEYOR_QUEUE_URL``.
        service_id: whose queue to consume.
        invoker: runs claimed executions.
        reporter: claims and terminal reports.
        concurrency: executions at once (= prefetch).
        drain_time: seconds running executions get once draining starts.
        on_reset: called when the user's class asked for a reset (``do_reset()``).
    """

    def __init__(self, transport, service_id: str, invoker, reporter, concurrency: int,
                 drain_time: float, on_reset=lambda: None) -> None:
        self.transport, self.queue = transport, queue_name(service_id)
        self.invoker, self.reporter = invoker, reporter
        self.concurrency, self.drain_time = max(int(concurrency), 1), float(drain_time)
        self.on_reset = on_reset
        self.draining = threading.Event()
        self.paused = threading.Event()  # the control plane asked to stop taking work
        self._give_up = threading.Event()  # the drain deadline passed
        self._handlers: set[threading.Thread] = set()
        self._slots = threading.Condition()
        self._consumer = None

    def open(self) -> None:
        """Subscribe to the queue (prefetch = concurrency); transport errors propagate."""
        self._consumer = self.transport.consume(self.queue, prefetch=self.concurrency)

    def run(self) -> None:
        """Consume until ``drain`` is called, then drain; returns when done."""
        if self._consumer is None:
            self.open()
        try:
            self._receive_loop(self._consumer)
            self._drain()
        finally:
            self._consumer.close()

    def drain(self) -> None:
        """Stop taking work and finish (idempotent, callable from a signal handler)."""
        self.draining.set()
        with self._slots:
            self._slots.notify_all()

    def abandon_now(self) -> None:
        """Give up the running executions at once (a second SIGTERM)."""
        self.drain()
        self._give_up.set()
        self.invoker.abandon_all()

    def _receive_loop(self, consumer) -> None:
        failures = 0
        while not self.draining.is_set():
            with self._slots:
                if self.paused.is_set() or len(self._handlers) >= self.concurrency:
                    self._slots.wait(0.5)
                    continue
            try:
                delivery = consumer.receive(timeout=1.0)
                failures = 0
            except QueueUnavailableError as exc:
                failures += 1
                log.warning("receiving from %s failed: %s", self.queue, exc)
                self.draining.wait(min(2.0 ** failures, 30.0))
                continue
            if delivery is not None:
                self._start_handler(delivery)

    def _start_handler(self, delivery) -> None:
        thread = threading.Thread(target=self._handle_and_release, args=(delivery,),
                                  name=f"conveyor-delivery-{delivery.message_id}", daemon=True)
        with self._slots:
            self._handlers.add(thread)
        thread.start()

    def _handle_and_release(self, delivery) -> None:
        try:
            self._handle(delivery)
        except Exception:  # one bad delivery must not stop the replica
            log.exception("handling message %s failed; it returns to the queue",
                          delivery.message_id)
            _settle(delivery, "nack")
        finally:
            with self._slots:
                self._handlers.discard(threading.current_thread())
                self._slots.notify_all()

    def _handle(self, delivery) -> None:
        try:
            message = ExecutionMessage.decode(delivery.body)
        except UndecodableMessageError as exc:
            log.error("message %s is not an execution message: %s", delivery.message_id, exc)
            return _settle(delivery, "dead_letter", str(exc))
        try:
            claim = self.reporter.claim(message.execution_id, message.dispatch_id)
        except ReportRejected as exc:
            log.error("claim of execution %s refused: %s", message.execution_id, exc)
            if exc.status in (400, 404):  # the message names nothing runnable: set it aside
                return _settle(delivery, "dead_letter", f"claim refused: {exc}")
            self.draining.wait(5.0)  # 401/403: this replica's token; another may do better
            return _settle(delivery, "nack")
        except ControlPlaneUnreachable as exc:
            log.warning("cannot claim execution %s: %s", message.execution_id, exc)
            return _settle(delivery, "nack")
        if claim.get("action") != "run":
            log.info("execution %s skipped: %s", message.execution_id, claim.get("reason"))
            return _settle(delivery, "ack")
        self._run(delivery, claim["execution"])

    def _run(self, delivery, execution: dict) -> None:
        outcome = self.invoker.run(execution)
        if outcome is None:
            return _settle(delivery, "nack")  # abandoned at the drain deadline: onReset
        try:
            self.reporter.result(execution["id"], outcome.body, give_up=self._give_up)
        except ReportRejected as exc:
            log.warning("result of execution %s refused (%s); the ledger already decided",
                        execution["id"], exc)
        except ControlPlaneUnreachable as exc:
            log.error("result of execution %s not stored (%s); it returns to the queue",
                      execution["id"], exc)
            return _settle(delivery, "nack")
        _settle(delivery, "ack")
        if getattr(self.invoker.loaded.runner, "_do_reset", False):
            log.info("the service asked for a reset (do_reset): draining")
            self.on_reset()

    def _drain(self) -> None:
        deadline = time.monotonic() + self.drain_time
        with self._slots:
            busy = len(self._handlers)
        if busy:
            log.info("draining: %d execution(s) running, waiting up to %g s", busy,
                     self.drain_time)
        with self._slots:
            while self._handlers and time.monotonic() < deadline:
                self._slots.wait(min(deadline - time.monotonic(), 1.0))
            left = len(self._handlers)
        if left:
            log.warning("drain time over: %d execution(s) abandoned; they return to the "
                        "queue and follow onReset", left)
            self.abandon_now()
            with self._slots:
                end = time.monotonic() + 30
                while self._handlers and time.monotonic() < end:
                    self._slots.wait(1.0)


def _settle(delivery, action: str, *args) -> None:
    """Settle a delivery; a failure is logged (the ledger makes a redelivery harmless)."""
    try:
        getattr(delivery, action)(*args)
    except Exception as exc:  # noqa: BLE001 - nothing else can be done with it here
        log.warning("%s of message %s failed: %s", action, delivery.message_id, exc)
