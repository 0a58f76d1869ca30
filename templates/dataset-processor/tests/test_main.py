"""Tests of main.py: the function runs in this process, on a real dataset.

The ``sqlite_server`` fixture comes from Conveyor's pytest plugin. It starts a Conveyor
control plane in this test session, on a temporary SQLite database, so plain ``pytest``
is enough and nothing touches your own server.
"""

import json
import secrets
from pathlib import Path

import pytest
from main import ServiceRunner

import conveyor as dl

PACKAGE_FOLDER = Path(__file__).resolve().parent.parent


@pytest.fixture
def dataset(sqlite_server, tmp_path):
    """A new dataset with two files in /cats and one in /dogs."""
    dl.setenv(sqlite_server.url)
    dl.login_token(sqlite_server.token)
    project = dl.projects.create(project_name=f"test-{secrets.token_hex(4)}")
    dataset = project.datasets.create(dataset_name="pets")
    for folder, name in (("cats", "tom.txt"), ("cats", "felix.txt"), ("dogs", "rex.txt")):
        path = tmp_path / name
        path.write_text(name)
        dataset.items.upload(local_path=str(path), remote_path=f"/{folder}")
    return dataset


def test_run_counts_only_matching_items(dataset):
    runner = ServiceRunner()

    cats = runner.run(dataset=dataset, query={"$and": [{"type": "file"}, {"dir": "/cats"}]},
                      progress=dl.Progress())

    assert cats == 2


def test_run_without_query_counts_every_file(dataset):
    assert ServiceRunner().run(dataset=dataset, progress=dl.Progress()) == 3


def test_mock_json_runs_the_declared_function(dataset, tmp_path):
    # package.test() reads package.json and mock.json the way a replica reads the
    # package and the execution input. Here mock.json gets a real dataset id.
    mock = json.loads((PACKAGE_FOLDER / "mock.json").read_text())
    mock["inputs"][0]["value"] = {"dataset_id": dataset.id}
    mock_file = tmp_path / "mock.json"
    mock_file.write_text(json.dumps(mock))

    count = dl.packages.test_local_package(cwd=str(PACKAGE_FOLDER),
                                           mock_file_path=str(mock_file))

    assert count == 3  # mock.json's query counts every file
