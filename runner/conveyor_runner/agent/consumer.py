"""ExecutionConsumer: deliveries -> claim -> invoke -> report -> ack.

The receive loop takes up to as many deliveries as it has free slots (``concurrency``
slots: a delivery is never taken that cannot start), submits their claims, and hands each
delivery to one of the handler threads once its claim is answered: a handler wakes once
per delivery, with the answer in hand (waking it at the receive, to wait for the answer,
cost twelve context switches per execution). The handlers are started once, as many as
deliveries may be unsettled (the prefetch, see below), so a delivery never waits for a
handler, nor for a thread's start-up:

1. decode the ``ExecutionMessage``; undecodable -> ``dead_letter(reason)``;
2. claim it -- the claims of one receive leave together, through the outbox, with the
   results and lines waiting there (``outbox.Outbox.claim``); ``skip`` -> ack; an
   execution the ledger does not know (or a claim refused with 400) -> dead letter; other
   refusals, or the control plane unreachable after the retries -> nack (redelivered,
   claimed later);
3. ``run`` -> the invoker runs it to an outcome, on the handler's own thread (thread
   mode; see ``invoker``). A function that does not stop within its grace after a
   timeout or terminate is taken over: the delivery is finished from another thread,
   and a new handler takes the place of the one still in the function;
4. the terminal result goes to the outbox, which ships it with the execution's last log
   lines (and the results of other executions finished meanwhile) and retries until the
   ledger answered -- only then is the delivery acked. A result the ledger refuses
   (another replica or attempt owns the execution, or it is already final) is acked too:
   the ledger already decided, and this delivery is a stale copy.

A slot is freed as soon as its function has returned: the next delivery starts while the
result travels to the ledger. Where the transport queues acks (``Delivery.queues_acks``,
RabbitMQ), the handler takes its next job at once too, and the delivery is settled from
the ledger's answer on the outbox's thread with ``ack_nowait`` (a nack, rare, from a thread
of its own): waiting for the answer and the ack cost the handler two thread hand-overs
per execution. Elsewhere the handler waits and acks itself (the embedded gateway batches
the acks of many handlers in one request). So the consumer's prefetch (unsettled
deliveries) is twice ``concurrency``: the slots' executions, plus as many finished ones
waiting for their result to be stored -- when the control plane is slow to store results,
that bound stops the replica taking more work.

Draining (SIGTERM, ``do_reset``): stop receiving, keep the consumer open (its running
deliveries must not return to the queue while they run), wait up to ``drainTime`` for the
running executions, then abandon the rest: their deliveries are nacked, so their
redelivery meets the ledger's ``onReset`` at claim. The consumer is closed last.
"""

from __future__ import annotations

import functools
import logging
import queue as queue_module
import threading
import time

from conveyor_runner.agent.errors import ControlPlaneUnreachable, ReportRejected
from conveyor_runner.agent.invoker import TAKEN_OVER
from conveyor_runner.queue import QueueUnavailableError
from conveyor_runner.queue.messages import ExecutionMessage, UndecodableMessageError, queue_name

log = logging.getLogger(__name__)


class ExecutionConsumer:
    """Consumes one service's queue until drained.

    Args:
        transport: the ``QueueTransport`` of ``CONVEYOR_QUEUE_URL``.
        service_id: whose queue to consume.
        invoker: runs claimed executions.
        outbox: sends the claims, and takes the terminal results.
        concurrency: executions at once (the consumer's prefetch is twice this).
        drain_time: seconds running executions get once draining starts.
        on_reset: called when the user's class asked for a reset (``do_reset()``).
    """

    def __init__(self, transport, service_id: str, invoker, outbox, concurrency: int,
                 drain_time: float, on_reset=lambda: None) -> None:
        self.transport, self.queue = transport, queue_name(service_id)
        self.invoker, self.outbox = invoker, outbox
        self.concurrency, self.drain_time = max(int(concurrency), 1), float(drain_time)
        #: Unsettled deliveries at most: the slots' executions, plus as many finished ones
        #: whose result is still being stored.
        self.prefetch = 2 * self.concurrency
        self.on_reset = on_reset
        self.draining = threading.Event()
        self.paused = threading.Event()  # the control plane asked to stop taking work
        self._give_up = threading.Event()  # the drain deadline passed
        self._handling: set[_Slot] = set()  # deliveries taken and not yet settled
        self._jobs: queue_module.SimpleQueue = queue_module.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._busy = 0  # slots taken (a handler frees its own before it settles)
        self._slots = threading.Condition()
        self._consumer = None
        self._item_inputs_of: dict[str, list[str]] = {}

    def open(self) -> None:
        """Subscribe to the queue (with ``prefetch``); transport errors propagate."""
        self._consumer = self.transport.consume(self.queue, prefetch=self.prefetch)

    def run(self) -> None:
        """Consume until ``drain`` is called, then drain; returns when done."""
        if self._consumer is None:
            self.open()
        self._start_workers()
        try:
            self._receive_loop(self._consumer)
            self._drain()
        finally:
            self._consumer.close()
            self._stop_workers()

    def _start_workers(self) -> None:
        # A slot's result may still be settling when its slot takes the next delivery,
        # so there are as many handlers as the prefetch allows unsettled deliveries.
        for _ in range(self.prefetch):
            self._start_handler()

    def _start_handler(self) -> None:
        with self._slots:
            worker = threading.Thread(target=self._work, daemon=True,
                                      name=f"conveyor-handler-{len(self._workers)}")
            worker.start()
            self._workers.append(worker)

    def _stop_workers(self) -> None:
        """Let the handlers end once their jobs are done (a handler still stuck after the
        drain's own wait is a daemon thread, left behind rather than waited for)."""
        with self._slots:
            workers = list(self._workers)
        for _ in workers:
            self._jobs.put(None)
        deadline = time.monotonic() + 5.0
        for worker in workers:
            worker.join(timeout=max(deadline - time.monotonic(), 0.0))

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            slot, delivery = job[0], job[1]
            if self._step(slot, delivery, self._handle, *job) is TAKEN_OVER:
                return  # another handler took this thread's place (see _taken_over)

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
                free = self.concurrency - self._busy
                if self.paused.is_set() or free <= 0:
                    self._slots.wait(0.5)
                    continue
            try:
                deliveries = consumer.receive_many(timeout=1.0, limit=free)
                failures = 0
            except QueueUnavailableError as exc:
                failures += 1
                log.warning("receiving from %s failed: %s", self.queue, exc)
                self.draining.wait(min(2.0 ** failures, 30.0))
                continue
            if deliveries:
                self._start_handlers(deliveries)

    def _start_handlers(self, deliveries: list) -> None:
        """Submit the claims of the decodable deliveries at once; each delivery goes to a
        handler once its claim is answered (an undecodable one at once)."""
        jobs = []
        for delivery in deliveries:
            try:
                message = ExecutionMessage.decode(delivery.body)
            except UndecodableMessageError as exc:
                jobs.append((delivery, exc, None))
                continue
            jobs.append((delivery, message, self.outbox.claim(
                message.execution_id, message.dispatch_id,
                self._item_inputs(message.function_name))))
        self.outbox.submit(*(ticket for _, _, ticket in jobs if ticket is not None))
        slots = [_Slot(self) for _ in jobs]
        with self._slots:
            self._busy += len(jobs)
            self._handling.update(slots)
        for slot, (delivery, message, ticket) in zip(slots, jobs, strict=True):
            job = (slot, delivery, message, ticket)
            if ticket is None:
                self._jobs.put(job)
            else:  # a handler wakes once, with the claim's answer in hand
                ticket.on_done(functools.partial(_queue_job, self._jobs, job))

    def _item_inputs(self, function_name: str) -> list[str]:
        """Names of the function's ``Item`` and ``Item[]`` inputs (the claim brings them);
        worked out once per function, since the loaded package does not change."""
        name = function_name or "run"
        if name not in self._item_inputs_of:
            function = self.invoker.loaded.function(name) or {}
            self._item_inputs_of[name] = [io["name"] for io in function.get("input") or []
                                          if io.get("type") in ("Item", "Item[]")]
        return self._item_inputs_of[name]

    def _free_slot(self) -> None:
        with self._slots:
            self._busy -= 1
            self._slots.notify_all()

    def _step(self, slot: _Slot, delivery, step, *args) -> object:
        """Run one step of a delivery's handling; an error nacks the delivery (it returns
        to the queue). Then the slot is free, and the delivery released -- unless its
        result is on its way (handed over: its answer releases it) or the step's execution
        was taken over (``TAKEN_OVER``: the takeover finishes it)."""
        result = None
        try:
            result = step(*args)
        except Exception:  # one bad delivery must not stop the replica
            log.exception("handling message %s failed; it returns to the queue",
                          delivery.message_id)
            slot.free()
            _settle(delivery, "nack")
        finally:
            if result is not TAKEN_OVER:
                slot.free()
                if not slot.handed_over:
                    slot.release()
        return result

    def _handle(self, slot: _Slot, delivery, message, ticket) -> object:
        if isinstance(message, UndecodableMessageError):
            log.error("message %s is not an execution message: %s", delivery.message_id, message)
            return slot.settle(delivery, "dead_letter", str(message))
        execution_id = message.execution_id
        try:
            claim = ticket.wait()
        except ReportRejected as exc:
            log.error("claim of execution %s refused: %s", execution_id, exc)
            if exc.status == 400:  # the control plane refuses the claim itself: set it aside
                return slot.settle(delivery, "dead_letter", f"claim refused: {exc}")
            self.draining.wait(5.0)  # 401/403: this replica's token; another may do better
            return slot.settle(delivery, "nack")
        except ControlPlaneUnreachable as exc:
            log.warning("cannot claim execution %s: %s", execution_id, exc)
            return slot.settle(delivery, "nack")
        if claim.get("execution") is None:  # the message names nothing runnable
            log.error("claim of execution %s refused: %s", execution_id, claim.get("reason"))
            return slot.settle(delivery, "dead_letter",
                               f"claim refused: execution {execution_id} {claim.get('reason')}")
        if claim.get("action") != "run":
            log.info("execution %s skipped: %s", execution_id, claim.get("reason"))
            return slot.settle(delivery, "ack")
        return self._run(slot, delivery, claim, self.outbox.claim_token(ticket))

    def _run(self, slot: _Slot, delivery, claim: dict, claim_token: str) -> object:
        execution = claim["execution"]
        outcome = self.invoker.run(execution, claim.get("entities"), functools.partial(
            self._taken_over, slot, delivery, execution, claim_token))
        if outcome is TAKEN_OVER:
            return outcome
        return self._finish(slot, delivery, execution, claim_token, outcome)

    def _taken_over(self, slot: _Slot, delivery, execution: dict, claim_token: str,
                    outcome) -> None:
        """The invoker ended an execution whose function did not stop in time (on a
        thread of its own): finish its delivery here, and start a handler in place of the
        one still in the function (that one ends once the function returns)."""
        self._start_handler()
        self._step(slot, delivery, self._finish, slot, delivery, execution, claim_token,
                   outcome)

    def _finish(self, slot: _Slot, delivery, execution: dict, claim_token: str,
                outcome) -> None:
        """Report the outcome and settle the delivery (None: abandoned, nacked)."""
        if outcome is None:
            return slot.settle(delivery, "nack")  # abandoned at the drain deadline: onReset
        if getattr(self.invoker.loaded.runner, "_do_reset", False):  # before the slot frees,
            log.info("the service asked for a reset (do_reset): draining")  # so no new work
            self.on_reset()
        # The function is done: its slot takes the next delivery, and this thread the next
        # job, while the result travels to the ledger (the delivery stays unsettled until
        # the ledger answered: see _settle_after_result).
        slot.free()
        ticket = self.outbox.submit_result(execution["id"], outcome.body, claim_token,
                                           give_up=self._give_up)
        if not delivery.queues_acks:  # an ack that waits: this thread waits for it
            return self._settle_after_result(slot, delivery, execution["id"], ticket,
                                             waiting=True)
        slot.handed_over = True  # before on_done: it may settle the delivery at once
        ticket.on_done(functools.partial(self._settle_after_result, slot, delivery,
                                         execution["id"], waiting=False))

    def _settle_after_result(self, slot: _Slot, delivery, execution_id: str, ticket, *,
                             waiting: bool) -> None:
        """Settle a finished execution's delivery from the ledger's answer to its result.

        ``waiting``: on the handler's thread, which waits for the answer. Otherwise on the
        outbox's thread (or the handler's, if the answer came first): then nothing here
        waits on the broker, and nothing raises.
        """
        try:
            try:
                answer = ticket.wait()  # finished: returns or raises at once
            except ReportRejected as exc:
                log.warning("result of execution %s refused (%s); the ledger already decided",
                            execution_id, exc)
            except ControlPlaneUnreachable as exc:
                log.error("result of execution %s not stored (%s); it returns to the queue",
                          execution_id, exc)
                if waiting:
                    return slot.settle(delivery, "nack")
                threading.Thread(target=slot.settle, args=(delivery, "nack"), daemon=True,
                                 name=f"conveyor-nack-{execution_id}").start()
                return
            else:
                if not answer.get("stored"):
                    log.warning("result of execution %s not stored (%s); the ledger already "
                                "decided", execution_id, answer.get("reason"))
            slot.settle(delivery, "ack_nowait")
        except Exception:  # noqa: BLE001 - the outbox's thread must go on
            if waiting:
                raise  # the handler's own error path nacks it
            log.exception("settling message %s failed", delivery.message_id)
            slot.release()

    def _drain(self) -> None:
        deadline = time.monotonic() + self.drain_time
        with self._slots:
            busy = len(self._handling)
        if busy:
            log.info("draining: %d execution(s) running, waiting up to %g s", busy,
                     self.drain_time)
        with self._slots:
            while self._handling and time.monotonic() < deadline:
                self._slots.wait(min(deadline - time.monotonic(), 1.0))
            left = len(self._handling)
        if left:
            log.warning("drain time over: %d execution(s) abandoned; they return to the "
                        "queue and follow onReset", left)
            self.abandon_now()
            with self._slots:
                end = time.monotonic() + 30
                while self._handling and time.monotonic() < end:
                    self._slots.wait(1.0)


class _Slot:
    """One delivery's slot: freed once (before its settlement, or when the handler ends),
    and released from the consumer's unsettled set once its delivery is settled."""

    def __init__(self, consumer: ExecutionConsumer) -> None:
        self._consumer, self._held = consumer, True
        #: The delivery waits for its result's answer, which settles and releases it.
        self.handed_over = False

    def free(self) -> None:
        if self._held:
            self._held = False
            self._consumer._free_slot()

    def settle(self, delivery, action: str, *args) -> None:
        """Free the slot, settle the delivery, and release it."""
        self.free()
        try:
            _settle(delivery, action, *args)
        finally:
            self.release()

    def release(self) -> None:
        """The delivery is settled: the drain stops waiting for it (idempotent)."""
        with self._consumer._slots:
            self._consumer._handling.discard(self)
            self._consumer._slots.notify_all()


def _queue_job(jobs: queue_module.SimpleQueue, job: tuple, _ticket) -> None:
    jobs.put(job)


def _settle(delivery, action: str, *args) -> None:
    """Settle a delivery; a failure is logged (the ledger makes a redelivery harmless)."""
    try:
        getattr(delivery, action)(*args)
    except Exception as exc:  # noqa: BLE001 - nothing else can be done with it here
        log.warning("%s of message %s failed: %s", action, delivery.message_id, exc)
