"""LoopThread: the life of a control-plane loop's thread (start once, stop, bounded join)."""

from __future__ import annotations

import threading
import time

import pytest

from conveyor_runner.control.loop_thread import LoopThread


def test_the_loop_runs_in_a_named_daemon_thread_until_stopped():
    passes, seen = [], {}
    wake = threading.Event()

    def loop():
        seen["thread"] = threading.current_thread()
        while not worker.stopping.is_set():
            passes.append(1)
            wake.wait(10)  # only the interrupt ends this wait in time
            wake.clear()

    worker = LoopThread("conveyor-test-loop", loop, interrupt=wake.set)
    assert not worker.started
    worker.start()
    assert worker.started
    deadline = time.monotonic() + 5
    while not passes and time.monotonic() < deadline:
        time.sleep(0.01)
    begun = time.monotonic()
    worker.stop()
    assert time.monotonic() - begun < 5, "stop waited for the 10 s wait: no interrupt"
    assert seen["thread"].name == "conveyor-test-loop"
    assert seen["thread"].daemon
    assert not seen["thread"].is_alive()
    assert worker.stopping.is_set()


def test_a_loop_starts_once():
    worker = LoopThread("conveyor-test-once", lambda: None)
    worker.start()
    with pytest.raises(RuntimeError, match="conveyor-test-once was already started"):
        worker.start()
    worker.stop()


def test_stop_without_start_only_marks_and_interrupts():
    interrupted = []
    worker = LoopThread("conveyor-test-idle", lambda: None,
                        interrupt=lambda: interrupted.append(True))
    worker.stop()
    worker.stop()  # idempotent
    assert worker.stopping.is_set() and not worker.started
    assert interrupted == [True, True]


def test_a_stuck_loop_is_left_behind_after_the_join_timeout():
    release = threading.Event()
    worker = LoopThread("conveyor-test-stuck", lambda: release.wait(30), join_timeout=0.2)
    worker.start()
    begun = time.monotonic()
    worker.stop()
    assert 0.15 < time.monotonic() - begun < 5
    stuck = [t for t in threading.enumerate() if t.name == "conveyor-test-stuck"]
    assert stuck and stuck[0].is_alive() and stuck[0].daemon
    release.set()
    stuck[0].join(5)
    assert not stuck[0].is_alive()
