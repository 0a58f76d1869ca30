"""dtlpy 1.126.5 against Conveyor: push a package from a folder, deploy, execute."""

from __future__ import annotations

import json
import time

import pytest

pytestmark = pytest.mark.compat

MAIN = '''
import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self, suffix="!"):
        self.suffix = suffix

    def shout(self, text, progress=None):
        if progress is not None:
            progress.update(progress=50, message="halfway")
        return text.upper() + self.suffix

    def tag(self, item, progress):
        item.metadata.setdefault("user", {})["tagged"] = True
        item.update()
        return item
'''

PACKAGE = {
    "name": "{name}",
    "modules": [{
        "name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
        "initInputs": [{"name": "suffix", "type": "String"}],
        "functions": [
            {"name": "shout", "input": [{"name": "text", "type": "String"}], "output": []},
            {"name": "tag", "input": [{"name": "item", "type": "Item"}],
             "output": [{"name": "item", "type": "Item"}]},
        ],
    }],
}


@pytest.fixture
def package_folder(tmp_path, unique_name):
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "main.py").write_text(MAIN)
    (folder / "package.json").write_text(json.dumps({**PACKAGE, "name": unique_name}))
    return folder


def _wait_ready(service, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = service.status()
        if any(r.get("reported") == "ready" for r in status.get("replicas", [])):
            return
        time.sleep(0.5)
    raise AssertionError(f"no replica became ready: {service.status()}")


def test_push_deploy_execute_sync_and_async(dtlpy_client, unique_name, package_folder, tmp_path):
    dl = dtlpy_client
    project = dl.projects.create(project_name=unique_name)
    package = project.packages.push(package_name=unique_name, src_path=str(package_folder))
    assert package.version == "1.0.0"
    assert [f.name for f in package.modules[0].functions] == ["shout", "tag"]

    service = package.deploy(service_name=unique_name, init_input={"suffix": "?!"},
                             runtime=dl.KubernetesRuntime(concurrency=2, num_replicas=1))
    try:
        _wait_ready(service)
        output = service.execute(function_name="shout", execution_input={"text": "hi"},
                                 sync=True)
        assert output == "HI?!"

        image = tmp_path / "a.txt"
        image.write_text("payload")
        item = project.datasets.create(dataset_name="d").items.upload(local_path=str(image))
        execution = service.execute(function_name="tag", item_id=item.id,
                                    project_id=project.id)
        assert execution.latest_status["status"] in ("created", "in-progress", "success")
        finished = dl.executions.get(execution_id=execution.id).wait()
        assert finished.latest_status["status"] == "success"
        assert finished.output == {"item_id": item.id}
        assert dl.items.get(item_id=item.id).metadata["user"]["tagged"] is True
        statuses = [s["status"] for s in finished.status_log]
        assert statuses[0] == "created" and statuses[-1] == "success"
        assert "in-progress" in statuses
    finally:
        service.delete()
