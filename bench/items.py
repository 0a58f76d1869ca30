"""Item benchmark: uploads per second, DQL query latency, control-plane memory.

Runs ``conveyor up`` in its own process on SQLite (the embedded default) and, when
PostgreSQL answers, on PostgreSQL too, and prints the figures side by side. Targets on a
2-core machine: >= 150 uploads/s, query p50 < 30 ms, control plane < 250 MB.

    python bench/items.py [--uploads 1000] [--items 10000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
from _server import percentile, running_server  # noqa: E402

POSTGRES = os.environ.get("CONVEYOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["authorization"] = f"Bearer {token}"
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=16)
    session.mount("http://", adapter)
    return session


def bench_uploads(server, count: int) -> dict:
    """Upload ``count`` small files with the SDK (its default 5 upload threads)."""
    import conveyor as dl

    dl.setenv(server.url)
    dl.login_token(server.token)
    dl.verbose.disable_progress_bar = True
    project = dl.projects.create(project_name=f"bench-{time.time_ns()}")
    dataset = project.datasets.create(dataset_name="uploads")
    folder = Path(tempfile.mkdtemp())
    for index in range(count):
        (folder / f"f{index:05d}.txt").write_bytes(os.urandom(512))
    started = time.perf_counter()
    dataset.items.upload(local_path=str(folder), remote_path="/up")
    elapsed = time.perf_counter() - started
    return {"uploads/s": count / elapsed, "project": project}


def fill(server, project_id: str, count: int) -> str:
    """A dataset of ``count`` items in 10 folders with a metadata field, via the REST API."""
    session = _session(server.token)
    dataset = session.post(f"{server.api}/datasets", json={
        "name": "query", "projects": [project_id]}).json()

    def one(index: int) -> None:
        reply = session.post(f"{server.api}/datasets/{dataset['id']}/items", data={
            "type": "file", "path": f"/folder{index % 10}/i{index:05d}.txt",
            "metadata": json.dumps({"user": {"score": index % 100, "split": "train"
                                             if index % 3 else "test"}})},
            files={"file": ("x.txt", b"x")})
        reply.raise_for_status()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(count)))
    return dataset["id"]


def bench_queries(server, dataset_id: str, count: int, page_size: int) -> dict:
    """Latency of a folder + metadata filter query (one page), over ``count`` calls."""
    session = _session(server.token)
    body = {"filter": {"$and": [{"hidden": False}, {"type": "file"},
                                {"dir": "/folder3"}, {"metadata.user.split": "train"}]},
            "page": 0, "pageSize": page_size, "resource": "items"}
    timings, total = [], 0
    for _ in range(count):
        started = time.perf_counter()
        reply = session.post(f"{server.api}/datasets/{dataset_id}/query", json=body)
        timings.append((time.perf_counter() - started) * 1000)
        total = reply.json()["totalItemsCount"]
    return {f"query p50 ms (page {page_size})": percentile(timings, 0.5),
            f"query p95 ms (page {page_size})": percentile(timings, 0.95), "matches": total}


def run(database_url: str | None, args) -> dict:
    with running_server(database_url) as server:
        results = bench_uploads(server, args.uploads)
        project = results.pop("project")
        dataset_id = fill(server, project.id, args.items)
        for page_size in (100, 1000):
            results.update(bench_queries(server, dataset_id, args.queries, page_size))
        results["control plane RSS MB"] = server.rss_mb()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=1000)
    parser.add_argument("--items", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    columns = {"sqlite": run(None, args)}
    from conveyor_runner.testing.services import reachable

    if reachable(POSTGRES):
        from conveyor_runner.testing.databases import temporary_postgres_database

        with temporary_postgres_database(POSTGRES) as url:
            columns["postgres"] = run(url, args)
    keys = list(columns["sqlite"])
    print(f"{'metric':32}" + "".join(f"{name:>14}" for name in columns))
    for key in keys:
        print(f"{key:32}" + "".join(f"{columns[c].get(key, float('nan')):>14.1f}"
                                     for c in columns))


if __name__ == "__main__":
    main()
