"""The agent runs executions end to end: results, failures, progress, logs, inputs."""

from __future__ import annotations

import pytest

from conveyor_runner.testing.faas import module

DONE = "[Done] Executing function."


def statuses(record: dict) -> list[str]:
    return [entry["status"] for entry in record["statusLog"]]


@pytest.fixture
def service(deploy):
    return deploy(initParams={"greeting": "hi"}, runtime={"concurrency": 4})


@pytest.fixture
def agent(service, start_agent):
    return start_agent(service)


def test_a_function_runs_and_its_output_is_stored(kit, service, agent):
    execution = kit.execute(service["id"], {"name": "ada"})
    record = kit.wait_terminal(execution["id"])
    assert record["latestStatus"]["status"] == "success", agent.output()
    assert record["output"] == {"greeting": "hi ada"}
    assert statuses(record) == ["created", "in-progress", "success"]
    assert record["attempts"] == 1 and record["duration"] >= 0
    assert record["latestStatus"]["replicaId"] == agent.log_path.stem


def test_a_raising_function_fails_and_the_replica_carries_on(kit, service, agent):
    failing = kit.execute(service["id"], {"text": "bang"}, function_name="boom")
    record = kit.wait_terminal(failing["id"])
    assert record["latestStatus"]["status"] == "failed", agent.output()
    assert record["latestStatus"]["message"] == "RuntimeError: boom bang"
    assert "Traceback (most recent call last)" in record["error"]
    assert 'raise RuntimeError(f"boom {text}")' in record["error"]
    following = kit.wait_terminal(kit.execute(service["id"], {"name": "bo"})["id"])
    assert following["latestStatus"]["status"] == "success"
    assert agent.process.poll() is None, "a user exception stopped the replica"


def test_progress_reports_reach_the_status_log(kit, service, agent):
    record = kit.wait_terminal(kit.execute(service["id"], function_name="steps")["id"])
    assert record["output"] == "stepped", agent.output()
    progress = [(e["percentComplete"], e.get("message")) for e in record["statusLog"]
                if e["status"] == "in-progress" and e.get("message", "").startswith("step")]
    assert progress == [(25, "step 1"), (50, "step 2"), (75, "step 3"), (100, "step 4")]
    assert record["latestStatus"]["status"] == "success"


def test_prints_and_log_records_are_the_execution_logs(kit, service, agent):
    execution = kit.execute(service["id"], {"name": "lines"})
    kit.wait_terminal(execution["id"])
    lines = kit.logs(service["id"], execution["id"])
    assert "printed hi lines" in lines, lines
    assert "user.code: logged lines" in lines
    assert lines[-1] == DONE
    other = kit.wait_terminal(kit.execute(service["id"], {"name": "other"})["id"])
    other_lines = kit.logs(service["id"], other["id"])
    assert "printed hi lines" not in other_lines and other_lines[-1] == DONE


def test_a_failed_execution_logs_its_traceback_and_ends_with_done(kit, service, agent):
    execution = kit.execute(service["id"], {"text": "logged"}, function_name="boom")
    kit.wait_terminal(execution["id"])
    lines = kit.logs(service["id"], execution["id"])
    assert any("RuntimeError: boom logged" in line for line in lines), lines
    assert lines[-1] == DONE


def test_an_item_input_arrives_as_an_item_and_user_code_is_the_bot(kit, project, service,
                                                                  agent):
    dataset = kit.call("post", "/datasets", json={"name": "agent-inputs",
                                                  "projects": [project["id"]]})
    item = kit.upload(dataset["id"], "/cat.txt", b"meow")
    record = kit.wait_terminal(kit.execute(service["id"], {"item": item["id"]},
                                           function_name="describe")["id"])
    assert record["latestStatus"]["status"] == "success", record["latestStatus"]
    assert record["output"] == {"id": item["id"], "name": "cat.txt", "type": "Item",
                                "me": service["botUserName"]}


def test_executions_run_concurrently_up_to_concurrency(kit, service, agent):
    ids = [kit.execute(service["id"], {"seconds": 1.5}, function_name="sleep")["id"]
           for _ in range(4)]
    records = [kit.wait_terminal(i) for i in ids]
    assert all(r["output"] == "slept 1.5" for r in records)
    starts = sorted(r["statusLog"][1]["timestamp"] for r in records)
    ends = sorted(r["latestStatus"]["timestamp"] for r in records)
    assert starts[-1] < ends[0], "with concurrency 4, all four should overlap"


def test_a_burst_loses_nothing_while_claims_and_results_are_batched(kit, service, agent):
    # More executions than slots: they are claimed and reported several per request.
    ids = [kit.execute(service["id"], {"name": f"n{index}"})["id"] for index in range(24)]
    records = [kit.wait_terminal(execution_id) for execution_id in ids]
    assert [r["output"] for r in records] == [{"greeting": f"hi n{i}"} for i in range(24)], (
        agent.output())
    assert all(statuses(r) == ["created", "in-progress", "success"] for r in records)
    assert all(r["attempts"] == 1 for r in records)
    for index in (0, 11, 23):
        lines = kit.logs(service["id"], ids[index])
        assert f"printed hi n{index}" in lines and lines[-1] == DONE, lines


def test_progress_of_a_process_execution_precedes_its_result(kit, deploy, start_agent):
    service = deploy(runExecutionAsProcess=True)
    agent = start_agent(service)
    record = kit.wait_terminal(kit.execute(service["id"], function_name="steps")["id"])
    assert record["output"] == "stepped", agent.output()
    progress = [e["percentComplete"] for e in record["statusLog"]
                if e["status"] == "in-progress" and e.get("message", "").startswith("step")]
    assert progress == [25, 50, 75, 100]
    assert statuses(record)[-1] == "success"


SPAN_SOURCE = '''
import time

import conveyor as dl


class ServiceRunner(dl.BaseServiceRunner):
    def span(self, seconds=0.2):
        started = time.time()
        time.sleep(seconds)
        return [started, time.time()]
'''


def test_no_more_functions_run_at_once_than_concurrency(kit, deploy, start_agent):
    # A slot frees when its function returns, so the next execution starts while the
    # previous result is being stored -- but never two functions beyond the slots.
    service = deploy(files={"main.py": SPAN_SOURCE},
                     modules=[module([{"name": "span", "input": [
                         {"name": "seconds", "type": "Float"}]}])],
                     runtime={"concurrency": 2})
    agent = start_agent(service)
    ids = [kit.execute(service["id"], {"seconds": 0.2}, function_name="span")["id"]
           for _ in range(8)]
    records = [kit.wait_terminal(execution_id) for execution_id in ids]
    assert all(r["latestStatus"]["status"] == "success" for r in records), agent.output()
    spans = [tuple(r["output"]) for r in records]
    overlaps = [sum(1 for start, end in spans if start <= moment < end)
                for moment, _ in spans]
    assert max(overlaps) == 2, spans
