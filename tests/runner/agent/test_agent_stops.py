"""Stopping executions: terminate requests and executionTimeout, in threads and processes."""

from __future__ import annotations

import pytest

from tests.runner.agent.conftest import wait_for

DONE = "[Done] Executing function."


def started(kit, service, execution_id: str, marker: str) -> bool:
    return marker in kit.logs(service["id"], execution_id)


def run_until_started(kit, service, function: str, seconds: float, marker: str) -> str:
    execution_id = kit.execute(service["id"], {"seconds": seconds}, function_name=function)["id"]
    wait_for(lambda: started(kit, service, execution_id, marker), 60,
             f"execution {execution_id} to start")
    return execution_id


def test_terminate_stops_a_thread_through_kill_event(kit, deploy, start_agent):
    service = deploy()
    agent = start_agent(service)
    execution_id = run_until_started(kit, service, "loop", 120, "loop started")
    kit.call("post", f"/executions/{execution_id}/terminate")
    record = kit.wait_terminal(execution_id, timeout=30)
    assert record["latestStatus"]["status"] == "terminated", agent.output()
    assert record["duration"] < 60
    assert kit.logs(service["id"], execution_id)[-1] == DONE
    after = kit.wait_terminal(kit.execute(service["id"], {"name": "x"})["id"])
    assert after["latestStatus"]["status"] == "success"


def test_a_stop_request_does_not_follow_its_thread_to_the_next_execution(kit, deploy,
                                                                          start_agent):
    # One slot, so the next execution runs on the same (reused) worker thread. The first
    # returns without calling kill_event(): the stop request it never consumed must end
    # with it, or the next one's kill_event() would raise.
    service = deploy(runtime={"concurrency": 1})
    agent = start_agent(service)
    first = run_until_started(kit, service, "sleep", 2, "sleep started")
    kit.call("post", f"/executions/{first}/terminate")
    assert kit.wait_terminal(first, timeout=30)["latestStatus"]["status"] == "terminated"
    after = kit.wait_terminal(kit.execute(service["id"], {"seconds": 0.5},
                                          function_name="loop")["id"])
    assert (after["latestStatus"]["status"], after["output"]) == ("success", "finished"), \
        agent.output()


def test_terminate_kills_the_child_process(kit, deploy, start_agent):
    service = deploy(runExecutionAsProcess=True)
    agent = start_agent(service)
    execution_id = run_until_started(kit, service, "sleep", 120, "sleep started")
    kit.call("post", f"/executions/{execution_id}/terminate")
    record = kit.wait_terminal(execution_id, timeout=30)
    assert record["latestStatus"]["status"] == "terminated", agent.output()
    assert kit.logs(service["id"], execution_id)[-1] == DONE


def test_a_process_execution_returns_output_and_logs(kit, deploy, start_agent):
    service = deploy(runExecutionAsProcess=True, initParams={"greeting": "yo"})
    agent = start_agent(service)
    execution = kit.execute(service["id"], {"name": "proc"})
    record = kit.wait_terminal(execution["id"])
    assert record["output"] == {"greeting": "yo proc"}, agent.output()
    lines = kit.logs(service["id"], execution["id"])
    assert "printed yo proc" in lines and lines[-1] == DONE
    failing = kit.wait_terminal(kit.execute(service["id"], {"text": "p"},
                                            function_name="boom")["id"])
    assert failing["latestStatus"]["message"] == "RuntimeError: boom p"
    assert "Traceback" in failing["error"]


@pytest.mark.parametrize("function", ["loop", "sleep"])
def test_execution_timeout_fails_a_thread_execution(kit, deploy, start_agent, function):
    # "loop" notices kill_event(); "sleep" ignores it and its thread is abandoned.
    service = deploy(executionTimeout=2)
    agent = start_agent(service)
    execution_id = kit.execute(service["id"], {"seconds": 120}, function_name=function)["id"]
    record = kit.wait_terminal(execution_id, timeout=60)
    assert record["latestStatus"]["status"] == "failed", agent.output()
    assert record["latestStatus"]["message"] == \
        "execution timed out after 2 s (executionTimeout)"
    assert kit.logs(service["id"], execution_id)[-1] == DONE
    after = kit.wait_terminal(kit.execute(service["id"], {"name": "next"})["id"])
    assert after["latestStatus"]["status"] == "success"


def test_functions_stuck_past_their_timeout_do_not_starve_the_replica(kit, deploy,
                                                                      start_agent):
    # A thread-mode function runs on the handler thread that took its delivery. Three
    # functions that ignore kill_event() hold three of the two handlers a replica of
    # concurrency 1 starts with: each one taken over gives its place to a new handler.
    service = deploy(executionTimeout=1, runtime={"concurrency": 1})
    agent = start_agent(service)
    stuck = [kit.execute(service["id"], {"seconds": 300}, function_name="sleep")["id"]
             for _ in range(3)]
    for execution_id in stuck:
        record = kit.wait_terminal(execution_id, timeout=90)
        assert record["latestStatus"]["message"] == \
            "execution timed out after 1 s (executionTimeout)", agent.output()
        assert kit.logs(service["id"], execution_id)[-1] == DONE
    after = kit.wait_terminal(kit.execute(service["id"], {"name": "next"})["id"], timeout=60)
    assert after["latestStatus"]["status"] == "success", agent.output()


def test_execution_timeout_kills_a_process_execution(kit, deploy, start_agent):
    service = deploy(executionTimeout=2, runExecutionAsProcess=True)
    agent = start_agent(service)
    execution_id = kit.execute(service["id"], {"seconds": 120}, function_name="sleep")["id"]
    record = kit.wait_terminal(execution_id, timeout=60)
    assert record["latestStatus"]["message"] == \
        "execution timed out after 2 s (executionTimeout)", agent.output()
    assert record["duration"] < 60
