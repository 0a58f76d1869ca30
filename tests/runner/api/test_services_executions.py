"""Services and the execution ledger through the REST API (no replicas running)."""

from __future__ import annotations

import pytest

from tests.runner.api.conftest import upload
from tests.runner.api.faas import deploy, push


@pytest.fixture
def service(api, project):
    package = push(api, project["id"]).json()
    return deploy(api, package)


def _count(api, service):
    return api.ok("post", "/query/faas", json={
        "resource": "executions", "filter": {"$and": [{"serviceId": service["id"]}]},
        "pageSize": 0})["totalItemsCount"]


def test_deploy_defaults_and_bot(api, service):
    assert service["runtime"]["concurrency"] == 10 and service["runtime"]["backend"] == "local"
    assert (service["maxAttempts"], service["onReset"], service["executionTimeout"]) == (
        3, "failed", 3600)
    assert service["botUserName"].startswith("bot.")
    assert service["packageRevision"] == "1.0.0" and service["moduleName"] == "default_module"


def test_unknown_backend_lists_installed_ones(api, project):
    package = push(api, project["id"]).json()
    reply = api.call("post", "/services", json={
        "name": "x", "packageId": package["id"], "runtime": {"backend": "mars"}})
    assert reply.status_code == 400 and reply.json()["field"] == "runtime.backend"
    assert "local" in reply.json()["message"]


def test_bad_settings_are_named(api, project):
    package = push(api, project["id"]).json()
    for body, field in [({"onReset": "explode"}, "onReset"),
                        ({"runtime": {"concurrency": 0}}, "runtime.concurrency"),
                        ({"maxAttempts": "3"}, "maxAttempts"),
                        ({"moduleName": "nope"}, "moduleName"),
                        ({"packageRevision": "9.9.9"}, "packageRevision")]:
        reply = api.call("post", "/services", json={"name": "s", "packageId": package["id"],
                                                    **body})
        assert reply.status_code in (400, 404) and reply.json()["field"] == field, body


def test_execution_is_recorded_created_and_queued(api, service, dataset):
    item = upload(api, dataset["id"], "/a.txt").json()
    execution = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "run", "input": {"item": {"item_id": item["id"], "dataset_id": None}}})
    assert execution["latestStatus"]["status"] == "created"
    assert execution["statusLog"][0]["status"] == "created"
    status = api.ok("get", f"/services/{service['id']}/status")
    assert status["queued"] == 1


@pytest.mark.parametrize("body, field", [
    ({"functionName": "nope", "input": {}}, "functionName"),
    ({"functionName": "echo", "input": {}}, "input.text"),
    ({"functionName": "echo", "input": {"text": 5}}, "input.text"),
    ({"functionName": "echo", "input": {"text": "a", "count": "2"}}, "input.count"),
    ({"functionName": "run", "input": {"item": "ffffffffffffffffffffffff"}}, "input.item"),
    ({"functionName": "run", "input": {"item": 7}}, "input.item"),
])
def test_bad_execution_input_is_400_and_writes_nothing(api, service, body, field):
    before = _count(api, service)
    reply = api.call("post", f"/executions/{service['id']}", json=body)
    assert reply.status_code == 400, reply.text
    assert reply.json()["field"] == field
    assert _count(api, service) == before


def test_terminating_a_queued_execution_ends_it(api, service):
    execution = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "echo", "input": {"text": "x"}})
    done = api.ok("post", f"/executions/{execution['id']}/terminate")
    assert done["latestStatus"]["status"] == "terminated"
    rerun = api.ok("post", f"/executions/{execution['id']}/rerun")
    assert rerun["latestStatus"]["status"] == "created" and rerun["attempts"] == 0


def test_progress_normalises_dtlpy_spellings(api, service):
    execution = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "echo", "input": {"text": "x"}})
    path = f"/executions/{execution['id']}/progress"
    assert api.ok("post", path, json={"status": "inProgress", "percentComplete": 40})[
        "latestStatus"] == api.ok("get", f"/executions/{execution['id']}")["latestStatus"]
    finished = api.ok("post", path, json={"status": "completed", "output": {"ok": 1}})
    assert finished["latestStatus"]["status"] == "success" and finished["output"] == {"ok": 1}
    late = api.ok("post", path, json={"status": "failed", "error": "late"})
    assert late["latestStatus"]["status"] == "success"


def test_wait_long_poll_returns_on_finish(api, service):
    import threading
    import time

    execution = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "echo", "input": {"text": "x"}})
    timer = threading.Timer(0.5, lambda: api.ok(
        "post", f"/executions/{execution['id']}/progress", json={"status": "success"}))
    timer.start()
    started = time.monotonic()
    waited = api.ok("get", f"/executions/{execution['id']}?wait=20")
    assert waited["latestStatus"]["status"] == "success"
    assert time.monotonic() - started < 15
    timer.join()


def test_pause_resume_and_query(api, service):
    api.ok("post", f"/services/{service['id']}/stop")
    assert api.ok("get", f"/services/{service['id']}")["active"] is False
    assert api.ok("get", f"/services/{service['id']}/status")["status"] == "paused"
    api.ok("post", f"/services/{service['id']}/resume")
    found = api.ok("post", "/query/faas", json={
        "resource": "services", "filter": {"$and": [{"name": service["name"]}]}})
    assert [s["id"] for s in found["items"]] == [service["id"]]


def test_update_rolls_revision_only_for_code_or_settings(api, service):
    same = api.ok("patch", f"/services/{service['id']}", json={
        **service, "runtime": {**service["runtime"], "numReplicas": 0}})
    assert same["version"] == service["version"]
    rolled = api.ok("patch", f"/services/{service['id']}", json={
        **service, "initParams": {"greeting": "hi"}})
    assert int(rolled["version"]) == int(service["version"]) + 1


def test_deleting_a_service_cancels_its_queue(api, service):
    execution = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "echo", "input": {"text": "x"}})
    api.ok("delete", f"/services/{service['id']}")
    assert api.ok("get", f"/executions/{execution['id']}")["latestStatus"]["status"] == "canceled"
    assert api.call("get", f"/services/{service['id']}").status_code == 404


def test_dead_letters_are_listed_and_redriven(api, service, conveyor_server):
    from conveyor_plugins.embedded.transport import EmbeddedTransport
    from conveyor_runner.queue.messages import queue_name

    # A poison message, as a broken publisher would leave it, set aside by a consumer.
    queue = EmbeddedTransport("embedded://" + str(conveyor_server.data_dir / "queue.db"))
    try:
        queue.publish(queue_name(service["id"]), b"not json", message_id="poison")
        consumer = queue.consume(queue_name(service["id"]), prefetch=1)
        delivery = consumer.receive(5)
        assert delivery.message_id == "poison"
        delivery.dead_letter("undecodable: not an execution message")
        consumer.close()
    finally:
        queue.close()
    letters = api.ok("get", f"/services/{service['id']}/dead-letters")
    assert [(d["messageId"], d["reason"]) for d in letters] == [
        ("poison", "undecodable: not an execution message")]
    assert api.ok("post", f"/services/{service['id']}/dead-letters/redrive", json={})[
        "redriven"] == 1
    assert api.ok("get", f"/services/{service['id']}/dead-letters") == []


def test_rerun_batch_requeues_finished_executions(api, service):
    import time

    finished = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "echo", "input": {"text": "a"}})
    api.ok("post", f"/executions/{finished['id']}/terminate")
    queued = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "echo", "input": {"text": "b"}})
    command = api.ok("post", "/executions/rerun", json={
        "query": {"$and": [{"serviceId": service["id"]}]}})
    deadline = time.monotonic() + 20
    while command["status"] != "success" and time.monotonic() < deadline:
        time.sleep(0.1)
        command = api.ok("get", f"/commands/{command['id']}")
    assert command["spec"]["rerunCount"] == 1
    assert api.ok("get", f"/executions/{finished['id']}")["latestStatus"]["status"] == "created"
    assert len(api.ok("get", f"/executions/{queued['id']}")["statusLog"]) == 1


def test_progress_without_status_only_moves_progress(api, service):
    execution = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "echo", "input": {"text": "x"}})
    moved = api.ok("post", f"/executions/{execution['id']}/progress",
                   json={"percentComplete": 100})
    assert moved["latestStatus"]["status"] == "in-progress"
    assert moved["latestStatus"]["percentComplete"] == 100


def test_a_repeated_claim_is_the_same_claim(api, service):
    execution = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "echo", "input": {"text": "x"}})
    path = f"/executions/{execution['id']}/claim"
    first = api.ok("post", path, json={"replicaId": "r1", "claimToken": "t1"})
    again = api.ok("post", path, json={"replicaId": "r1", "claimToken": "t1"})
    assert (first["action"], again["action"]) == ("run", "run")
    assert again["execution"]["attempts"] == 1
    # A different claim of an in-progress execution means its replica died: onReset failed.
    other = api.ok("post", path, json={"replicaId": "r2", "claimToken": "t2"})
    assert other["action"] == "skip"
    final = api.ok("get", f"/executions/{execution['id']}")
    assert final["latestStatus"]["status"] == "failed"
    assert "onReset: failed" in final["latestStatus"]["message"]


def test_redelivery_of_an_execution_running_on_a_live_replica_is_a_duplicate(api, service):
    execution = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "echo", "input": {"text": "x"}})
    path = f"/executions/{execution['id']}/claim"
    assert api.ok("post", path, json={"replicaId": "r1", "claimToken": "t1"})["action"] == "run"
    api.ok("post", f"/services/{service['id']}/replicas/r1/heartbeat",
           json={"state": "ready", "busy": 1, "running": [execution["id"]]})
    again = api.ok("post", path, json={"replicaId": "r2", "claimToken": "t2"})
    assert again["action"] == "skip" and "live replica r1" in again["reason"]
    current = api.ok("get", f"/executions/{execution['id']}")
    assert current["latestStatus"]["status"] == "in-progress" and current["attempts"] == 1


def test_a_wait_that_runs_out_answers_the_unfinished_execution(api, service):
    execution = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "echo", "input": {"text": "x"}})
    waited = api.ok("get", f"/executions/{execution['id']}?wait=0.2")
    assert waited["id"] == execution["id"]
    assert waited["latestStatus"]["status"] == "created"


def test_a_bad_wait_is_refused_naming_it(api, service):
    execution = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "echo", "input": {"text": "x"}})
    reply = api.call("get", f"/executions/{execution['id']}?wait=soon")
    assert reply.status_code == 400 and "wait" in reply.text


def test_a_create_may_wait_for_the_end_and_answers_the_execution_either_way(api, service):
    created = api.ok("post", f"/executions/{service['id']}?wait=0.2", json={
        "functionName": "echo", "input": {"text": "x"}})
    assert created["latestStatus"]["status"] == "created"  # no replica runs it: waited out
    assert api.ok("get", f"/executions/{created['id']}")["id"] == created["id"]


def test_a_create_with_a_bad_wait_is_refused_and_creates_nothing(api, service):
    def count() -> int:
        return api.ok("post", "/query/faas", json={
            "resource": "executions", "filter": {"serviceId": service["id"]},
            "pageSize": 0})["totalItemsCount"]

    before = count()
    reply = api.call("post", f"/executions/{service['id']}?wait=soon", json={
        "functionName": "echo", "input": {"text": "x"}})
    assert reply.status_code == 400 and "wait" in reply.text
    assert count() == before


def test_a_wait_on_an_unknown_execution_is_404_at_once(api):
    reply = api.call("get", f"/executions/{'f' * 24}?wait=30")
    assert reply.status_code == 404 and reply.elapsed.total_seconds() < 10
