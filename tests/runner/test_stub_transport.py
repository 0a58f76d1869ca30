"""The in-memory StubTransport passes the queue contract, and join() waits for settling."""

from __future__ import annotations

import threading

import pytest

from conveyor_runner.testing.contracts.queue import QueueTransportContract, publish_many
from conveyor_runner.testing.stubs import StubTransport


class TestStubTransport(QueueTransportContract):
    @pytest.fixture
    def transport(self):
        transport = StubTransport()
        yield transport
        transport.close()


def test_join_returns_once_every_message_is_settled():
    transport = StubTransport()
    transport.declare("jobs")
    publish_many(transport, "jobs", 20)
    consumer = transport.consume("jobs", prefetch=4)

    def work() -> None:
        while (delivery := consumer.receive(timeout=1.0)) is not None:
            delivery.ack()

    worker = threading.Thread(target=work)
    worker.start()
    transport.join("jobs", timeout=10)
    assert transport.depth("jobs") == 0
    worker.join()


def test_join_times_out_while_a_delivery_is_unsettled():
    transport = StubTransport()
    transport.declare("jobs")
    publish_many(transport, "jobs", 1)
    delivery = transport.consume("jobs", prefetch=1).receive(timeout=1)
    with pytest.raises(TimeoutError, match="1 unsettled"):
        transport.join("jobs", timeout=0.1)
    delivery.ack()
    transport.join("jobs", timeout=1)



def test_a_requeued_message_keeps_its_original_place():
    transport = StubTransport()
    ids = publish_many(transport, "jobs", 3)
    consumer = transport.consume("jobs", prefetch=3)
    consumer.receive(timeout=1).nack()
    assert [consumer.receive(timeout=1).message_id for _ in ids] == ids


def test_settling_a_delivery_that_was_taken_back_changes_nothing():
    transport = StubTransport()
    transport.declare("jobs", delivery_timeout=0.2)
    publish_many(transport, "jobs", 1)
    stale = transport.consume("jobs", prefetch=1).receive(timeout=1)
    current = transport.consume("jobs", prefetch=1).receive(timeout=10)
    assert current.delivery_count == 2
    stale.ack()  # its lease expired: must not remove the redelivered message
    current.nack()
    assert transport.depth("jobs") == 1
