"""EmbeddedTransport: the queue contract, plus durability and crash recovery across processes."""

from __future__ import annotations

import gc
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from conveyor_plugins.embedded.transport import EmbeddedTransport
from conveyor_runner.errors import ConfigurationError
from conveyor_runner.plugin.manager import build_registries, get_plugin_manager
from conveyor_runner.testing.contracts.queue import (
    EMPTY,
    PROMPT,
    QueueTransportContract,
    publish_many,
    receive_n,
)

QUEUE = "svc-0123456789abcdef01234567"

# Child processes: argv = [url, queue, ...]; each prints one line once it has done its part.
HOLD = """
    import sys, time
    from conveyor_plugins.embedded.transport import EmbeddedTransport
    delivery = EmbeddedTransport(sys.argv[1]).consume(sys.argv[2], prefetch=1).receive(30)
    print(delivery.message_id if delivery else "none", flush=True)
    time.sleep(600)
"""
PUBLISH = """
    import sys, time
    from conveyor_plugins.embedded.transport import EmbeddedTransport
    transport = EmbeddedTransport(sys.argv[1])
    for index in range(int(sys.argv[3])):
        transport.publish(sys.argv[2], b"x", message_id=f"{sys.argv[4]}-{index:04d}")
    print("published", flush=True)
    time.sleep(600)
"""


def start(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *args],
                            stdout=subprocess.PIPE, text=True)


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=PROMPT)
    process.stdout.close()


@pytest.fixture
def url(tmp_path):
    return f"embedded://{tmp_path}/data/queue/queue.db"


@pytest.fixture
def opened(url):
    transports = []

    def open_transport():
        transports.append(EmbeddedTransport(url))
        transports[-1].declare(QUEUE)
        return transports[-1]

    yield open_transport
    for transport in transports:
        transport.close()


class TestEmbeddedTransport(QueueTransportContract):
    @pytest.fixture
    def transport(self, url):
        transport = EmbeddedTransport(url)
        yield transport
        transport.close()


def test_creates_the_file_and_its_folders_in_wal_mode(tmp_path, opened):
    opened()
    path = tmp_path / "data" / "queue" / "queue.db"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_messages_survive_closing_and_reopening(opened):
    first = opened()
    first.publish(QUEUE, b"payload", message_id="exec-1", headers={"a": "b"})
    held = first.consume(QUEUE, prefetch=1).receive(PROMPT)
    first.close()
    delivery = opened().consume(QUEUE, prefetch=1).receive(PROMPT)
    assert (delivery.message_id, delivery.body, delivery.headers) == ("exec-1", b"payload",
                                                                      {"a": "b"})
    assert delivery.delivery_count == 2 and held.message_id == "exec-1"


def test_published_messages_survive_sigkill_of_the_publisher(url, opened):
    opened()
    publisher = start(PUBLISH, url, QUEUE, "50", "p")
    assert publisher.stdout.readline().strip() == "published"
    kill(publisher)
    delivered = receive_n(opened().consume(QUEUE, prefetch=50), 50)
    assert [d.message_id for d in delivered] == [f"p-{i:04d}" for i in range(50)]


@pytest.mark.parametrize("recover_by", ["next_receive", "reopen"])
def test_delivery_held_by_a_killed_process_comes_back(url, opened, recover_by):
    parent = opened()
    publish_many(parent, QUEUE, 1)
    holder = start(HOLD, url, QUEUE)
    try:
        assert holder.stdout.readline().strip() == "m-0000"
        consumer = parent.consume(QUEUE, prefetch=1)
        assert consumer.receive(EMPTY) is None, "a live holder's lease was taken"
    finally:
        kill(holder)
    if recover_by == "reopen":
        consumer = opened().consume(QUEUE, prefetch=1)
        assert parent.depth(QUEUE) == 1, "opening did not requeue the dead holder's lease"
    delivery = consumer.receive(PROMPT * 2)
    assert (delivery.message_id, delivery.delivery_count) == ("m-0000", 2)
    delivery.ack()


def test_deliveries_of_a_transport_dropped_without_close_come_back(url, opened):
    survivor = opened()
    publish_many(survivor, QUEUE, 1)
    dropped = EmbeddedTransport(url)
    assert dropped.consume(QUEUE, prefetch=1).receive(PROMPT) is not None
    del dropped
    gc.collect()
    delivery = survivor.consume(QUEUE, prefetch=1).receive(PROMPT)
    assert (delivery.message_id, delivery.delivery_count) == ("m-0000", 2)


def test_two_processes_publish_to_one_file(url, opened):
    parent = opened()
    publishers = [start(PUBLISH, url, QUEUE, "300", name) for name in ("a", "b")]
    for publisher in publishers:
        assert publisher.stdout.readline().strip() == "published"
        kill(publisher)
    delivered = [d.message_id for d in receive_n(parent.consume(QUEUE, prefetch=600), 600)]
    assert len(set(delivered)) == 600
    for name in ("a", "b"):  # FIFO holds for each publisher's own messages
        assert [m for m in delivered if m.startswith(name)] == [f"{name}-{i:04d}"
                                                                 for i in range(300)]


def test_a_requeued_message_keeps_its_original_place(opened):
    transport = opened()
    ids = publish_many(transport, QUEUE, 3)
    consumer = transport.consume(QUEUE, prefetch=3)
    first = consumer.receive(PROMPT)
    first.nack()
    assert [d.message_id for d in receive_n(consumer, 3)] == ids


def test_settling_a_delivery_that_was_taken_back_changes_nothing(opened):
    transport = opened()
    transport.declare(QUEUE, delivery_timeout=0.3)
    publish_many(transport, QUEUE, 1)
    stale = transport.consume(QUEUE, prefetch=1).receive(PROMPT)
    current = receive_n(transport.consume(QUEUE, prefetch=1), 1)[0]
    stale.ack()  # the lease moved on: this must not remove the redelivered message
    with pytest.raises(RuntimeError):
        stale.nack()
    current.nack()
    assert transport.depth(QUEUE) == 1


def test_full_synchronous_mode_is_applied(tmp_path):
    transport = EmbeddedTransport(f"embedded://{tmp_path}/q.db?synchronous=full")
    try:
        assert transport._conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    finally:
        transport.close()


@pytest.mark.parametrize("bad", [
    "embedded://relative/queue.db", "embedded:queue.db", "file:///tmp/q.db",
    "embedded:///tmp/q.db?colour=blue", "embedded:///tmp/q.db?synchronous=off",
    "embedded:///tmp/q.db?poll_interval=0", "embedded:///tmp/q.db?delivery_timeout=soon",
])
def test_malformed_urls_are_rejected(bad):
    with pytest.raises(ConfigurationError, match="queue URL"):
        EmbeddedTransport(bad)


def test_the_plugin_registers_the_embedded_scheme():
    registries = build_registries(get_plugin_manager())
    assert registries.queue.get("embedded") is EmbeddedTransport
