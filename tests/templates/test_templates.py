"""Every package template: generated with the CLI, its own tests pass, and it pushes.

For each template in the top-level ``templates/`` folder, the test generates it into a
temporary folder with ``conveyor package generate``. Then it runs the generated
package's ``tests/`` with ``pytest`` in a subprocess, as a user would, and pushes it
to a live server. The push runs Conveyor's push-time code check.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

import conveyor as dl
from conveyor_runner.cli import main
from conveyor_runner.cli.package_templates import available

REPOSITORY = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(p.name for p in (REPOSITORY / "templates").iterdir()
                   if (p / "package.json").is_file())
REQUIRED_FILES = ("package.json", "main.py", "mock.json", "requirements.txt", "README.md",
                  "tests/test_main.py")


@pytest.fixture
def generated(request, tmp_path, monkeypatch):
    """``(template, folder)``: the template generated as package ``my-<template>``."""
    template = request.param
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / f"my-{template}"
    assert main(["package", "generate", "--template", template, "--to", str(folder)]) == 0
    return template, folder


@pytest.fixture
def project(sqlite_server):
    dl.setenv(sqlite_server.url)
    dl.login_token(sqlite_server.token)
    project = dl.projects.create(project_name=f"templates-{secrets.token_hex(4)}")
    yield project
    project.delete(sure=True, really=True)


def test_the_installed_templates_are_the_repository_templates():
    assert TEMPLATES == sorted(available())
    assert {"hello-world", "item-processor", "dataset-processor"} <= set(TEMPLATES)


@pytest.mark.parametrize("generated", TEMPLATES, indirect=True)
def test_template_has_the_required_files_and_manifest(generated):
    template, folder = generated
    for name in REQUIRED_FILES:
        assert (folder / name).is_file(), name
    manifest = json.loads((folder / "package.json").read_text())
    assert manifest["name"] == f"my-{template}"
    (module,) = manifest["modules"]
    assert (module["name"], module["entryPoint"], module["className"]) == (
        "default_module", "main.py", "ServiceRunner")
    assert "run" in [f["name"] for f in module["functions"]]
    (service,) = manifest["services"]
    assert service["runtime"] == {"numReplicas": 1, "concurrency": 10}
    assert "triggers" not in service


@pytest.mark.parametrize("generated", TEMPLATES, indirect=True)
def test_generated_package_passes_its_own_tests(generated):
    _, folder = generated
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=folder, env=env, capture_output=True, text=True, timeout=600,
                            check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout


@pytest.mark.parametrize("generated", TEMPLATES, indirect=True)
def test_generated_package_passes_the_push_time_check(generated, project):
    template, folder = generated
    declared = json.loads((folder / "package.json").read_text())["modules"][0]["functions"]

    package = project.packages.push(src_path=str(folder))

    assert package.name == f"my-{template}"
    assert [f.name for f in package.modules[0].functions] == [f["name"] for f in declared]


@pytest.mark.parametrize("generated", ["hello-world"], indirect=True)
def test_push_check_refuses_code_that_disagrees_with_the_manifest(generated, project):
    # what the test above would catch: a declared input the method does not take
    _, folder = generated
    main_py = folder / "main.py"
    main_py.write_text(main_py.read_text().replace("def run(self, name: str,",
                                                   "def run(self, who: str,"))

    with pytest.raises(dl.exceptions.BadRequest, match="'who'"):
        project.packages.push(src_path=str(folder))


@pytest.mark.parametrize("generated", ["hello-world"], indirect=True)
def test_hello_world_runs_with_conveyor_package_test(generated, capsys):
    _, folder = generated
    capsys.readouterr()

    assert main(["package", "test", "--path", str(folder)]) == 0

    assert json.loads(capsys.readouterr().out) == "Hello, Conveyor!"
