"""Conveyor on RabbitMQ against Celery on the same broker, in one run, side by side.

Both run no-op work with 10 concurrent slots (``--slots``) on this machine: 5,000 async executions
(Conveyor: every one recorded in the ledger with its status history; Celery: with a
result backend, acks late) and 300 sync round trips each. The sync round trips alternate
between the two (Conveyor, Celery, Celery, Conveyor, ...) with both running, so that the
machine's drift -- on a shared VM, its speed wanders by tens of percent within minutes --
weighs on both alike; measured one after the other, the ratio of the two p50s moved from
3x to 4.4x between runs. Conveyor also runs one
``execute_batch`` over 5,000 items (a function that gets each item and returns its id),
the other way the issue allows to submit them; Celery's one throughput stands against
both rows. Also prints, for Conveyor, the time
from an execution queued on a service at zero replicas to its success, and from a burst of
500 executions (50 ms of work each) to the autoscaler reaching its target replica count.
Needs RabbitMQ (CONVEYOR_TEST_AMQP_URL) and Celery (`pip install -e '.[bench]'`); the
Celery result backend is Redis when it answers on 127.0.0.1:6379, else RPC over RabbitMQ.
With each throughput come the machine's CPU milliseconds per execution, the cores it kept
busy, and its context switches per execution (``_cpu``): near the core count a run is
CPU-bound, well below it, it waits; the switches count its hand-overs between threads.

Celery's slots are its prefork pool; Conveyor's are one replica's ``concurrency``, or, with
``--replicas R``, R replicas sharing the slots (each with slots / R).

    python bench/vs_celery.py [--count 5000] [--sync 300] [--burst 500] [--slots 10]
                              [--replicas 1]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _cpu import CpuMeter  # noqa: E402
from _packages import deploy_noop  # noqa: E402
from _server import percentile, running_server  # noqa: E402

AMQP = os.environ.get("CONVEYOR_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def _backend() -> str:
    from conveyor_runner.testing.services import reachable

    return "redis://127.0.0.1:6379/15" if reachable("redis://127.0.0.1:6379") else "rpc://"


@contextlib.contextmanager
def celery_worker(slots: int) -> Iterator:
    """A Celery worker with a prefork pool of ``slots``, up and answering; yields its
    no-op task."""
    env = {**os.environ, "BENCH_BROKER": AMQP.replace("%2F", ""), "BENCH_BACKEND": _backend()}
    os.environ.update(env)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_noop", "worker", "--concurrency", str(slots),
         "--loglevel", "WARNING", "-Q", "celery", "--without-gossip", "--without-mingle"],
        cwd=Path(__file__).parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sys.path.insert(0, str(Path(__file__).parent))
        from celery_noop import app, noop

        app.control.purge()
        noop.delay(0).get(timeout=120)  # the worker is up
        yield noop
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def celery_throughput(noop, count: int) -> dict:
    """Throughput of ``count`` no-op Celery tasks sent at once, with the CPU they took."""
    with CpuMeter() as meter:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda i: noop.delay(i), range(count)))
        for result in results:
            result.get(timeout=600)
    # One way to submit work: its figures stand against both of Conveyor's.
    rate = count / meter.use.seconds
    return {"throughput/s": rate, "batch throughput/s": rate,
            **cpu_rows("", meter.use, count), **cpu_rows("batch ", meter.use, count)}


def sync_round_trips(service, noop, count: int) -> tuple[dict, dict]:
    """``count`` sync round trips through each side, alternating which goes first; the
    p50 and p95 of each side, in ms (Conveyor's, Celery's)."""
    calls = (lambda i: service.execute(function_name="noop", execution_input={"value": i},
                                       sync=True, stream_logs=False),
             lambda i: noop.delay(i).get(timeout=60))
    for index in range(20):  # warm both paths up (connections, caches); not counted
        for call in calls:
            call(index)
    timings: tuple[list[float], list[float]] = ([], [])
    for index in range(count):
        for side in ((0, 1) if index % 2 == 0 else (1, 0)):
            begun = time.perf_counter()
            assert calls[side](index) == index
            timings[side].append((time.perf_counter() - begun) * 1000)
    return tuple({"sync p50 ms": percentile(t, 0.5), "sync p95 ms": percentile(t, 0.95)}
                 for t in timings)


def cpu_rows(prefix: str, use, count: int) -> dict:
    """The machine's CPU and context switches per execution, and its busy cores, during a
    throughput run."""
    return {f"{prefix}CPU ms/execution": use.per_unit_ms(count),
            f"{prefix}cores busy": use.cores,
            f"{prefix}switches/execution": use.switches_per_unit(count)}


def _succeeded(dl, service) -> int:
    filters = dl.Filters(resource=dl.FiltersResource.EXECUTION, field="serviceId",
                         values=service.id)
    filters.add(field="latestStatus.status", values="success")
    filters.page_size = 0
    return dl.executions.list(filters=filters).items_count


def _all_done(dl, service, count: int) -> None:
    deadline = time.perf_counter() + 900
    while _succeeded(dl, service) < count:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{count} executions did not all succeed")
        time.sleep(0.25)


def conveyor_throughput(dl, project, service, count: int) -> dict:
    """Throughput of Conveyor's ``service`` for async executes and for one execute_batch."""
    with CpuMeter() as meter:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: service.execute(function_name="noop",
                                                    execution_input={"value": i}),
                          range(count)))
        _all_done(dl, service, count)
    batch = batch_run(dl, project, service, count)
    return {"throughput/s": count / meter.use.seconds,
            "batch throughput/s": count / batch.seconds,
            **cpu_rows("", meter.use, count), **cpu_rows("batch ", batch, count)}


def batch_run(dl, project, service, count: int):
    """The span of one ``execute_batch`` over ``count`` items (each execution gets its
    item), from the request to the last success, with the CPU it took (``CpuUse``). The
    uploads are not measured."""
    dataset = project.datasets.create(dataset_name=f"batch-{time.time_ns()}")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: dataset.items.upload(local_path=io.BytesIO(b"x"),
                                                     remote_name=f"{i}.txt",
                                                     remote_path="/batch"), range(count)))
    done_before = _succeeded(dl, service)
    with CpuMeter() as meter:
        service.execute_batch(filters=dl.Filters(field="dir", values="/batch"),
                              function_name="touch", wait=False)
        _all_done(dl, service, done_before + count)
    return meter.use


def _replicas(service) -> int:
    return sum(1 for r in service.status().get("replicas", []) if r.get("reported") == "ready")


def cold_start(dl, project) -> float:
    """Seconds from an execution queued on a service at zero replicas to its success."""
    scaler = {"type": "rabbitmq", "minReplicas": 0, "maxReplicas": 1, "queueLength": 10,
              "cooldownPeriod": 60, "pollingInterval": 1}
    service = deploy_noop(dl, project, {"autoscaler": scaler, "concurrency": 10}, name="cold")
    time.sleep(3)
    assert _replicas(service) == 0, "the service did not start at zero replicas"
    started = time.perf_counter()
    output = service.execute(function_name="noop", execution_input={"value": 7}, sync=True,
                             stream_logs=False)
    elapsed = time.perf_counter() - started
    assert output == 7
    service.delete()
    return elapsed


def burst_scale(dl, project, burst: int) -> tuple[float, int]:
    """Seconds from a burst of executions to the autoscaler's target replicas being ready."""
    # One slot per replica, and 50 ms of work per execution: the burst (25 s of work for
    # one replica) outlasts the replicas' start-up. A burst of no-ops drained before the
    # autoscaler's later replicas were up, so it never reached its target.
    scaler = {"type": "rabbitmq", "minReplicas": 1, "maxReplicas": 4, "queueLength": 100,
              "cooldownPeriod": 60, "pollingInterval": 1}
    service = deploy_noop(dl, project, {"autoscaler": scaler, "concurrency": 1}, name="burst")
    deadline = time.perf_counter() + 120
    while _replicas(service) < 1 and time.perf_counter() < deadline:
        time.sleep(0.2)
    target = min(4, -(-burst // 100))
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: service.execute(function_name="pause",
                                                execution_input={"seconds": 0.05}),
                      range(burst)))
    while _replicas(service) < target:
        if time.perf_counter() - started > 300:
            raise RuntimeError(f"the autoscaler did not reach {target} replicas in 300 s")
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    _all_done(dl, service, burst)
    service.delete()
    return elapsed, target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--sync", type=int, default=300)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--slots", type=int, default=10,
                        help="concurrent executions on each side (default 10)")
    parser.add_argument("--replicas", type=int, default=1,
                        help="Conveyor replicas sharing the slots (default 1)")
    args = parser.parse_args()
    if args.slots < 1 or args.replicas < 1 or args.slots % args.replicas:
        parser.error("--slots and --replicas: positive, and the slots a multiple of the "
                     "replicas (each replica gets slots / replicas)")
    with running_server(env={"CONVEYOR_QUEUE_URL": AMQP}) as server:
        import conveyor as dl

        dl.setenv(server.url)
        dl.login_token(server.token)
        dl.verbose.disable_progress_bar = True
        project = dl.projects.create(project_name=f"vs-celery-{time.time_ns()}")
        service = deploy_noop(dl, project, {"numReplicas": args.replicas,
                                            "concurrency": args.slots // args.replicas},
                              name="noop")
        ours = conveyor_throughput(dl, project, service, args.count)
        cold = cold_start(dl, project)
        burst, target = burst_scale(dl, project, args.burst)
        with celery_worker(args.slots) as noop:  # Conveyor's server is up, and idle
            theirs = celery_throughput(noop, args.count)
            ours_sync, theirs_sync = sync_round_trips(service, noop, args.sync)
        ours.update(ours_sync)
        theirs.update(theirs_sync)
        service.delete()
    print(f"{args.slots} slots; Conveyor: {args.replicas} replica(s) of "
          f"{args.slots // args.replicas}; Celery: a prefork pool of {args.slots}")
    print(f"{'':28}{'Conveyor':>12}{'Celery':>12}{'ratio':>10}")
    for key in ours:
        print(f"{key:28}{ours[key]:12.2f}{theirs[key]:12.2f}{ours[key] / theirs[key]:10.2f}")
    print(f"cold start (0 replicas -> success): {cold:.2f} s")
    print(f"burst of {args.burst} -> {target} replicas ready: {burst:.2f} s")


if __name__ == "__main__":
    main()
