"""A replica's life: load failures, draining on SIGTERM, and recovery after kill -9."""

from __future__ import annotations

import pytest

from conveyor_plugins.embedded.transport import EmbeddedTransport
from conveyor_runner.queue.messages import queue_name
from tests.runner.agent.conftest import SOURCE, wait_for

BROKEN = SOURCE + "\nimport a_module_that_does_not_exist\n"
FAILING_INIT = SOURCE.replace('self.greeting = greeting',
                              'raise ValueError(f"bad greeting {greeting}")')


def started(kit, service, execution_id: str) -> bool:
    return "sleep started" in kit.logs(service["id"], execution_id)


def sleep(kit, service, seconds: float) -> str:
    execution_id = kit.execute(service["id"], {"seconds": seconds}, function_name="sleep")["id"]
    wait_for(lambda: started(kit, service, execution_id), 60, "the execution to start")
    return execution_id


def test_an_import_error_exits_with_code_3_and_consumes_nothing(kit, deploy, start_agent):
    service = deploy(files={"main.py": BROKEN})
    queued = kit.execute(service["id"], {"name": "never"})
    agent = start_agent(service)
    assert agent.wait() == 3, agent.output()
    assert "ModuleNotFoundError: No module named 'a_module_that_does_not_exist'" in \
        agent.output()
    replica_lines = kit.logs(service["id"])
    assert any("a_module_that_does_not_exist" in line for line in replica_lines), replica_lines
    assert kit.execution(queued["id"])["latestStatus"]["status"] == "created"


def test_an_init_error_exits_with_code_3(kit, deploy, start_agent):
    service = deploy(files={"main.py": FAILING_INIT}, initParams={"greeting": "x"})
    agent = start_agent(service)
    assert agent.wait() == 3
    assert "ValueError: bad greeting x" in agent.output()


@pytest.mark.slow
def test_a_load_error_shows_in_the_service_status(kit, deploy):
    # The control plane starts the replica itself here (local compute backend).
    service = deploy(files={"main.py": BROKEN}, runtime={"numReplicas": 1})

    def error():
        return kit.call("get", f"/services/{service['id']}/status").get("error")

    text = wait_for(error, 60, "the service status to show the load error")
    assert "No module named 'a_module_that_does_not_exist'" in text
    kit.call("post", f"/services/{service['id']}/stop")


def test_sigterm_lets_the_running_execution_finish(kit, deploy, start_agent):
    service = deploy(runtime={"concurrency": 1})
    agent = start_agent(service)
    running = sleep(kit, service, 3)
    queued = kit.execute(service["id"], {"name": "later"})
    agent.terminate()
    assert agent.wait() == 0, agent.output()
    record = kit.execution(running)
    assert (record["latestStatus"]["status"], record["output"]) == ("success", "slept 3")
    assert kit.execution(queued["id"])["latestStatus"]["status"] == "created", (
        "a draining replica took new work")
    successor = start_agent(service)
    assert kit.wait_terminal(queued["id"])["output"] == {"greeting": "hello later"}
    successor.terminate()
    assert successor.wait() == 0


def test_work_left_at_the_drain_deadline_follows_on_reset(kit, deploy, start_agent):
    service = deploy(drainTime=1)
    agent = start_agent(service)
    running = sleep(kit, service, 120)
    agent.terminate()
    assert agent.wait() == 0, agent.output()
    assert kit.execution(running)["latestStatus"]["status"] == "in-progress"
    start_agent(service)  # receives the nacked delivery; onReset "failed" applies at claim
    record = kit.wait_terminal(running, timeout=60)
    assert record["latestStatus"]["status"] == "failed"
    assert "stopped while running it (onReset: failed)" in record["latestStatus"]["message"]


@pytest.mark.slow
@pytest.mark.parametrize("on_reset", ["failed", "rerun"])
def test_a_killed_replica_s_execution_follows_on_reset(kit, deploy, start_agent, on_reset):
    service = deploy(onReset=on_reset)
    agent = start_agent(service)
    running = sleep(kit, service, 1 if on_reset == "rerun" else 120)
    agent.kill()  # kill -9: no report, no nack; the gateway returns the delivery later
    assert kit.execution(running)["latestStatus"]["status"] == "in-progress"
    start_agent(service)
    record = kit.wait_terminal(running, timeout=90)
    if on_reset == "failed":
        assert record["latestStatus"]["status"] == "failed"
        assert "(onReset: failed)" in record["latestStatus"]["message"]
    else:
        assert (record["latestStatus"]["status"], record["output"]) == ("success", "slept 1")
        assert record["attempts"] == 2


def test_an_undecodable_message_is_dead_lettered(kit, deploy, start_agent):
    service = deploy()
    queue = queue_name(service["id"])
    local = EmbeddedTransport(f"embedded://{kit.server.data_dir}/queue.db")
    try:
        local.publish(queue, b"not an execution message", message_id="garbage-1")
        agent = start_agent(service)
        dead = wait_for(lambda: local.dead_letters(queue), 60, "the message to be dead-lettered")
    finally:
        local.close()
    assert [d.message_id for d in dead] == ["garbage-1"]
    assert "not an execution message" in dead[0].reason
    after = kit.wait_terminal(kit.execute(service["id"], {"name": "fine"})["id"])
    assert after["latestStatus"]["status"] == "success", agent.output()


@pytest.mark.slow
def test_heartbeats_show_a_backend_started_replica_ready_and_busy(kit, deploy):
    service = deploy(runtime={"numReplicas": 1})

    def replica(field, value):
        def check():
            status = kit.call("get", f"/services/{service['id']}/status")
            return any(r.get(field) == value for r in status["replicas"])
        return check

    wait_for(replica("reported", "ready"), 60, "the replica to report ready")
    running = sleep(kit, service, 4)
    wait_for(replica("busy", 1), 30, "the replica to report one running execution")
    kit.call("post", f"/services/{service['id']}/stop")  # pause: the replica drains
    assert kit.wait_terminal(running)["output"] == "slept 4"


def test_do_reset_drains_the_replica_after_the_execution(kit, deploy, start_agent):
    service = deploy()
    agent = start_agent(service)
    record = kit.wait_terminal(kit.execute(service["id"], function_name="reset")["id"])
    assert record["output"] == "resetting"
    assert agent.wait() == 0, agent.output()


def test_skipped_deliveries_are_acked(kit, deploy, start_agent):
    service = deploy()
    queued = kit.execute(service["id"], {"name": "never"})
    kit.call("post", f"/executions/{queued['id']}/terminate")  # terminal while queued
    agent = start_agent(service)
    ran = kit.wait_terminal(kit.execute(service["id"], {"name": "after"})["id"])
    assert ran["output"] == {"greeting": "hello after"}
    agent.terminate()
    assert agent.wait() == 0
    local = EmbeddedTransport(f"embedded://{kit.server.data_dir}/queue.db")
    try:  # closing the consumer returned whatever was unsettled: nothing may be left
        assert local.depth(queue_name(service["id"])) == 0
    finally:
        local.close()
    assert kit.execution(queued["id"])["latestStatus"]["status"] == "terminated"
