"""Execution benchmark on the embedded default: throughput, sync latency, memory.

One local replica with concurrency 10 runs a no-op function. Prints: throughput of 2,000
async executions (every one reaching ``success`` in the ledger), sync execute latency
p50/p95 over 300 calls, and the resident memory of the control plane and an idle replica.
Targets on a 2-core machine: >= 300 executions/s, sync p50 < 20 ms, control plane < 250 MB,
idle replica < 120 MB.

    python bench/executions.py [--executions 2000] [--sync 300]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _packages import deploy_noop, replica_pids  # noqa: E402
from _server import percentile, rss_mb, running_server  # noqa: E402


def count_success(dl, service) -> int:
    filters = dl.Filters(resource=dl.FiltersResource.EXECUTION, field="serviceId",
                         values=service.id)
    filters.add(field="latestStatus.status", values="success")
    filters.page_size = 0
    return dl.executions.list(filters=filters).items_count


def throughput(dl, service, count: int) -> float:
    """Executions per second from the first create to the last success."""
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: service.execute(function_name="noop",
                                                execution_input={"value": i}), range(count)))
    created = time.perf_counter()
    while count_success(dl, service) < count:
        if time.perf_counter() - created > 300:
            raise RuntimeError("executions did not all succeed within 300 s")
        time.sleep(0.25)  # a count query per poll: poll gently, it competes for the server
    return count / (time.perf_counter() - started)


def sync_latency(service, count: int) -> tuple[float, float]:
    """p50/p95 in ms of ``service.execute(sync=True)`` returning the output."""
    timings = []
    for index in range(count):
        started = time.perf_counter()
        output = service.execute(function_name="noop", execution_input={"value": index},
                                 sync=True, stream_logs=False)
        timings.append((time.perf_counter() - started) * 1000)
        assert output == index, output
    return percentile(timings, 0.5), percentile(timings, 0.95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=2000)
    parser.add_argument("--sync", type=int, default=300)
    args = parser.parse_args()
    with running_server() as server:
        import conveyor as dl

        dl.setenv(server.url)
        dl.login_token(server.token)
        project = dl.projects.create(project_name=f"bench-{time.time_ns()}")
        service = deploy_noop(dl, project, {"numReplicas": 1, "concurrency": 10})
        rate = throughput(dl, service, args.executions)
        p50, p95 = sync_latency(service, args.sync)
        time.sleep(2)
        pids = replica_pids(server.data_dir, service.id)
        figures = {
            f"throughput ({args.executions} async), executions/s": rate,
            f"sync execute p50 ms ({args.sync} calls)": p50,
            f"sync execute p95 ms ({args.sync} calls)": p95,
            "control plane RSS MB": server.rss_mb(),
            "idle replica RSS MB": rss_mb(pids[0]) if pids else float("nan"),
        }
    for name, value in figures.items():
        print(f"{name:48}{value:10.1f}")


if __name__ == "__main__":
    main()
