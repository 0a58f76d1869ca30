"""The agent's outbox against a live control plane's ``POST /services/{id}/exchange``:
claims travel with results, a refused exchange is split so each part gets its answer, and
claims alone give up after bounded tries when the control plane is unreachable.

(Here rather than under ``tests/runner/agent``: it drives the outbox directly, with the
REST fixtures of this folder, not a whole agent.)
"""

from __future__ import annotations

import secrets

import pytest

from conveyor_runner.agent.errors import ControlPlaneUnreachable, ReportRejected
from conveyor_runner.agent.outbox import CLAIM_ATTEMPTS, Outbox
from conveyor_runner.agent.reporter import Reporter
from conveyor_runner.testing.services import free_port
from tests.runner.api.faas import deploy, push
from tests.runner.api.test_replica_batches import execute, logs, record


@pytest.fixture
def service(api, project):
    return deploy(api, push(api, project["id"]).json())


def outbox_of(conveyor_server, service) -> tuple[Outbox, Reporter]:
    reporter = Reporter(conveyor_server.api_url, conveyor_server.token, service["id"],
                        f"r-{secrets.token_hex(4)}")
    return Outbox(reporter), reporter


def test_claims_and_results_leave_together_and_are_answered(api, conveyor_server, service):
    first, second = execute(api, service, "a"), execute(api, service, "b")
    outbox, reporter = outbox_of(conveyor_server, service)
    outbox.start()
    try:
        claim = outbox.claim(first, None)
        outbox.submit(claim)
        assert claim.wait()["action"] == "run"
        # Queued before the sender runs again, so they share one request: the result of the
        # first execution (with its last line), and the claim of the second.
        outbox.add(first, "INFO", "[Done] Executing function.")
        result = outbox.submit_result(first, {"status": "success", "output": "aa"},
                                      outbox.claim_token(claim))
        next_claim = outbox.claim(second, None)
        outbox.submit(next_claim)
        assert result.wait() == {"executionId": first, "stored": True, "reason": "stored"}
        answer = next_claim.wait()
        assert (answer["action"], answer["execution"]["id"]) == ("run", second)
    finally:
        outbox.stop()
        reporter.close()
    assert record(api, first)["latestStatus"]["status"] == "success"
    assert record(api, first)["output"] == "aa"
    assert logs(api, service, first) == ["[Done] Executing function."]
    assert record(api, second)["latestStatus"]["status"] == "in-progress"


def test_a_refused_exchange_is_split_so_its_claims_are_still_answered(api, conveyor_server,
                                                                      service):
    running, waiting = execute(api, service, "a"), execute(api, service, "b")
    outbox, reporter = outbox_of(conveyor_server, service)
    # Submitted before the sending thread starts: one request carries both, and the
    # control plane refuses it as a whole for the result's status.
    bad_result = outbox.submit_result(running, {"status": "in-progress"})
    claim = outbox.claim(waiting, None)
    outbox.submit(claim)
    outbox.start()
    try:
        assert claim.wait()["action"] == "run"
        with pytest.raises(ReportRejected, match=r"results\[0\]\.status"):
            bad_result.wait()
    finally:
        outbox.stop()
        reporter.close()
    assert record(api, waiting)["latestStatus"]["status"] == "in-progress"
    assert record(api, running)["latestStatus"]["status"] == "created"


def test_claims_alone_give_up_after_the_bounded_tries_so_their_deliveries_return():
    """With the control plane unreachable, an exchange of claims only is tried as often as
    any bounded agent call (about 15 s of backoff), then its claims fail: the consumer
    nacks their deliveries, which return to the queue for a replica that can claim them."""
    reporter = Reporter(f"http://127.0.0.1:{free_port()}/api/v1", "token", "service",
                        "replica")  # a port nothing listens on
    outbox = Outbox(reporter)
    outbox.start()
    try:
        claim = outbox.claim("execution", None)
        outbox.submit(claim)
        with pytest.raises(ControlPlaneUnreachable, match=rf"after {CLAIM_ATTEMPTS} attempts"):
            claim.wait()
    finally:
        outbox.stop()
        reporter.close()
