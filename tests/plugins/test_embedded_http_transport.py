"""EmbeddedHttpTransport against a live control plane: a deployed service's queue, consumed
through the queue gateway exactly as a replica of the embedded default consumes it."""

from __future__ import annotations

import threading
import time

import pytest

from conveyor_plugins.embedded.http_transport import EmbeddedHttpTransport
from conveyor_plugins.embedded.transport import EmbeddedTransport
from conveyor_runner.errors import ConfigurationError
from conveyor_runner.plugin.manager import build_registries, get_plugin_manager
from conveyor_runner.queue import QueueUnavailableError
from conveyor_runner.queue.messages import ExecutionMessage, queue_name
from conveyor_runner.testing.faas import FaasKit, module

EMPTY = 0.3
PROMPT = 10.0
SOURCE = """
class ServiceRunner:
    def run(self, x=None):
        return x
"""
MODULES = [module([{"name": "run", "input": [{"name": "x", "type": "Json"}]}])]


@pytest.fixture(scope="module")
def kit(sqlite_server):
    return FaasKit(sqlite_server)


@pytest.fixture(scope="module")
def package(kit):
    project = kit.create_project()
    return kit.push_package(project["id"], "gateway-echo", {"main.py": SOURCE}, MODULES)


@pytest.fixture
def service(kit, package, request):
    name = f"gw-{request.node.name.replace('_', '-')[5:40]}".rstrip("-")
    service = kit.deploy(package, name=name)
    yield service
    kit.call("delete", f"/services/{service['id']}")


@pytest.fixture
def transport(kit, service):
    transport = EmbeddedHttpTransport("embedded+" + kit.server.url,
                                      token=kit.bot_token(service["id"]))
    yield transport
    transport.close()


@pytest.fixture
def consume(transport, service):
    consumers = []

    def open_consumer(prefetch: int = 10):
        consumer = transport.consume(queue_name(service["id"]), prefetch=prefetch)
        consumers.append(consumer)
        return consumer

    yield open_consumer
    for consumer in consumers:
        consumer.close()


def execute(kit, service, count: int) -> list[str]:
    return [kit.execute(service["id"], {"x": index})["id"] for index in range(count)]


def test_delivers_the_execution_messages_in_order(kit, service, consume):
    ids = execute(kit, service, 3)
    consumer = consume()
    deliveries = [consumer.receive(PROMPT) for _ in ids]
    assert [d.message_id for d in deliveries] == ids
    assert [ExecutionMessage.decode(d.body).execution_id for d in deliveries] == ids
    assert all(d.delivery_count == 1 for d in deliveries)
    for delivery in deliveries:
        delivery.ack()
    assert consumer.receive(EMPTY) is None


def test_ack_removes_the_message_for_good(kit, service, consume):
    execute(kit, service, 1)
    consumer = consume()
    consumer.receive(PROMPT).ack()
    consumer.close()
    assert consume().receive(EMPTY) is None


def test_nack_redelivers_with_a_higher_count(kit, service, consume):
    (execution_id,) = execute(kit, service, 1)
    consumer = consume()
    consumer.receive(PROMPT).nack()
    again = consumer.receive(PROMPT)
    assert (again.message_id, again.delivery_count) == (execution_id, 2)
    again.ack()


def test_close_returns_unsettled_deliveries(kit, service, consume):
    (execution_id,) = execute(kit, service, 1)
    first = consume()
    assert first.receive(PROMPT).message_id == execution_id
    first.close()
    again = consume().receive(PROMPT)
    assert (again.message_id, again.delivery_count) == (execution_id, 2)
    again.ack()


def test_prefetch_bounds_unsettled_deliveries(kit, service, consume):
    ids = execute(kit, service, 3)
    consumer = consume(prefetch=2)
    held = [consumer.receive(PROMPT), consumer.receive(PROMPT)]
    assert consumer.receive(EMPTY) is None, "a third delivery exceeded prefetch 2"
    held[0].ack()
    third = consumer.receive(PROMPT)
    assert third.message_id == ids[2]
    consumer.set_prefetch(5)
    for delivery in (held[1], third):
        delivery.ack()


def test_dead_letter_sets_the_message_aside(kit, service, consume):
    (execution_id,) = execute(kit, service, 1)
    consumer = consume()
    consumer.receive(PROMPT).dead_letter("cannot decode")
    assert consumer.receive(EMPTY) is None
    local = EmbeddedTransport(f"embedded://{kit.server.data_dir}/queue.db")
    try:
        dead = local.dead_letters(queue_name(service["id"]))
    finally:
        local.close()
    assert [(d.message_id, d.reason) for d in dead] == [(execution_id, "cannot decode")]


def test_settling_twice_raises(kit, service, consume):
    execute(kit, service, 1)
    delivery = consume().receive(PROMPT)
    delivery.ack()
    with pytest.raises(RuntimeError, match="already settled"):
        delivery.nack()


def test_ack_does_not_wait_for_a_blocked_receive(kit, service, consume):
    execute(kit, service, 1)
    consumer = consume()
    delivery = consumer.receive(PROMPT)
    receiver = threading.Thread(target=consumer.receive, args=(30.0,))
    receiver.start()
    delivery.ack()
    assert receiver.is_alive(), "ack returned only after a 30 s receive ended"
    consumer.close()
    receiver.join(timeout=PROMPT)
    assert not receiver.is_alive(), "close did not end a blocked receive"


@pytest.mark.slow
def test_a_silent_consumer_keeps_its_deliveries(kit, service, consume):
    # The gateway closes consumers silent for 15 s; the keep-alive must prevent that while
    # an agent runs a long execution without receiving.
    (execution_id,) = execute(kit, service, 1)
    consumer = consume(prefetch=1)
    delivery = consumer.receive(PROMPT)
    other = consume()
    assert other.receive(25.0) is None, "the held delivery went back to the queue"
    delivery.ack()
    assert kit.execution(execution_id)["id"] == execution_id


def test_a_forgotten_consumer_is_reopened(kit, service, consume):
    (execution_id,) = execute(kit, service, 1)
    consumer = consume()
    lost = consumer.receive(PROMPT)
    kit.call("delete", f"/queues/{queue_name(service['id'])}/consumers/{consumer._consumer_id}")
    again = consumer.receive(PROMPT)
    assert (again.message_id, again.delivery_count) == (execution_id, 2)
    lost.ack()  # its message was requeued: a logged no-op, not an error
    again.ack()
    assert consumer.receive(EMPTY) is None


def test_publishing_and_admin_operations_are_refused(transport, service):
    queue = queue_name(service["id"])
    with pytest.raises(ConfigurationError, match="only consumes"):
        transport.publish(queue, b"x", message_id="m")
    for operation in (transport.depth, transport.purge, transport.dead_letters):
        with pytest.raises(ConfigurationError, match="only consumes"):
            operation(queue)
    transport.declare(queue)  # a no-op, not an error


def test_a_non_member_cannot_consume(kit, service):
    _email, token = kit.server.create_user()
    transport = EmbeddedHttpTransport("embedded+" + kit.server.url, token=token)
    try:
        with pytest.raises(ConfigurationError, match="404"):
            transport.consume(queue_name(service["id"]), prefetch=1)
    finally:
        transport.close()


def test_url_and_token_are_checked(monkeypatch):
    monkeypatch.delenv("CONVEYOR_TOKEN", raising=False)
    with pytest.raises(ConfigurationError, match="CONVEYOR_TOKEN"):
        EmbeddedHttpTransport("embedded+http://127.0.0.1:9")
    with pytest.raises(ConfigurationError, match="embedded\\+http"):
        EmbeddedHttpTransport("embedded+ftp://127.0.0.1:9", token="t")
    monkeypatch.setenv("CONVEYOR_TOKEN", "from-env")
    transport = EmbeddedHttpTransport("embedded+http://127.0.0.1:9/api/v1")
    assert transport.api_url == "http://127.0.0.1:9/api/v1"


def test_the_plugin_registers_both_schemes():
    registry = build_registries(get_plugin_manager()).queue
    assert registry.get("embedded+http") is EmbeddedHttpTransport
    assert registry.get("embedded+https") is EmbeddedHttpTransport


def test_an_unreachable_gateway_is_a_retryable_error():
    from conveyor_runner.queue import QueueUnavailableError

    transport = EmbeddedHttpTransport("embedded+http://127.0.0.1:9", token="t")
    with pytest.raises(QueueUnavailableError):
        transport.consume("svc-0123456789abcdef01234567", prefetch=1)


class RecordingTransport(EmbeddedHttpTransport):
    """The real transport, noting each gateway request's start and end."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.events: list[tuple[str, str, dict | None]] = []
        self._events_lock = threading.Lock()

    def call(self, path, body, timeout, method="post"):
        with self._events_lock:
            self.events.append(("start", path, body))
        try:
            return super().call(path, body, timeout, method)
        finally:
            with self._events_lock:
                self.events.append(("end", path, body))

    def receives(self) -> list[dict]:
        return [body for kind, path, body in self.events
                if kind == "start" and path.endswith("/receive")]


@pytest.fixture
def recording(kit, service):
    transport = RecordingTransport("embedded+" + kit.server.url,
                                   token=kit.bot_token(service["id"]))
    consumers = []

    def open_consumer(prefetch: int = 10):
        consumers.append(transport.consume(queue_name(service["id"]), prefetch=prefetch))
        return consumers[-1]

    yield transport, open_consumer
    for consumer in consumers:
        consumer.close()
    transport.close()


def test_receive_many_takes_several_deliveries_in_one_request(kit, service, recording):
    transport, consume = recording
    ids = execute(kit, service, 5)
    consumer = consume(prefetch=3)
    before = len(transport.receives())
    taken = consumer.receive_many(PROMPT, 10)
    assert [d.message_id for d in taken] == ids[:3], "prefetch 3 bounds one receive"
    assert len(transport.receives()) - before == 1
    assert consumer.receive_many(EMPTY, 10) == []
    for delivery in taken:
        delivery.ack()
    rest = consumer.receive_many(PROMPT, 10)
    assert [d.message_id for d in rest] == ids[3:]
    for delivery in rest:
        delivery.ack()


def test_concurrent_acks_share_requests(kit, service, recording):
    transport, consume = recording
    execute(kit, service, 8)
    consumer = consume(prefetch=8)
    taken = []
    while len(taken) < 8:
        taken += consumer.receive_many(PROMPT, 8 - len(taken))
    before = len(transport.receives())
    start = threading.Barrier(len(taken))

    def ack(delivery):
        start.wait()
        delivery.ack()

    threads = [threading.Thread(target=ack, args=(d,)) for d in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PROMPT)
    settling = [body for body in transport.receives()[before:] if body["ack"]]
    assert sum(len(body["ack"]) for body in settling) == 8
    assert len(settling) < 8, "every ack sent a request of its own"
    assert consumer.receive(EMPTY) is None


def test_an_ack_does_not_wait_for_the_long_poll_in_flight(kit, service, recording):
    transport, consume = recording
    execute(kit, service, 1)
    consumer = consume()
    delivery = consumer.receive(PROMPT)
    started = len(transport.receives())
    receiver = threading.Thread(target=consumer.receive, args=(30.0,))
    receiver.start()
    end = time.monotonic() + PROMPT
    while len(transport.receives()) == started:
        assert time.monotonic() < end, "the receive did not start"
        time.sleep(0.01)
    polls_before = _finished_polls(transport)
    delivery.ack()
    assert _finished_polls(transport) == polls_before, (
        "the ack came back only after a receive long-poll ended")
    consumer.close()
    receiver.join(timeout=PROMPT)


def _finished_polls(transport) -> int:
    return sum(1 for kind, path, body in list(transport.events)
               if kind == "end" and path.endswith("/receive") and body["max"] and
               body["timeout"] > 0)


class LossyTransport(RecordingTransport):
    """Loses the reply of the next receive that took deliveries (the gateway did answer)."""

    lose_next = False

    def call(self, path, body, timeout, method="post"):
        reply = super().call(path, body, timeout, method)
        if self.lose_next and path.endswith("/receive") and reply.get("deliveries"):
            self.lose_next = False
            raise QueueUnavailableError("the connection dropped before the reply")
        return reply


def test_the_deliveries_of_a_lost_receive_reply_come_with_its_repeat(kit, service):
    transport = LossyTransport("embedded+" + kit.server.url, token=kit.bot_token(service["id"]))
    consumer = transport.consume(queue_name(service["id"]), prefetch=2)
    try:
        ids = execute(kit, service, 3)
        transport.lose_next = True
        with pytest.raises(QueueUnavailableError):
            consumer.receive_many(PROMPT, 2)
        # Unrecovered, the two lost deliveries would hold both prefetch slots: nothing more
        # could be received until the consumer closed.
        taken = consumer.receive_many(PROMPT, 2)
        assert [(d.message_id, d.delivery_count) for d in taken] == [(i, 1) for i in ids[:2]]
        lost, repeat = transport.receives()[-2:]
        assert repeat == lost, "the next request repeats it, requestId included"
        for delivery in taken:
            delivery.ack()
        third = consumer.receive(PROMPT)
        assert (third.message_id, third.delivery_count) == (ids[2], 1)
        third.ack()
        assert consumer.receive(EMPTY) is None
    finally:
        consumer.close()
        transport.close()


def test_a_malformed_request_id_is_refused_naming_it(transport, service):
    consumer = transport.consume(queue_name(service["id"]), prefetch=1)
    try:
        path = f"/queues/{queue_name(service['id'])}/consumers/{consumer._consumer_id}/receive"
        with pytest.raises(ConfigurationError, match="requestId"):
            transport.call(path, {"timeout": 0, "max": 1, "requestId": 7}, 5.0)
    finally:
        consumer.close()
