"""Trigger benchmark: events per second through 100 active filtered triggers, and the time
from an item upload to its execution being ``created``.

Runs ``conveyor up`` in its own process on SQLite (the embedded default) and, when
PostgreSQL answers, on PostgreSQL too, and prints the figures side by side. The service
has no replicas: the figures are the control plane's (event capture, trigger evaluation,
execution records), not the agent's.

* events/s: ``--uploads`` files uploaded by 8 threads into 100 folders; each of the 100
  ``Always`` triggers filters on one folder (plus metadata), so every event is evaluated
  against all 100 and creates exactly one execution. Reported: the upload rate, the rate
  of events turned into executions (first upload to last execution), and the backlog
  left when the last upload returned.
* latency: ``--latency`` uploads one after the other; for each, the time until its
  execution shows in the ledger (client clock, polling every 2 ms) and the server's
  ``execution.createdAt - item.createdAt``; p50 and p95.
* evaluation cost: matching one item JSON against the 100 filters in this process.

    python bench/triggers.py [--uploads 1000] [--latency 200]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
from _server import percentile, running_server

POSTGRES = os.environ.get("CONVEYOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TRIGGERS = 100
MAIN = '''
import conveyor as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, item):
        return item.id
'''
MODULES = [{"name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
            "functions": [{"name": "run", "input": [{"name": "item", "type": "Item"}]}]}]


def folder_filter(index: int) -> dict:
    return {"$and": [{"hidden": False}, {"type": "file"}, {"dir": f"/f{index:02d}"},
                     {"metadata.user.score": {"$gte": 0}}]}


class Client:
    """A pooled REST session on the server."""

    def __init__(self, server) -> None:
        self.api = server.api
        self.session = requests.Session()
        self.session.headers["authorization"] = f"Bearer {server.token}"
        self.session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=16))

    def ok(self, method: str, path: str, **kwargs):
        reply = self.session.request(method, self.api + path, timeout=60, **kwargs)
        reply.raise_for_status()
        return reply.json()

    def upload(self, dataset_id: str, path: str) -> dict:
        return self.ok("post", f"/datasets/{dataset_id}/items", files={"file": ("x.txt", b"x")},
                       data={"type": "file", "path": path,
                             "metadata": json.dumps({"user": {"score": 1}})})

    def executions(self, service_id: str, *clauses: dict, page_size: int = 0) -> dict:
        return self.ok("post", "/query/faas", json={
            "resource": "executions", "page": 0, "pageSize": page_size,
            "filter": {"$and": [{"serviceId": service_id}, *clauses]}})


def setup(server, client: Client) -> tuple[str, str]:
    """A project, a dataset and a service (no replicas) with 100 folder triggers."""
    import conveyor as dl

    dl.setenv(server.url)
    dl.login_token(server.token)
    project = dl.projects.create(project_name=f"bench-{time.time_ns()}")
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-triggers-{time.time_ns()}"
    folder.mkdir()
    (folder / "main.py").write_text(MAIN)
    (folder / "package.json").write_text(json.dumps({"name": "watcher", "modules": MODULES}))
    package = project.packages.push(src_path=str(folder))
    service = package.deploy(service_name="watcher", runtime={"numReplicas": 0})
    dataset = client.ok("post", "/datasets", json={"name": "events", "projects": [project.id]})
    for index in range(TRIGGERS):
        client.ok("post", "/triggers", json={
            "type": "Event", "projectId": project.id, "name": f"folder-{index:02d}",
            "spec": {"resource": "Item", "actions": ["Created"], "executionMode": "Always",
                     "filter": folder_filter(index),
                     "operation": {"type": "function", "serviceId": service.id,
                                   "functionName": "run"}}})
    return dataset["id"], service.id


def throughput(client: Client, dataset_id: str, service_id: str, count: int) -> dict:
    """Upload ``count`` files (8 threads) and wait until each has its execution."""
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: client.upload(dataset_id, f"/f{i % TRIGGERS:02d}/t{i:06d}.txt"),
                      range(count)))
    uploaded = time.perf_counter()
    backlog = count - client.executions(service_id)["totalItemsCount"]
    while client.executions(service_id)["totalItemsCount"] < count:
        if time.perf_counter() - uploaded > 300:
            raise RuntimeError("the trigger engine did not catch up within 300 s")
        time.sleep(0.01)
    done = time.perf_counter()
    return {"uploads/s": count / (uploaded - started), "events/s": count / (done - started),
            "backlog": backlog, "drain s": done - uploaded}


def latency(client: Client, dataset_id: str, service_id: str, count: int) -> dict:
    """Sequential uploads: time until each one's execution is in the ledger."""
    seen, server, requests_ms = [], [], []
    for index in range(count):
        started = time.perf_counter()
        item = client.upload(dataset_id, f"/f00/l{index:06d}.txt")
        requests_ms.append((time.perf_counter() - started) * 1000)
        while True:
            page = client.executions(service_id, {"input.item.item_id": item["id"]},
                                     page_size=1)
            if page["items"]:
                break
            time.sleep(0.002)
        seen.append((time.perf_counter() - started) * 1000)
        server.append(_ms(page["items"][0]["createdAt"]) - _ms(item["createdAt"]))
    return {"upload request p50 ms": percentile(requests_ms, 0.5),
            "upload->created p50 ms": percentile(seen, 0.5),
            "upload->created p95 ms": percentile(seen, 0.95),
            "commit->created p50 ms (server)": percentile(server, 0.5)}


def _ms(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000


def evaluation_cost() -> dict:
    """Microseconds to match one item JSON against the 100 filters: every filter through
    ``dql.matches``, and the engine's way (``TriggerIndex`` pre-selection, then matches)."""
    from conveyor_runner.control.dql import matches, parse_filter
    from conveyor_runner.control.trigger_index import Compiled, TriggerIndex, TriggerView

    filters = [parse_filter(folder_filter(i)) for i in range(TRIGGERS)]
    index = TriggerIndex([Compiled(TriggerView(str(i), "p", "s", "c", "c", "", {}), f, "Item",
                                   frozenset({"Created"}), False)
                          for i, f in enumerate(filters)])
    body = {"id": "x" * 24, "hidden": False, "type": "file", "dir": "/f42",
            "filename": "/f42/a.txt", "metadata": {"user": {"score": 1}, "system": {}}}
    rounds, figures = 2000, {}
    for name, evaluate in (
            ("eval 100 filters, all us", lambda: sum(matches(f, body) for f in filters)),
            ("eval 100 filters, indexed us", lambda: sum(matches(t.filter, body) for t in
                                                        index.candidates("Item", "Created",
                                                                         "z", body)))):
        started = time.perf_counter()
        for _ in range(rounds):
            assert evaluate() == 1
        figures[name] = (time.perf_counter() - started) / rounds * 1e6
    return figures


def run(database_url: str | None, uploads: int, samples: int) -> dict:
    with running_server(database_url) as server:
        client = Client(server)
        dataset_id, service_id = setup(server, client)
        figures = throughput(client, dataset_id, service_id, uploads)
        figures.update(latency(client, dataset_id, service_id, samples))
        figures["control plane MB"] = server.rss_mb()
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=1000)
    parser.add_argument("--latency", type=int, default=200)
    args = parser.parse_args()
    columns = {"sqlite": run(None, args.uploads, args.latency)}
    try:
        import psycopg

        from conveyor_runner.testing.databases import temporary_postgres_database

        psycopg.connect(POSTGRES, connect_timeout=2).close()
        with temporary_postgres_database(POSTGRES) as url:
            columns["postgres"] = run(url, args.uploads, args.latency)
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: print SQLite alone
        print(f"(PostgreSQL skipped: {type(exc).__name__}: {exc})")
    rows = list(next(iter(columns.values())))
    print(f"{'':34}" + "".join(f"{name:>12}" for name in columns))
    for row in rows:
        print(f"{row:34}" + "".join(f"{columns[c][row]:>12.1f}" for c in columns))
    for key, value in evaluation_cost().items():
        print(f"{key:34}{value:>12.1f}")


if __name__ == "__main__":
    main()
