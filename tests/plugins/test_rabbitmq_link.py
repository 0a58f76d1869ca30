"""Link.call: what a caller gets when its timeout passes, on a real broker connection.

Needs RabbitMQ (``CONVEYOR_TEST_AMQP_URL``): skipped on a laptop without one, failed under
``CI=true``.
"""

from __future__ import annotations

import threading
import time
import uuid

import pika
import pytest

from conveyor_plugins.rabbitmq.connection import Link
from conveyor_runner.queue import QueueUnavailableError

pytestmark = pytest.mark.rabbitmq


@pytest.fixture
def link(amqp_url):
    link = Link(pika.URLParameters(amqp_url), url="amqp://test", name="link test")
    link.start()
    yield link
    link.close()


@pytest.fixture
def queue(link):
    name = f"link-test-{uuid.uuid4().hex[:8]}"
    link.call(lambda channel, _: channel.queue_declare(name), timeout=10)
    yield name
    link.call(lambda channel, _: channel.queue_delete(name), timeout=10)


def test_a_get_that_outlasts_its_callers_timeout_still_hands_over_the_message(link, queue):
    link.call(lambda channel, _: channel.basic_publish("", queue, b"payload"), timeout=10)

    def slow_get(channel, _generation):
        method, _properties, body = channel.basic_get(queue, auto_ack=False)
        time.sleep(0.3)  # the answer is in; the caller's 0.05 s ran out meanwhile
        return method.delivery_tag, body

    tag, body = link.call(slow_get, timeout=0.05)
    assert body == b"payload"
    link.call(lambda channel, _: channel.basic_ack(tag), timeout=10)
    depth = link.call(lambda channel, _: channel.queue_declare(queue, passive=True),
                      timeout=10).method.message_count
    assert depth == 0


def test_a_call_not_started_within_its_timeout_never_runs(link):
    release = threading.Event()
    ran: list[str] = []
    blocker = threading.Thread(target=lambda: link.call(
        lambda channel, _: release.wait(2), timeout=10))
    blocker.start()
    time.sleep(0.1)  # the I/O thread is busy with the blocker
    with pytest.raises(QueueUnavailableError, match="did not answer"):
        link.call(lambda channel, _: ran.append("late"), timeout=0.1)
    release.set()
    blocker.join()
    link.call(lambda channel, _: None, timeout=10)  # the queue of calls has been served
    assert ran == []
