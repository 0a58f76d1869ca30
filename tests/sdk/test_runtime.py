"""conveyor.runtime: progress throttling, BaseServiceRunner, termination requests, Context."""

import threading

import pytest

import conveyor as dl
from conveyor.runtime import ReportingProgress, termination


def reporter(**kwargs):
    sent = []
    return ReportingProgress(sent.append, **kwargs), sent


def test_progress_only_updates_are_sent_every_five_points():
    progress, sent = reporter()
    results = [progress.update(progress=p) for p in (1, 4, 5, 7, 9, 10, 14.9, 15)]
    assert results == [False, False, True, False, False, True, False, True]
    assert [b["percentComplete"] for b in sent] == [5, 10, 15]
    assert all(set(b) == {"percentComplete"} for b in sent)


def test_reaching_100_is_sent_once():
    progress, sent = reporter()
    progress.update(progress=97)
    assert progress.update(progress=99) is False
    assert progress.update(progress=100) is True
    assert progress.update(progress=100) is False
    assert [b["percentComplete"] for b in sent] == [97, 100]


def test_status_message_output_and_action_are_always_sent():
    progress, sent = reporter()
    progress.update(progress=50)
    assert progress.update(progress=51, message="m") is True
    assert progress.update(status="inProgress") is True
    assert progress.update(output={"x": 1}) is True
    assert progress.update(action="left") is True
    assert sent[1:] == [{"percentComplete": 51, "message": "m"},
                        {"percentComplete": 51, "status": "inProgress"},
                        {"percentComplete": 51, "output": {"x": 1}},
                        {"percentComplete": 51, "action": "left"}]


def test_progress_is_clamped_between_previous_and_100():
    progress, sent = reporter()
    progress.update(progress=40)
    progress.update(progress=10, message="back")
    progress.update(progress=250, message="over")
    progress.update(progress="junk", message="not a number")
    assert [b["percentComplete"] for b in sent] == [40, 40, 100, 100]
    assert progress.percent == 100


def test_duration_rides_along_but_does_not_force_a_report():
    progress, sent = reporter()
    assert progress.update(progress=1, duration=2.5) is False
    assert progress.update(progress=6, duration=3.0) is True
    assert sent == [{"percentComplete": 6, "duration": 3.0}]


def test_initial_progress_and_a_failing_send_is_retried_next_time():
    calls = []

    def flaky(body):
        calls.append(body)
        if len(calls) == 1:
            raise ConnectionError("down")

    progress = ReportingProgress(flaky, initial=20)
    with pytest.raises(ConnectionError):
        progress.update(progress=30)
    assert progress.update(progress=31) is True  # 30 was never reported
    assert [b["percentComplete"] for b in calls] == [30, 31]


def test_base_progress_is_a_noop():
    assert dl.Progress().update(status="x", progress=100, message="m") is False


# ------------------------------------------------------------------------- runner
class Runner(dl.BaseServiceRunner):
    pass


def test_ping_reset_and_service_entity():
    runner = Runner()
    assert runner.ping() == "pong" and runner.ping(dl.Progress()) == "pong"
    assert runner._do_reset is False
    runner.do_reset()
    assert runner._do_reset is True
    with pytest.raises(AssertionError):
        _ = runner.service_entity
    service = dl.Service.from_json({"id": "s1", "name": "svc"})
    runner.service_entity = service
    assert runner.service_entity is service
    with pytest.raises(AssertionError):
        runner.service_entity = "not a service"


def test_kill_event_raises_only_in_the_requested_thread_and_only_once():
    runner, outcome, ready, go = Runner(), {}, threading.Event(), threading.Event()

    def work():
        ready.set()
        go.wait(5)
        try:
            runner.kill_event()
            outcome["first"] = "ran on"
        except InterruptedError:
            outcome["first"] = "interrupted"
        runner.kill_event()  # the request is consumed: no second interruption
        outcome["second"] = "ran on"

    worker = threading.Thread(target=work)
    worker.start()
    ready.wait(5)
    termination.request_stop(worker.ident)
    runner.kill_event()  # the main thread was not asked to stop
    go.set()
    worker.join(5)
    assert outcome == {"first": "interrupted", "second": "ran on"}


def test_clear_forgets_a_request():
    ident = threading.get_ident()
    termination.request_stop(ident)
    assert termination.stop_requested()
    termination.clear(ident)
    assert not termination.stop_requested()
    Runner().kill_event()


# ------------------------------------------------------------------------- context
def test_context_reads_ids_and_event():
    execution = {"id": "e1", "triggerId": "t1", "serviceId": "s1",
                 "pipeline": {"id": "p1", "nodeId": "n1", "executionId": "pe1"}}
    event = {"resource": "items", "action": "created", "resourceId": "i1",
             "body": {"commandData": {"commandId": "c1"}},
             "itemStatusEvent": {"action": "added",
                                 "status": {"taskId": "tk", "assignmentId": "as",
                                            "status": "completed", "creator": "u@x"}}}
    service = dl.Service.from_json({"id": "s1", "projectId": "pr"})
    context = dl.Context(service=service, event_context=event, execution_dict=execution)
    assert (context.execution_id, context.trigger_id) == ("e1", "t1")
    assert (context.pipeline_id, context.node_id, context.pipeline_execution_id) == (
        "p1", "n1", "pe1")
    assert context.event.resource == "items" and context.event.resource_id == "i1"
    assert context.command_id == "c1"
    assert (context.item_status, context.item_status_creator, context.item_status_operation,
            context.task_id, context.assignment_id) == ("completed", "u@x", "added", "tk", "as")
    assert context.execution.id == "e1" and context.execution.service is service
    assert context.sdk is dl and context.service is service


def test_context_without_ids_has_no_related_entities():
    context = dl.Context(execution_dict={"id": "e"})
    assert context.task is None and context.assignment is None and context.pipeline is None
    assert context.event.command_id is None
    with pytest.raises(AssertionError):
        _ = context.package
