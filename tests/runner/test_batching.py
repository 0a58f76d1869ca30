"""Tickets: answered once; ``on_done`` callbacks run once, on the finishing thread."""

from __future__ import annotations

import threading

from conveyor_runner.batching import Ticket


def test_on_done_runs_once_when_the_ticket_is_first_finished():
    ticket, seen = Ticket("payload"), []
    ticket.on_done(lambda t: seen.append((t.answer, threading.current_thread().name)))
    finisher = threading.Thread(target=ticket.finish, args=("answer",), name="finisher")
    finisher.start()
    finisher.join()
    ticket.finish("too late")
    assert seen == [("answer", "finisher")]
    assert ticket.wait() == "answer"


def test_on_done_after_finish_runs_at_once_and_errors_are_kept():
    ticket, seen = Ticket("payload"), []
    ticket.finish(error=ValueError("refused"))
    ticket.on_done(lambda t: seen.append(type(t.error)))
    assert seen == [ValueError]
