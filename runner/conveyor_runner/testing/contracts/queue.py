"""QueueTransportContract: what every ``QueueTransport`` must guarantee, as tests.

Needs one fixture, ``transport``: a fresh, open transport (closed by the fixture). Each
test works on its own uniquely named queue, so a suite may share a broker with others.
Nothing waits on a fixed sleep: waits poll against generous deadlines, and no test
asserts on speed. Tunables for slow brokers are class attributes.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator

import pytest

from conveyor_runner.queue import Consumer, Delivery, Message, QueueTransport

#: A receive timeout for "nothing should come": short, because the tests expect None.
EMPTY = 0.2
#: Upper bound for any single operation that should be quick (correctness, not speed).
PROMPT = 5.0


def publish_many(transport: QueueTransport, queue: str, count: int, prefix: str = "m") -> list[str]:
    """Publish ``count`` messages with ids ``<prefix>-0000``...; returns the ids in order."""
    ids = [f"{prefix}-{index:04d}" for index in range(count)]
    for message_id in ids:
        transport.publish(queue, message_id.encode(), message_id=message_id)
    return ids


def receive_n(consumer: Consumer, count: int, deadline: float = PROMPT * 2) -> list[Delivery]:
    """Receive ``count`` deliveries, failing the test if they do not come in time."""
    received: list[Delivery] = []
    end = time.monotonic() + deadline
    while len(received) < count and time.monotonic() < end:
        delivery = consumer.receive(timeout=min(1.0, max(end - time.monotonic(), 0.0)))
        if delivery is not None:
            received.append(delivery)
    assert len(received) == count, f"received {len(received)} of {count} messages"
    return received


class QueueTransportContract:
    """Subclass in a ``Test*`` class and provide a ``transport`` fixture."""

    #: Delivery timeout (seconds) used by the delivery-timeout test.
    short_delivery_timeout = 0.5
    #: How long that test waits for the broker to take the delivery back.
    delivery_timeout_grace = 15.0

    @pytest.fixture
    def queue(self, transport: QueueTransport) -> Iterator[str]:
        name = f"contract-{uuid.uuid4().hex[:12]}"
        transport.declare(name)
        yield name
        transport.delete_queue(name)

    @pytest.fixture
    def consume(self, transport: QueueTransport) -> Iterator[Callable[..., Consumer]]:
        consumers: list[Consumer] = []

        def open_consumer(queue: str, prefetch: int = 10) -> Consumer:
            consumer = transport.consume(queue, prefetch=prefetch)
            consumers.append(consumer)
            return consumer

        yield open_consumer
        for consumer in consumers:
            consumer.close()

    # -- publish and receive ----------------------------------------------------

    def test_roundtrip_keeps_body_message_id_and_headers(self, transport, queue, consume):
        body = bytes(range(256)) + "ünïcode".encode()
        headers = {"executionId": "6650f1c2a1b2c3d4e5f60718", "x-attempt": "1", "é": "ü"}
        transport.publish(queue, body, message_id="exec-1", headers=headers)
        delivery = consume(queue).receive(timeout=PROMPT)
        assert delivery is not None
        assert (delivery.message_id, delivery.body, delivery.headers) == ("exec-1", body, headers)
        assert delivery.delivery_count == 1
        delivery.ack()

    def test_headers_default_to_empty(self, transport, queue, consume):
        transport.publish(queue, b"", message_id="no-headers")
        delivery = consume(queue).receive(timeout=PROMPT)
        assert (delivery.body, delivery.headers) == (b"", {})
        delivery.ack()

    def test_delivers_in_publish_order(self, transport, queue, consume):
        ids = publish_many(transport, queue, 25)
        assert [d.message_id for d in receive_n(consume(queue, prefetch=25), 25)] == ids

    def test_publish_many_stores_a_group_in_order_across_queues(self, transport, queue, consume):
        other = f"{queue}-other"
        transport.declare(other)
        try:
            group = [Message(queue if index % 3 else other, f"body-{index}".encode(),
                             f"g-{index:03d}", {"n": str(index)}) for index in range(60)]
            transport.publish_many(group)
            for name in (queue, other):
                mine = [m for m in group if m.queue == name]
                got = receive_n(consume(name, prefetch=len(mine)), len(mine))
                assert [(d.message_id, d.body, d.headers) for d in got] == [
                    (m.message_id, m.body, m.headers) for m in mine]
        finally:
            transport.delete_queue(other)

    def test_publish_many_of_nothing_does_nothing(self, transport, queue):
        transport.publish_many([])
        assert transport.depth(queue) == 0

    def test_queues_are_isolated(self, transport, queue, consume):
        other = f"{queue}-other"
        transport.declare(other)
        try:
            transport.publish(other, b"elsewhere", message_id="other-1")
            assert consume(queue).receive(timeout=EMPTY) is None
            assert transport.depth(queue) == 0 and transport.depth(other) == 1
        finally:
            transport.delete_queue(other)

    def test_receive_times_out_with_none(self, queue, consume):
        started = time.monotonic()
        assert consume(queue).receive(timeout=EMPTY) is None
        assert time.monotonic() - started < PROMPT

    def test_blocked_receive_wakes_when_a_message_arrives(self, transport, queue, consume):
        consumer = consume(queue)
        timer = threading.Timer(0.3, transport.publish, (queue, b"late"), {"message_id": "late"})
        started = time.monotonic()
        timer.start()
        delivery = consumer.receive(timeout=60)
        timer.join()
        assert delivery is not None and delivery.message_id == "late"
        assert time.monotonic() - started < 30, "receive waited for its timeout, not the message"
        delivery.ack()

    # -- settling ---------------------------------------------------------------

    def test_ack_removes_the_message(self, transport, queue, consume):
        publish_many(transport, queue, 1)
        consume(queue).receive(timeout=PROMPT).ack()
        assert transport.depth(queue) == 0
        assert consume(queue).receive(timeout=EMPTY) is None

    def test_ack_nowait_removes_the_messages_even_if_the_consumer_closes_at_once(
            self, transport, queue, consume):
        publish_many(transport, queue, 30)
        consumer = consume(queue, prefetch=30)
        deliveries = receive_n(consumer, 30)
        for delivery in deliveries:
            delivery.ack_nowait()
        consumer.close()  # acks queued before the close still go out
        assert consume(queue).receive(timeout=EMPTY) is None
        assert transport.depth(queue) == 0

    def test_ack_nowait_frees_its_prefetch_room_at_once(self, transport, queue, consume):
        ids = publish_many(transport, queue, 2)
        consumer = consume(queue, prefetch=1)
        first = consumer.receive(timeout=PROMPT)
        first.ack_nowait()
        second = consumer.receive(timeout=PROMPT)
        assert second is not None and [first.message_id, second.message_id] == ids
        second.ack()

    def test_nack_redelivers_with_delivery_count_two(self, transport, queue, consume):
        publish_many(transport, queue, 1)
        consumer = consume(queue)
        first = consumer.receive(timeout=PROMPT)
        first.nack()
        again = consumer.receive(timeout=PROMPT)
        assert (again.message_id, again.body, again.delivery_count) == ("m-0000", b"m-0000", 2)
        again.ack()

    @pytest.mark.parametrize("first", ["ack", "ack_nowait", "nack", "dead_letter"])
    @pytest.mark.parametrize("second", ["ack", "ack_nowait", "nack", "dead_letter"])
    def test_settling_twice_raises(self, transport, queue, consume, first, second):
        publish_many(transport, queue, 1)
        delivery = consume(queue).receive(timeout=PROMPT)
        settle = {"ack": lambda: delivery.ack(), "ack_nowait": lambda: delivery.ack_nowait(),
                  "nack": lambda: delivery.nack(),
                  "dead_letter": lambda: delivery.dead_letter("bad input")}
        settle[first]()
        with pytest.raises(RuntimeError):
            settle[second]()

    def test_settling_from_another_thread(self, transport, queue, consume):
        publish_many(transport, queue, 1)
        delivery = consume(queue).receive(timeout=PROMPT)
        worker = threading.Thread(target=delivery.ack)
        worker.start()
        worker.join(PROMPT)
        assert not worker.is_alive()
        assert transport.depth(queue) == 0 and consume(queue).receive(timeout=EMPTY) is None

    def test_closing_a_consumer_returns_its_unsettled_deliveries(self, transport, queue, consume):
        ids = publish_many(transport, queue, 3)
        first = consume(queue, prefetch=2)
        receive_n(first, 2)[0].ack()
        first.close()
        rest = receive_n(consume(queue, prefetch=5), 2)
        assert sorted(d.message_id for d in rest) == ids[1:]
        assert {d.message_id: d.delivery_count for d in rest} == {ids[1]: 2, ids[2]: 1}

    def test_closed_consumer_is_idempotent_and_receives_nothing(self, transport, queue, consume):
        consumer = consume(queue)
        consumer.close()
        consumer.close()
        publish_many(transport, queue, 1)
        assert consumer.receive(timeout=EMPTY) is None
        assert transport.depth(queue) == 1

    # -- prefetch ---------------------------------------------------------------

    def test_prefetch_bounds_unsettled_deliveries(self, transport, queue, consume):
        publish_many(transport, queue, 5)
        consumer = consume(queue, prefetch=2)
        held = receive_n(consumer, 2)
        assert consumer.receive(timeout=EMPTY) is None
        held[0].ack()
        assert consumer.receive(timeout=PROMPT) is not None
        assert consumer.receive(timeout=EMPTY) is None

    def test_prefetch_holds_across_receiving_threads(self, transport, queue, consume):
        publish_many(transport, queue, 10)
        consumer = consume(queue, prefetch=3)
        received: list[Delivery] = []
        lock = threading.Lock()

        def take() -> None:
            while (delivery := consumer.receive(timeout=0.5)) is not None:
                with lock:
                    received.append(delivery)

        threads = [threading.Thread(target=take) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(PROMPT * 4)
        assert len(received) == 3

    def test_set_prefetch_raises_the_bound(self, transport, queue, consume):
        publish_many(transport, queue, 5)
        consumer = consume(queue, prefetch=1)
        receive_n(consumer, 1)
        assert consumer.receive(timeout=EMPTY) is None
        consumer.set_prefetch(3)
        receive_n(consumer, 2)
        assert consumer.receive(timeout=EMPTY) is None

    def test_set_prefetch_lowers_the_bound(self, transport, queue, consume):
        publish_many(transport, queue, 5)
        consumer = consume(queue, prefetch=3)
        held = receive_n(consumer, 3)
        consumer.set_prefetch(1)
        held[0].ack()
        assert consumer.receive(timeout=EMPTY) is None, "2 unsettled, prefetch 1"
        held[1].ack()
        assert consumer.receive(timeout=EMPTY) is None, "1 unsettled, prefetch 1"
        held[2].ack()
        assert consumer.receive(timeout=PROMPT) is not None

    def test_receive_many_takes_up_to_its_limit_within_prefetch(self, transport, queue,
                                                                 consume):
        ids = publish_many(transport, queue, 6)
        consumer = consume(queue, prefetch=4)
        taken: list[Delivery] = []
        end = time.monotonic() + PROMPT * 2
        while len(taken) < 3 and time.monotonic() < end:  # a broker may hand them out singly
            taken += consumer.receive_many(timeout=1.0, limit=3 - len(taken))
        assert [d.message_id for d in taken] == ids[:3]
        more = consumer.receive_many(timeout=PROMPT, limit=10)
        assert [d.message_id for d in more] == [ids[3]], "prefetch 4 allows one more"
        assert consumer.receive_many(timeout=EMPTY, limit=10) == []
        taken[0].ack()
        assert [d.message_id for d in consumer.receive_many(timeout=PROMPT, limit=10)] == [
            ids[4]]

    def test_prefetch_below_one_is_rejected(self, transport, queue, consume):
        with pytest.raises(ValueError):
            transport.consume(queue, prefetch=0)
        with pytest.raises(ValueError):
            consume(queue).set_prefetch(0)

    def test_unsettled_delivery_returns_after_the_delivery_timeout(self, transport, consume):
        queue = f"contract-{uuid.uuid4().hex[:12]}"
        transport.declare(queue, delivery_timeout=self.short_delivery_timeout)
        try:
            publish_many(transport, queue, 1)
            assert consume(queue).receive(timeout=PROMPT) is not None  # never settled
            again = receive_n(consume(queue), 1, deadline=self.delivery_timeout_grace)[0]
            assert (again.message_id, again.delivery_count) == ("m-0000", 2)
            again.ack()
        finally:
            transport.delete_queue(queue)

    # -- dead letters -----------------------------------------------------------

    def test_dead_letter_sets_the_message_aside_with_its_reason(self, transport, queue, consume):
        transport.publish(queue, b"\x00garbage", message_id="bad-1", headers={"k": "v"})
        consume(queue).receive(timeout=PROMPT).dead_letter("undecodable body")
        assert transport.depth(queue) == 0
        assert consume(queue).receive(timeout=EMPTY) is None
        [dead] = transport.dead_letters(queue)
        assert (dead.message_id, dead.body, dead.reason) == ("bad-1", b"\x00garbage",
                                                             "undecodable body")
        assert dead.headers == {"k": "v"}

    def test_dead_letters_are_listed_oldest_first(self, transport, queue, consume):
        ids = publish_many(transport, queue, 3)
        for delivery in receive_n(consume(queue), 3):
            delivery.dead_letter(f"reason {delivery.message_id}")
        assert [d.message_id for d in transport.dead_letters(queue)] == ids

    def test_redrive_all_requeues_every_dead_letter(self, transport, queue, consume):
        ids = publish_many(transport, queue, 2)
        for delivery in receive_n(consume(queue), 2):
            delivery.dead_letter("oops")
        assert transport.redrive(queue) == 2
        assert transport.dead_letters(queue) == [] and transport.depth(queue) == 2
        assert sorted(d.message_id for d in receive_n(consume(queue), 2)) == ids

    def test_redrive_one_requeues_only_that_message(self, transport, queue, consume):
        ids = publish_many(transport, queue, 2)
        for delivery in receive_n(consume(queue), 2):
            delivery.dead_letter("oops")
        assert transport.redrive(queue, ids[1]) == 1
        assert [d.message_id for d in transport.dead_letters(queue)] == [ids[0]]
        assert consume(queue).receive(timeout=PROMPT).message_id == ids[1]
        assert transport.redrive(queue, "no-such-message") == 0

    # -- queue management -------------------------------------------------------

    def test_depth_excludes_unsettled_deliveries(self, transport, queue, consume):
        publish_many(transport, queue, 3)
        assert transport.depth(queue) == 3
        held = receive_n(consume(queue), 2)
        assert transport.depth(queue) == 1
        held[0].nack()
        assert transport.depth(queue) == 2

    def test_purge_drops_waiting_messages_and_keeps_unsettled(self, transport, queue, consume):
        publish_many(transport, queue, 3)
        consumer = consume(queue)
        held = consumer.receive(timeout=PROMPT)
        assert transport.purge(queue) == 2
        assert transport.depth(queue) == 0
        held.nack()
        again = consumer.receive(timeout=PROMPT)
        assert again.message_id == held.message_id
        again.ack()
        assert transport.purge(queue) == 0

    def test_declare_is_idempotent_and_keeps_messages(self, transport, queue):
        publish_many(transport, queue, 2)
        transport.declare(queue)
        transport.declare(queue, delivery_timeout=60)
        assert transport.depth(queue) == 2

    def test_delete_queue_is_idempotent(self, transport, queue):
        publish_many(transport, queue, 2)
        transport.delete_queue(queue)
        transport.delete_queue(queue)
        transport.delete_queue(f"{queue}-never-declared")
        transport.declare(queue)
        assert transport.depth(queue) == 0 and transport.dead_letters(queue) == []

    def test_close_is_idempotent(self, transport):
        transport.close()
        transport.close()

    # -- concurrency and volume -------------------------------------------------

    def test_concurrent_consumers_never_hold_the_same_message(self, transport, queue, consume):
        ids = publish_many(transport, queue, 60)
        held: dict[int, list[str]] = {0: [], 1: []}
        consumers = [consume(queue, prefetch=60), consume(queue, prefetch=60)]

        def take(index: int) -> None:  # receives without settling, so nothing comes back
            end = time.monotonic() + PROMPT * 4
            while sum(map(len, held.values())) < len(ids) and time.monotonic() < end:
                if (delivery := consumers[index].receive(timeout=0.2)) is not None:
                    held[index].append(delivery.message_id)

        threads = [threading.Thread(target=take, args=(i,)) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not set(held[0]) & set(held[1])
        assert sorted(held[0] + held[1]) == ids

    def test_every_message_is_delivered_once_when_all_are_acked(self, transport, queue, consume):
        ids = publish_many(transport, queue, 1000)
        seen: Counter[str] = Counter()
        lock = threading.Lock()

        def work(consumer: Consumer) -> None:
            while (delivery := consumer.receive(timeout=1.0)) is not None:
                with lock:
                    seen[delivery.message_id] += 1
                delivery.ack()

        threads = [threading.Thread(target=work, args=(consume(queue, prefetch=8),))
                   for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert sorted(seen) == ids and set(seen.values()) == {1}
        assert transport.depth(queue) == 0
