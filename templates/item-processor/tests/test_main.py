"""Tests of main.py: the function runs in this process, on a real item.

The ``sqlite_server`` fixture comes from Conveyor's pytest plugin. It starts a Conveyor
control plane in this test session, on a temporary SQLite database, so plain ``pytest``
is enough and nothing touches your own server.
"""

import base64
import json
import secrets
from pathlib import Path

import pytest
from main import PROCESSOR, ServiceRunner

import conveyor as dl

PACKAGE_FOLDER = Path(__file__).resolve().parent.parent
#: a 1x1 PNG, the smallest real image to process
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
    "AAAABJRU5ErkJggg==")


@pytest.fixture
def item(sqlite_server, tmp_path):
    """A new item in a new project and dataset of the test server."""
    dl.setenv(sqlite_server.url)
    dl.login_token(sqlite_server.token)
    project = dl.projects.create(project_name=f"test-{secrets.token_hex(4)}")
    dataset = project.datasets.create(dataset_name="images")
    image = tmp_path / "pixel.png"
    image.write_bytes(PIXEL_PNG)
    return dataset.items.upload(local_path=str(image))


def labels_of(item_id):
    return [a.label for a in dl.items.get(item_id=item_id).annotations.list()]


def test_run_classifies_and_marks_the_item(item):
    runner = ServiceRunner(label="reviewed")

    returned = runner.run(item=item, progress=dl.Progress())

    assert returned.id == item.id
    assert labels_of(item.id) == ["reviewed"]
    assert dl.items.get(item_id=item.id).metadata["user"]["processedBy"] == PROCESSOR


def test_mock_json_runs_the_declared_function(item, tmp_path):
    # package.test() reads package.json and mock.json the way a replica reads the
    # package and the execution input. Here mock.json gets a real item id.
    mock = json.loads((PACKAGE_FOLDER / "mock.json").read_text())
    mock["inputs"] = [{"name": "item", "value": {"item_id": item.id}}]
    mock_file = tmp_path / "mock.json"
    mock_file.write_text(json.dumps(mock))

    returned = dl.packages.test_local_package(cwd=str(PACKAGE_FOLDER),
                                              mock_file_path=str(mock_file))

    assert returned.id == item.id
    assert labels_of(item.id) == [mock["init_params"]["label"]]
