"""ExecutionWaiters: a notify from any thread wakes the subscriptions taken before it."""

from __future__ import annotations

import asyncio
import threading

from conveyor_runner.control.waiters import ExecutionWaiters


def test_a_notify_from_another_thread_completes_earlier_subscriptions():
    waiters = ExecutionWaiters(recheck_seconds=30)

    async def scenario():
        first, second = waiters.subscribe(), waiters.subscribe()
        threading.Thread(target=waiters.notify).start()
        await waiters.wait(first, 30)
        await waiters.wait(second, 30)
        later = waiters.subscribe()  # taken after the notify: not completed by it
        return first.done(), second.done(), later.done()

    assert asyncio.run(scenario()) == (True, True, False)


def test_a_wait_returns_after_the_recheck_interval_and_drops_its_subscription():
    waiters = ExecutionWaiters(recheck_seconds=0.05)

    async def scenario():
        subscription = waiters.subscribe()
        await waiters.wait(subscription, 30)  # nobody notifies: the recheck ends it
        return subscription.done()

    assert asyncio.run(scenario()) is False
    assert not waiters._pending


def test_a_notify_after_the_waiting_loop_closed_is_harmless():
    waiters = ExecutionWaiters()

    async def subscribe_only():
        return waiters.subscribe()

    asyncio.run(subscribe_only())  # its loop is closed when run() returns
    waiters.notify()
    assert not waiters._pending
