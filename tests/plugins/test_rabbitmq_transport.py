"""RabbitmqTransport: the queue contract, plus what only a real broker can show.

Needs RabbitMQ (``CONVEYOR_TEST_AMQP_URL``, default 127.0.0.1:5672): skipped on a laptop
without one, failed under ``CI=true``. The fault tests drive the local broker with
``rabbitmqctl`` (closing connections, ``stop_app``/``start_app``) and leave it running;
every queue a test creates is deleted.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from conveyor_plugins.rabbitmq.transport import RabbitmqTransport
from conveyor_runner.errors import ConfigurationError
from conveyor_runner.plugin.manager import build_registries, get_plugin_manager
from conveyor_runner.queue import Message, QueueUnavailableError
from conveyor_runner.testing.contracts.queue import (
    EMPTY,
    PROMPT,
    QueueTransportContract,
    publish_many,
    receive_n,
)

pytestmark = pytest.mark.rabbitmq


def with_query(url: str, query: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="&".join(filter(None, [parts.query, query]))))


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port or 5672}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def transport(amqp_url):
    transport = RabbitmqTransport(amqp_url)
    yield transport
    transport.close()


SLOW_TIMEOUT_CHECK = (
    "RabbitMQ checks consumer timeouts once per channel_tick_interval (60 s by default), and "
    "a broker before 3.12 (this one is 3.10) has no per-queue timeout at all, so a 0.5 s "
    "timeout cannot be observed within the test's grace; the opposite guarantee -- a "
    "delivery is not taken back before its timeout -- is tested below")


class TestRabbitmqTransport(QueueTransportContract):
    """The contract on the default (classic) queues."""

    @pytest.mark.skip(reason=SLOW_TIMEOUT_CHECK)
    def test_unsettled_delivery_returns_after_the_delivery_timeout(self, transport, consume):
        """Skipped for RabbitMQ only; the contract keeps it for every other transport."""


class TestRabbitmqQuorumTransport(QueueTransportContract):
    """The contract on quorum queues (``queue_type=quorum``), with its one documented gap."""

    @pytest.fixture
    def transport(self, amqp_url):
        transport = RabbitmqTransport(with_query(amqp_url, "queue_type=quorum"))
        yield transport
        transport.close()

    @pytest.mark.skip(reason=SLOW_TIMEOUT_CHECK)
    def test_unsettled_delivery_returns_after_the_delivery_timeout(self, transport, consume):
        """Skipped for RabbitMQ only."""

    def test_depth_excludes_unsettled_deliveries(self, transport, queue, consume):
        """As the contract's, except that a quorum queue reports its length from its applied
        state, which follows a nack by milliseconds: the last check polls for it."""
        publish_many(transport, queue, 3)
        assert transport.depth(queue) == 3
        held = receive_n(consume(queue), 2)
        assert transport.depth(queue) == 1
        held[0].nack()
        assert eventually(lambda: transport.depth(queue) == 2)

    def test_delivery_count_is_exact(self, transport, queue, consume):
        publish_many(transport, queue, 1)
        consumer = consume(queue)
        for expected in (1, 2, 3):
            delivery = consumer.receive(timeout=PROMPT)
            assert delivery.delivery_count == expected
            delivery.nack()
        consumer.receive(timeout=PROMPT).ack()


def eventually(check, deadline: float = PROMPT) -> bool:
    end = time.monotonic() + deadline
    while not check():
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True


# -- RabbitMQ only ------------------------------------------------------------------


@pytest.fixture
def queues(transport):
    """Unique queue names, deleted (with their DLQs) afterwards."""
    names: list[str] = []

    def new(delivery_timeout: float | None = None) -> str:
        name = f"rmq-test-{uuid.uuid4().hex[:12]}"
        names.append(name)
        transport.declare(name, delivery_timeout=delivery_timeout)
        return name

    yield new
    for name in names:
        transport.delete_queue(name)


def rabbitmqctl(*args: str) -> str:
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is not on PATH (the broker is not local)")
    done = subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def close_connections(marker: str) -> int:
    """Have the broker close the connections whose client-given name contains ``marker``."""
    listed = rabbitmqctl("list_connections", "pid", "client_properties", "--no-table-headers",
                         "--quiet")
    pids = [line.split("\t", 1)[0] for line in listed.splitlines() if marker in line]
    for pid in pids:
        rabbitmqctl("close_connection", pid, "conveyor test: dropped connection")
    return len(pids)


@pytest.fixture
def broker_restart(amqp_url):
    """``stop_app`` / ``start_app`` of the local broker; always started again at the end."""
    if urlsplit(amqp_url).hostname not in ("127.0.0.1", "localhost"):
        pytest.skip("the broker is not local: cannot restart it")
    rabbitmqctl("await_startup")
    yield rabbitmqctl
    rabbitmqctl("start_app")
    rabbitmqctl("await_startup")


def test_registered_for_amqp_urls():
    registries = build_registries(get_plugin_manager())
    assert registries.queue.get("amqp") is RabbitmqTransport
    assert registries.queue.get("amqps") is RabbitmqTransport


def test_wrong_password_fails_at_construction_without_showing_it(amqp_url):
    secret = "not-the-password-" + uuid.uuid4().hex[:6]
    with pytest.raises(ConfigurationError) as caught:
        RabbitmqTransport(with_password(amqp_url, secret))
    message = str(caught.value)
    assert secret not in message and secret not in repr(caught.value.__cause__)
    assert "***@" in message and "user and password" in message
    assert caught.value.__cause__ is not None


def test_unknown_vhost_and_unreachable_port_are_configuration_errors(amqp_url):
    parts = urlsplit(amqp_url)
    with pytest.raises(ConfigurationError, match="vhost"):
        RabbitmqTransport(urlunsplit(parts._replace(path="/no-such-vhost")))
    closed_port = urlunsplit(parts._replace(
        netloc=f"{parts.username}:{parts.password}@{parts.hostname}:1"))
    with pytest.raises(ConfigurationError, match="host, port") as caught:
        RabbitmqTransport(closed_port)
    assert f":{parts.password}@" not in str(caught.value)


def test_bad_settings_name_the_setting(amqp_url):
    with pytest.raises(ConfigurationError, match="publish_timeout"):
        RabbitmqTransport(with_query(amqp_url, "publish_timeout=soon"))
    with pytest.raises(ConfigurationError, match="queue_type"):
        RabbitmqTransport(with_query(amqp_url, "queue_type=stream"))
    with pytest.raises(ConfigurationError, match="bogus"):
        RabbitmqTransport(with_query(amqp_url, "bogus=1"))


def test_consuming_a_missing_queue_raises_queue_unavailable(transport):
    consumer = transport.consume(f"rmq-missing-{uuid.uuid4().hex[:8]}", prefetch=1)
    try:
        with pytest.raises(QueueUnavailableError, match="does not exist"):
            consumer.receive(timeout=PROMPT)
    finally:
        consumer.close()


def test_publishing_to_an_undeclared_queue_declares_it(transport, queues):
    name = queues()
    transport.delete_queue(name)
    transport.publish(name, b"kept", message_id="kept-1")
    assert transport.depth(name) == 1


def test_a_group_with_an_undeclared_queue_is_stored_whole(transport, queues):
    # The missing queue's messages come back unroutable while the others are confirmed:
    # only they are sent again, once their queue is declared; none is stored twice.
    present, missing = queues(), queues()
    transport.delete_queue(missing)
    group = [Message(missing if index % 4 == 1 else present, b"x", f"grp-{index:03d}")
             for index in range(40)]
    transport.publish_many(group)
    assert transport.depth(present) == 30 and transport.depth(missing) == 10
    consumer = transport.consume(missing, prefetch=10)
    try:
        assert [d.message_id for d in receive_n(consumer, 10)] == [
            m.message_id for m in group if m.queue == missing]
    finally:
        consumer.close()


def test_redeclaring_with_other_arguments_keeps_the_queue(amqp_url, transport, queues, caplog):
    name = queues(delivery_timeout=60)
    publish_many(transport, name, 2)
    quorum = RabbitmqTransport(with_query(amqp_url, "queue_type=quorum"))
    try:
        with caplog.at_level(logging.WARNING):
            quorum.declare(name, delivery_timeout=120)  # other type: PRECONDITION_FAILED
        assert "keeps them" in caplog.text
        assert quorum.depth(name) == 2
        quorum.publish(name, b"x", message_id="after-redeclare")
    finally:
        quorum.close()
    assert transport.depth(name) == 3


def test_a_message_the_broker_dead_letters_lands_in_the_dlq_with_its_reason(transport, queues):
    name = queues()
    transport.publish(name, b"body", message_id="rejected-1", headers={"k": "v"})
    consumer = transport.consume(name, prefetch=1)
    delivery = consumer.receive(timeout=PROMPT)
    consumer._link.call(lambda channel, _: channel.basic_reject(delivery.delivery_tag,
                                                                requeue=False), timeout=PROMPT)
    [dead] = transport.dead_letters(name)
    assert (dead.message_id, dead.body, dead.headers) == ("rejected-1", b"body", {"k": "v"})
    assert "rejected" in dead.reason and name in dead.reason
    consumer.close()  # it still counts the rejected delivery as its one unsettled
    assert transport.redrive(name) == 1
    fresh = transport.consume(name, prefetch=1)
    again = fresh.receive(timeout=PROMPT)
    assert (again.message_id, again.headers, again.delivery_count) == ("rejected-1", {"k": "v"}, 1)
    again.ack()
    fresh.close()


def test_a_delivery_held_past_heartbeats_can_still_be_acked(amqp_url, queues):
    # heartbeat=1: pika's sync connection would be dropped after ~2 s without its I/O
    # thread; held for 4 s, the delivery must still ack and leave the queue for good.
    transport = RabbitmqTransport(with_query(amqp_url, "heartbeat=1"))
    try:
        name = f"rmq-test-{uuid.uuid4().hex[:12]}"
        transport.declare(name)
        publish_many(transport, name, 1)
        consumer = transport.consume(name, prefetch=1)
        delivery = consumer.receive(timeout=PROMPT)
        time.sleep(4)
        delivery.ack()
        consumer.close()
        again = transport.consume(name, prefetch=1)
        assert again.receive(timeout=EMPTY) is None and transport.depth(name) == 0
        again.close()
        transport.delete_queue(name)
    finally:
        transport.close()


def test_a_long_unacked_delivery_is_not_taken_back_before_its_timeout(transport, queues):
    name = queues(delivery_timeout=5)
    publish_many(transport, name, 2)
    consumer = transport.consume(name, prefetch=1)
    delivery = consumer.receive(timeout=PROMPT)
    time.sleep(3)
    delivery.ack()  # on the same channel: it was never taken back
    follower = consumer.receive(timeout=PROMPT)
    assert (follower.message_id, follower.delivery_count) == ("m-0001", 1)
    follower.ack()
    assert transport.depth(name) == 0
    consumer.close()


def test_a_waited_for_delivery_leaves_later_messages_ready_on_the_broker(transport, queues):
    """A receive that waits on an empty queue hands out what it took and nothing more is
    held in the consumer: its subscription's cancel (not waited for) reaches the broker
    before the delivery's settle, so no message follows into a client-side buffer."""
    name = queues()
    consumer = transport.consume(name, prefetch=10)
    got: list = []
    waiting = threading.Thread(target=lambda: got.extend(consumer.receive_many(PROMPT, 10)))
    waiting.start()
    time.sleep(0.5)  # subscribed and waiting by now
    publish_many(transport, name, 3)
    waiting.join()
    assert got
    assert eventually(lambda: transport.depth(name) == 3 - len(got))
    got[0].ack()
    time.sleep(0.3)  # room for a (wrong) push to the cancelled subscription
    assert transport.depth(name) == 3 - len(got)
    rest = receive_n(consumer, 3 - len(got))
    assert sorted(d.message_id for d in got + rest) == ["m-0000", "m-0001", "m-0002"]
    for delivery in got[1:] + rest:
        delivery.ack()
    assert transport.depth(name) == 0
    consumer.close()


def test_consumer_survives_a_dropped_connection(transport, queues):
    name = queues()
    publish_many(transport, name, 1)
    consumer = transport.consume(name, prefetch=2)
    held = consumer.receive(timeout=PROMPT)
    assert close_connections(f"(pid {os.getpid()})") >= 2  # the consumer's and the publisher's
    held.ack()  # its channel is gone: a logged no-op, the broker requeued the message
    with pytest.raises(RuntimeError):
        held.nack()
    transport.publish(name, b"after", message_id="after-drop")  # the publisher reconnects
    got = receive_n(consumer, 2, deadline=30)
    assert sorted(d.message_id for d in got) == ["after-drop", "m-0000"]
    assert {d.message_id: d.delivery_count for d in got}["m-0000"] == 2
    for delivery in got:
        delivery.ack()
    assert transport.depth(name) == 0 and consumer.receive(timeout=EMPTY) is None
    consumer.close()


def test_a_channel_closed_by_the_broker_is_replaced(transport, queues):
    # The broker's consumer timeout closes the consumer's channel (PRECONDITION_FAILED);
    # acking an unknown delivery tag makes it close the channel the same way, at once.
    name = queues()
    publish_many(transport, name, 2)
    consumer = transport.consume(name, prefetch=2)
    held = consumer.receive(timeout=PROMPT)
    consumer._link.call(lambda channel, _: channel.basic_ack(10_000), timeout=PROMPT)
    assert eventually(lambda: consumer._link.generation not in (0, held.generation))
    held.ack()  # a logged no-op: the broker requeued it with the channel
    got = receive_n(consumer, 2)
    assert sorted((d.message_id, d.delivery_count) for d in got) == [("m-0000", 2), ("m-0001", 1)]
    for delivery in got:
        delivery.ack()
    assert transport.depth(name) == 0


def test_persistent_messages_survive_a_broker_restart(transport, queues, broker_restart):
    name = queues()
    ids = publish_many(transport, name, 3)
    broker_restart("stop_app")
    broker_restart("start_app")
    assert _wait_for_broker(transport)
    consumer = transport.consume(name, prefetch=5)
    assert sorted(d.message_id for d in receive_n(consumer, 3, deadline=30)) == ids
    consumer.close()


def test_publish_waits_through_an_outage_or_gives_up_after_its_bound(
        amqp_url, transport, queues, broker_restart):
    name = queues()
    impatient = RabbitmqTransport(with_query(amqp_url, "publish_timeout=1"))
    consumer = transport.consume(name, prefetch=5)
    try:
        broker_restart("stop_app")
        started = time.monotonic()
        with pytest.raises(QueueUnavailableError, match="was not stored"):
            impatient.publish(name, b"x", message_id="given-up")
        assert time.monotonic() - started < 15
        restart = threading.Timer(2.0, broker_restart, ("start_app",))
        restart.start()
        transport.publish(name, b"patient", message_id="waited")  # returns once confirmed
        restart.join()
        assert [d.message_id for d in receive_n(consumer, 1, deadline=30)] == ["waited"]
    finally:
        impatient.close()
        consumer.close()


def _wait_for_broker(transport: RabbitmqTransport, deadline: float = 30.0) -> bool:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            transport.depth("conveyor-probe-no-such-queue")
            return True
        except QueueUnavailableError:
            time.sleep(0.2)
    return False
