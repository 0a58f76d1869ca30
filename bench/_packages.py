"""A no-op package pushed and deployed for execution benchmarks."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

MAIN = '''
import time

import conveyor as dl


class ServiceRunner(dl.BaseServiceRunner):
    def noop(self, value=0):
        return value

    def pause(self, seconds=0.0):
        time.sleep(seconds)
        return seconds

    def touch(self, item):
        return item.id
'''

PACKAGE = {
    "name": "bench-noop",
    "modules": [{"name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
                 "initInputs": [],
                 "functions": [{"name": "noop", "input": [{"name": "value", "type": "Integer"}],
                                "output": []},
                               {"name": "pause", "input": [{"name": "seconds", "type": "Float"}],
                                "output": []},
                               {"name": "touch", "input": [{"name": "item", "type": "Item"}],
                                "output": []}]}],
}


def deploy_noop(dl, project, runtime: dict, name: str = "bench-noop", **settings):
    """Push the no-op package and deploy it; returns the service once a replica is ready."""
    folder = Path(tempfile.mkdtemp())
    (folder / "main.py").write_text(MAIN)
    (folder / "package.json").write_text(json.dumps({**PACKAGE, "name": name}))
    package = project.packages.push(package_name=name, src_path=str(folder))
    service = package.deploy(service_name=name, runtime=runtime, **settings)
    if runtime.get("numReplicas", 1) > 0 and not runtime.get("autoscaler"):
        wait_ready(service, runtime.get("numReplicas", 1))
    return service


def wait_ready(service, count: int, timeout: float = 120) -> None:
    """Block until ``count`` replicas reported themselves ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replicas = service.status().get("replicas", [])
        if sum(1 for r in replicas if r.get("reported") == "ready") >= count:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{count} replica(s) of {service.name} not ready after {timeout} s")


def replica_pids(data_dir: Path, service_id: str) -> list[int]:
    """Pids of the local backend's replicas of a service."""
    path = data_dir / "compute" / "local" / "replicas" / service_id / "pids.json"
    try:
        entries = json.loads(path.read_text())
    except FileNotFoundError:
        return []
    values = entries.values() if isinstance(entries, dict) else entries
    return [int(v["pid"] if isinstance(v, dict) else v) for v in values]
