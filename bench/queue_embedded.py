"""Throughput of the embedded queue transport, side by side with the in-memory stub.

Run: ``python bench/queue_embedded.py [--messages 2000]``. For each transport it prints
messages per second for: single-threaded publish, single-threaded receive+ack, publish
from 4 threads, and receive+ack by 2 consumers on 2 threads. Bodies are 512 bytes with
two headers, like an execution message. Numbers only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable

from conveyor_plugins.embedded.transport import EmbeddedTransport
from conveyor_runner.queue import QueueTransport
from conveyor_runner.testing.stubs import StubTransport

BODY = b"x" * 512
HEADERS = {"executionId": "6650f1c2a1b2c3d4e5f60718", "serviceId": "6650f1c2a1b2c3d4e5f60719"}


def publish(transport: QueueTransport, queue: str, count: int, prefix: str = "m") -> None:
    for index in range(count):
        transport.publish(queue, BODY, message_id=f"{prefix}-{index}", headers=HEADERS)


def drain(transport: QueueTransport, queue: str, count: int) -> None:
    consumer = transport.consume(queue, prefetch=10)
    for _ in range(count):
        delivery = consumer.receive(timeout=5)
        if delivery is None:
            raise RuntimeError(f"queue {queue} ran dry before {count} messages")
        delivery.ack()
    consumer.close()


def in_threads(threads: int, work: Callable[[int], None]) -> None:
    workers = [threading.Thread(target=work, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def rate(count: int, action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return count / (time.perf_counter() - started)


def measure(transport: QueueTransport, count: int) -> dict[str, float]:
    """Messages per second for each scenario, on fresh queues of ``transport``."""
    for queue in ("single", "threaded"):
        transport.declare(queue)
    per_thread = count // 4
    return {
        "publish x1": rate(count, lambda: publish(transport, "single", count)),
        "receive+ack x1": rate(count, lambda: drain(transport, "single", count)),
        "publish x4 threads": rate(per_thread * 4, lambda: in_threads(
            4, lambda i: publish(transport, "threaded", per_thread, f"t{i}"))),
        "receive+ack x2 consumers": rate(per_thread * 4, lambda: in_threads(
            2, lambda _: drain(transport, "threaded", per_thread * 2))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    count = parser.parse_args().messages
    with tempfile.TemporaryDirectory(prefix="conveyor-bench-") as folder:
        candidates = {
            "embedded (synchronous=normal)": f"embedded://{folder}/normal/queue.db",
            "embedded (synchronous=full)": f"embedded://{folder}/full/queue.db?synchronous=full",
            "memory stub": None,
        }
        results = {}
        for name, url in candidates.items():
            transport = StubTransport() if url is None else EmbeddedTransport(url)
            try:
                results[name] = measure(transport, count)
            finally:
                transport.close()
    scenarios = list(next(iter(results.values())))
    print(f"messages/s, {count} messages of {len(BODY)} bytes")
    print(f"{'scenario':<26}" + "".join(f"{name:>32}" for name in results))
    for scenario in scenarios:
        print(f"{scenario:<26}" + "".join(f"{results[name][scenario]:>32,.0f}"
                                         for name in results))


if __name__ == "__main__":
    main()
