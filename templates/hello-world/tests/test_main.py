"""Tests of main.py: the function runs in this process, with no server.

Run them with ``pytest`` from the package folder.
"""

from pathlib import Path

from main import ServiceRunner

import conveyor as dl

PACKAGE_FOLDER = Path(__file__).resolve().parent.parent


def test_run_greets_by_name():
    runner = ServiceRunner()

    assert runner.run(name="Ada", progress=dl.Progress()) == "Hello, Ada!"


def test_mock_json_runs_the_declared_function():
    # package.test() reads package.json and mock.json the way a replica reads the
    # package and the execution input. A mismatch between them and main.py fails here.
    output = dl.packages.test_local_package(cwd=str(PACKAGE_FOLDER))

    assert output == "Hello, Conveyor!"
