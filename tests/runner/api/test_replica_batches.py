"""The agent's batched endpoint: ``POST /services/{id}/exchange`` (claims, log lines,
progress and results)."""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.runner.api.conftest import Api, upload
from tests.runner.api.faas import deploy, push

DONE = "[Done] Executing function."


@pytest.fixture
def package(api, project):
    return push(api, project["id"]).json()


@pytest.fixture
def service(api, package):
    return deploy(api, package)


def execute(api, service, text="x") -> str:
    return api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "echo", "input": {"text": text}})["id"]


def claim(api, service, replica, *claims, item_inputs=None) -> list[dict]:
    """``claims``: ``(executionId, claimToken)`` pairs; ``item_inputs`` goes with each."""
    extra = {} if item_inputs is None else {"itemInputs": item_inputs}
    return api.ok("post", f"/services/{service['id']}/exchange", json={
        "replicaId": replica,
        "claims": [{"executionId": i, "claimToken": t, **extra} for i, t in claims]})["claims"]


def report(api, service, replica, results=(), logs=(), progress=()) -> dict:
    """An exchange without claims; its (empty) claims answer is left out."""
    reply = api.ok("post", f"/services/{service['id']}/exchange", json={
        "replicaId": replica, "results": list(results), "logs": list(logs),
        "progress": list(progress)})
    assert reply.pop("claims") == []
    return reply


def success(execution_id, token, output="out") -> dict:
    return {"executionId": execution_id, "claimToken": token, "status": "success",
            "output": output, "duration": 0.01}


def logs(api, service, execution_id=None) -> list[str]:
    body = {"serviceId": service["id"], "direction": "asc", "size": 1000,
            "start": "2000-01-01T00:00:00.000Z"}
    if execution_id:
        body["executionId"] = [execution_id]
    return [line["message"] for line in api.ok("post", "/services/logs", json=body)["logs"]]


def record(api, execution_id) -> dict:
    return api.ok("get", f"/executions/{execution_id}")


def test_a_mixed_claim_batch_answers_every_entry_in_order(api, package, service, other_api):
    first, second = execute(api, service, "a"), execute(api, service, "b")
    sibling = deploy(api, package, name="sibling")
    elsewhere = execute(api, sibling)
    finished = execute(api, service, "c")
    api.ok("post", f"/executions/{finished}/terminate")
    unknown = "f" * 24
    answers = claim(api, service, "r1", (first, "t1"), (unknown, "t2"), (elsewhere, "t3"),
                    (second, "t4"), (finished, "t5"))
    assert [(a["executionId"], a["action"], a["reason"]) for a in answers] == [
        (first, "run", "claimed"), (unknown, "skip", "not found"),
        (elsewhere, "skip", "not found"), (second, "run", "claimed"),
        (finished, "skip", "already terminated")]
    assert answers[1]["execution"] is None and answers[2]["execution"] is None
    claimed = answers[0]["execution"]
    assert (claimed["id"], claimed["attempts"], claimed["latestStatus"]["status"]) == (
        first, 1, "in-progress")
    assert claimed["input"] == {"text": "a"}
    assert record(api, elsewhere)["latestStatus"]["status"] == "created", (
        "a claim through another service's endpoint must not touch the execution")
    # Another user's replica sees nothing of this service: every entry is "not found".
    third = execute(api, service, "d")
    other = other_api.ok("post", f"/services/{service['id']}/exchange", json={
        "replicaId": "intruder", "claims": [{"executionId": third}]})["claims"]
    assert [(a["action"], a["reason"]) for a in other] == [("skip", "not found")]
    assert record(api, third)["latestStatus"]["status"] == "created"


def test_a_retried_claim_batch_is_the_same_claim(api, service):
    first, second = execute(api, service), execute(api, service)
    claim(api, service, "r1", (first, "t1"), (second, "t2"))
    again = claim(api, service, "r1", (first, "t1"), (second, "t2"))
    assert [(a["action"], a["reason"]) for a in again] == [
        ("run", "claimed (repeated request)")] * 2
    assert [a["execution"]["attempts"] for a in again] == [1, 1]


def test_two_replicas_racing_for_the_same_executions_never_both_run_one(api, service):
    # A redelivered message (broker restart, lease expiry) can reach a second replica
    # while the first one's claim is in flight: the ledger must let exactly one run it.
    ids = [execute(api, service, str(i)) for i in range(40)]
    answers: dict[str, list[str]] = {"r1": [], "r2": []}
    start = threading.Barrier(2)

    def race(replica: str) -> None:
        start.wait()
        for execution_id in ids:
            [answer] = claim(api, service, replica, (execution_id, f"{replica}-{execution_id}"))
            answers[replica].append(answer["action"])

    threads = [threading.Thread(target=race, args=(r,)) for r in answers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    runs = [a == "run" for a in answers["r1"]], [a == "run" for a in answers["r2"]]
    assert [first + second for first, second in zip(*runs, strict=True)] == [1] * len(ids)
    assert all(record(api, i)["attempts"] == 1 for i in ids)


def test_an_execution_named_twice_in_one_batch_is_claimed_once(api, service):
    execution = execute(api, service)
    answers = claim(api, service, "r1", (execution, "t1"), (execution, "t2"))
    assert [a["action"] for a in answers] == ["run", "skip"]
    assert answers[1]["reason"] == "duplicate delivery in one batch"
    assert record(api, execution)["attempts"] == 1
    assert record(api, execution)["latestStatus"]["status"] == "in-progress"


def test_results_are_stored_with_their_logs_first(api, service):
    ok, bad = execute(api, service, "ok"), execute(api, service, "bad")
    claim(api, service, "r1", (ok, "t-ok"), (bad, "t-bad"))
    failed = {"executionId": bad, "claimToken": "t-bad", "status": "failed",
              "message": "RuntimeError: no", "error": "Traceback ...", "duration": 0.5}
    lines = [{"executionId": ok, "level": "INFO", "message": "working"},
             {"executionId": None, "level": "WARNING", "message": "replica line"},
             {"executionId": ok, "level": "INFO", "message": DONE},
             {"executionId": bad, "level": "INFO", "message": DONE},
             {"executionId": "f" * 24, "level": "INFO", "message": "lost"}]
    reply = report(api, service, "r1", [success(ok, "t-ok", {"n": 1}), failed], lines)
    assert reply["results"] == [
        {"executionId": ok, "stored": True, "reason": "stored"},
        {"executionId": bad, "stored": True, "reason": "stored"}]
    assert reply["logs"] == {"received": 4, "dropped": 1}
    done = record(api, ok)
    assert (done["latestStatus"]["status"], done["output"]) == ("success", {"n": 1})
    assert done["latestStatus"]["replicaId"] == "r1"
    assert logs(api, service, ok) == ["working", DONE]
    assert "replica line" in logs(api, service)
    broken = record(api, bad)
    assert (broken["latestStatus"]["status"], broken["error"]) == ("failed", "Traceback ...")
    assert broken["latestStatus"]["message"] == "RuntimeError: no"


def test_a_retried_result_batch_is_acknowledged_not_refused(api, service):
    # The first request was stored but its reply lost: the retry must not fail anything,
    # and must say "stored" so the agent acks its delivery.
    first, second = execute(api, service), execute(api, service)
    claim(api, service, "r1", (first, "t1"), (second, "t2"))
    batch = [success(first, "t1"), success(second, "t2")]
    report(api, service, "r1", batch)
    history = record(api, first)["statusLog"]
    retry = report(api, service, "r1", batch)
    assert [(r["stored"], r["reason"]) for r in retry["results"]] == [
        (True, "already stored")] * 2
    assert record(api, first)["statusLog"] == history, "a retry must not write twice"


def test_a_retry_without_claim_tokens_is_recognised_by_replica_and_status(api, service):
    execution = execute(api, service)
    claim(api, service, "r1", (execution, "t1"))
    entry = {"executionId": execution, "status": "success", "output": 1}
    assert report(api, service, "r1", [entry])["results"][0]["reason"] == "stored"
    again = report(api, service, "r1", [entry])["results"][0]
    assert (again["stored"], again["reason"]) == (True, "already stored")
    other = report(api, service, "r2", [entry])["results"][0]
    assert (other["stored"], other["reason"]) == (False, "already success")


def test_a_stale_replica_cannot_record_a_result(api, service):
    execution = execute(api, service)
    claim(api, service, "r1", (execution, "t1"))
    fresh = execute(api, service)
    claim(api, service, "r2", (fresh, "t9"))
    reply = report(api, service, "r2", [success(execution, "t1"), success(fresh, "t9")])
    assert [(r["stored"], r["reason"]) for r in reply["results"]] == [
        (False, "conflict"), (True, "stored")], "one refusal must not fail the batch"
    assert record(api, execution)["latestStatus"]["status"] == "in-progress"
    # The same replica, but a result of another attempt (another claim token): refused too.
    stale = report(api, service, "r1", [success(execution, "an-older-claim")])
    assert stale["results"][0] == {"executionId": execution, "stored": False,
                                   "reason": "conflict"}
    assert record(api, execution)["latestStatus"]["status"] == "in-progress"


def test_a_result_for_a_finished_execution_changes_nothing(api, service):
    execution = execute(api, service)
    claim(api, service, "r1", (execution, "t1"))
    api.ok("post", f"/executions/{execution}/progress", json={
        "status": "failed", "message": "ended elsewhere", "replicaId": "r1"})
    reply = report(api, service, "r1", [success(execution, "t1")],
                   logs=[{"executionId": execution, "message": DONE}])
    assert reply["results"][0] == {"executionId": execution, "stored": False,
                                   "reason": "already failed"}
    final = record(api, execution)
    assert (final["latestStatus"]["status"], final["output"]) == ("failed", None)


def test_progress_in_a_batch_precedes_the_result(api, service):
    execution = execute(api, service)
    claim(api, service, "r1", (execution, "t1"))
    steps = [{"executionId": execution, "status": "in-progress", "percentComplete": p,
              "message": f"step {p}"} for p in (50, 90)]
    reply = report(api, service, "r1", [success(execution, "t1")], progress=steps)
    assert [p["applied"] for p in reply["progress"]] == [True, True]
    entries = [(e["status"], e.get("percentComplete")) for e in record(
        api, execution)["statusLog"]]
    assert entries[-3:] == [("in-progress", 50), ("in-progress", 90), ("success", 100)]
    late = report(api, service, "r1", progress=steps[:1])["progress"][0]
    assert (late["applied"], late["reason"]) == (False, "already success")
    running = execute(api, service)
    claim(api, service, "r1", (running, "t2"))
    foreign = report(api, service, "r2", progress=[{**steps[0], "executionId": running}])
    assert foreign["progress"][0] == {"executionId": running, "applied": False,
                                      "reason": "conflict"}


def test_a_logs_only_batch_stores_lines(api, service):
    execution = execute(api, service)
    claim(api, service, "r1", (execution, "t1"))
    reply = report(api, service, "r1", logs=[
        {"executionId": execution, "message": f"line {n}"} for n in range(3)])
    assert reply == {"results": [], "progress": [], "logs": {"received": 3, "dropped": 0}}
    assert logs(api, service, execution) == ["line 0", "line 1", "line 2"]
    assert record(api, execution)["latestStatus"]["status"] == "in-progress"


@pytest.mark.parametrize("body, field", [
    ({"claims": []}, "replicaId"),
    ({"replicaId": "r", "claims": {"executionId": "e"}}, "claims"),
    ({"replicaId": "r", "claims": [{"executionId": 5}]}, "claims[0].executionId"),
    ({"replicaId": "r", "claims": ["x"]}, "claims[0]"),
    ({"replicaId": "r", "results": [{"executionId": "e", "status": "in-progress"}]},
     "results[0].status"),
    ({"replicaId": "r", "results": [{"executionId": "e"}]}, "results[0].status"),
    ({"replicaId": "r", "logs": "nope"}, "logs"),
    ({"replicaId": "r", "progress": [{"status": "x"}]}, "progress[0].executionId"),
])
def test_malformed_exchanges_are_400_naming_the_field_and_change_nothing(api, service, body,
                                                                         field):
    execution = execute(api, service)
    claim_of_it = {"executionId": execution, "claimToken": "t1"}
    reply = api.call("post", f"/services/{service['id']}/exchange",
                     json={**body, "claims": [*body.get("claims", []), claim_of_it]}
                     if isinstance(body.get("claims", []), list) else body)
    assert reply.status_code == 400, reply.text
    assert reply.json()["field"] == field
    assert record(api, execution)["latestStatus"]["status"] == "created"


def test_a_claim_to_run_answers_with_the_items_its_function_takes(api, service, dataset):
    cat = upload(api, dataset["id"], "/a/cat.txt").json()
    dog = upload(api, dataset["id"], "/a/dog.txt").json()
    on_cat = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "run", "input": {"item": cat["id"]}})["id"]
    on_dog = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "run", "input": {"item": {"item_id": dog["id"]}}})["id"]
    plain = execute(api, service, "no items")
    api.ok("delete", f"/items/{dog['id']}")  # gone since its execution was created
    answers = claim(api, service, "r1", (on_cat, "t1"), (on_dog, "t2"), (plain, "t3"),
                    (on_cat, "t4"), item_inputs=["item"])
    assert [a["action"] for a in answers] == ["run", "run", "run", "skip"]
    # Exactly what GET /items/{id} answers the same principal at the same moment.
    assert answers[0]["entities"] == {cat["id"]: api.ok("get", f"/items/{cat['id']}")}
    assert "entities" not in answers[1], "a deleted item is left for the replica to report"
    assert "entities" not in answers[2] and "entities" not in answers[3]


def test_a_claim_answers_only_with_items_its_caller_may_see(api, conveyor_server, project,
                                                            service):
    # The administrator runs a function of project A on an item of project B; the replica
    # claiming it belongs to a member of A only, so the item stays out of the answer.
    elsewhere = api.ok("post", "/projects", data={"name": f"b-{secrets.token_hex(3)}"})
    other = api.ok("post", "/datasets", json={"name": "d", "projects": [elsewhere["id"]]})
    item = upload(api, other["id"], "/theirs.txt").json()
    execution = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "run", "input": {"item": item["id"]}})["id"]
    email, token = conveyor_server.create_user()
    api.ok("post", f"/projects/{project['id']}/members/{email}", json={"role": "engineer"})
    answer = claim(Api(conveyor_server.api_url, token), service, "r1", (execution, "t1"),
                   item_inputs=["item"])[0]
    assert answer["action"] == "run" and "entities" not in answer


def test_a_claim_naming_no_item_inputs_gets_no_items(api, service, dataset):
    item = upload(api, dataset["id"], "/plain.txt").json()
    execution = api.ok("post", f"/executions/{service['id']}", json={
        "functionName": "run", "input": {"item": item["id"]}})["id"]
    assert "entities" not in claim(api, service, "r1", (execution, "t1"))[0]


@pytest.mark.parametrize("bad", ["item", [1], {"item": True}])
def test_item_inputs_must_be_a_list_of_names(api, service, bad):
    execution = execute(api, service)
    reply = api.call("post", f"/services/{service['id']}/exchange", json={
        "replicaId": "r1", "claims": [{"executionId": execution, "itemInputs": bad}]})
    assert reply.status_code == 400 and "claims[0].itemInputs" in reply.text
    assert record(api, execution)["latestStatus"]["status"] == "created"


def test_a_redelivery_of_an_execution_its_live_replica_runs_is_a_duplicate(api, service):
    execution, live = execute(api, service), f"r-{secrets.token_hex(4)}"
    claim(api, service, live, (execution, "t1"))
    api.ok("post", f"/services/{service['id']}/replicas/{live}/heartbeat",
           json={"state": "ready", "busy": 1, "running": [execution]})
    (answer,) = claim(api, service, "r2", (execution, "t2"))
    assert (answer["action"], answer["reason"]) == (
        "skip", f"running on live replica {live} (duplicate delivery)")
    assert record(api, execution)["attempts"] == 1


def test_replica_lines_are_kept_only_for_a_caller_who_sees_the_service(api, service,
                                                                       other_api):
    reply = report(api, service, "r1", logs=[{"message": "replica started"}])
    assert reply["logs"] == {"received": 1, "dropped": 0}
    assert "replica started" in logs(api, service)
    other = other_api.ok("post", f"/services/{service['id']}/exchange", json={
        "replicaId": "intruder", "logs": [{"message": "sneaky"}]})
    assert other["logs"] == {"received": 0, "dropped": 1}
    assert "sneaky" not in logs(api, service)


def test_a_live_replica_of_another_service_does_not_own_an_execution(api, package, service):
    """Replica ids name no service: a heartbeat of another service's replica with the same
    id must not make a dead claim look alive."""
    execution, shared = execute(api, service), f"r-{secrets.token_hex(4)}"
    claim(api, service, shared, (execution, "t1"))
    sibling = deploy(api, package, name=f"sibling-{secrets.token_hex(3)}")
    api.ok("post", f"/services/{sibling['id']}/replicas/{shared}/heartbeat",
           json={"state": "ready", "busy": 1, "running": [execution]})
    (answer,) = claim(api, service, "r2", (execution, "t2"))
    assert answer["action"] == "skip" and "onReset" in answer["reason"]
    assert record(api, execution)["latestStatus"]["status"] == "failed"


def test_one_exchange_stores_a_result_then_claims_in_one_transaction(api, service):
    finished, fresh = execute(api, service, "a"), execute(api, service, "b")
    claim(api, service, "r1", (finished, "t1"))
    reply = api.ok("post", f"/services/{service['id']}/exchange", json={
        "replicaId": "r1", "logs": [{"executionId": finished, "message": DONE}],
        "results": [success(finished, "t1")],
        # the finished execution claimed again (a stale copy) after its result: skipped
        "claims": [{"executionId": fresh, "claimToken": "t2"},
                   {"executionId": finished, "claimToken": "t3"}]})
    assert reply["results"] == [{"executionId": finished, "stored": True, "reason": "stored"}]
    assert reply["logs"] == {"received": 1, "dropped": 0}
    run, stale = reply["claims"]
    assert (run["action"], run["execution"]["id"]) == ("run", fresh)
    assert (stale["action"], stale["execution"]["latestStatus"]["status"]) == ("skip", "success")
    assert record(api, finished)["attempts"] == 1
    assert record(api, fresh)["latestStatus"]["status"] == "in-progress"


def test_a_small_exchange_waiting_for_the_ledger_leaves_the_server_answering(sqlite_server):
    """A small exchange is stored on the event loop only when no other writer holds the
    ledger: one that finds it held by another process waits on a worker thread, while the
    server goes on answering, and is stored once the lock is released."""
    api = Api(sqlite_server.api_url, sqlite_server.token)
    project = api.ok("post", "/projects", data={"name": f"p-{secrets.token_hex(4)}"})
    service = deploy(api, push(api, project["id"]).json())
    execution = execute(api, service)
    # A replica id of its own: one that reported long ago (other tests') would have the
    # janitor reset the claimed execution as its replica's.
    replica = f"r-{secrets.token_hex(4)}"
    other = sqlite3.connect(Path(sqlite_server.data_dir) / "conveyor.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's write lock: outside the server's gate
    try:
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(claim, api, service, replica, (execution, "t1"))
            time.sleep(0.5)
            begun = time.monotonic()
            assert api.ok("get", "/users/me")["id"]
            assert time.monotonic() - begun < 2.0
            assert not pending.done()
            other.execute("COMMIT")
            (answer,) = pending.result(timeout=30)
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    assert (answer["action"], answer["reason"]) == ("run", "claimed")
    assert record(api, execution)["latestStatus"]["status"] == "in-progress"
