"""Autoscaler decisions (pure): targets, clamping, cooldown, zero."""

from __future__ import annotations

from conveyor_runner.control.autoscaler import Load, ScalerState, decide, due, record, wanted

SCALER = {"type": "rabbitmq", "minReplicas": 0, "maxReplicas": 4, "queueLength": 10,
          "cooldownPeriod": 60, "pollingInterval": 5}


def test_wanted_divides_pending_by_queue_length_and_clamps():
    assert wanted(SCALER, Load(0, 0)) == 0
    assert wanted(SCALER, Load(1, 0)) == 1
    assert wanted(SCALER, Load(10, 1)) == 2
    assert wanted(SCALER, Load(500, 0)) == 4
    assert wanted({**SCALER, "minReplicas": 2}, Load(0, 0)) == 2


def test_scale_out_is_immediate_and_says_why():
    state = ScalerState()
    decision = decide(SCALER, Load(25, 0), current=1, state=state, now=100.0)
    assert decision.target == 3
    assert "25 queued+running" in decision.reason


def test_scale_in_waits_for_the_cooldown():
    state = ScalerState()
    assert decide(SCALER, Load(30, 0), current=3, state=state, now=0.0) is None
    assert decide(SCALER, Load(0, 0), current=3, state=state, now=30.0) is None
    decision = decide(SCALER, Load(0, 0), current=3, state=state, now=61.0)
    assert decision.target == 0


def test_load_during_cooldown_restarts_it():
    state = ScalerState()
    decide(SCALER, Load(30, 0), current=3, state=state, now=0.0)
    decide(SCALER, Load(30, 0), current=3, state=state, now=50.0)
    assert decide(SCALER, Load(0, 0), current=3, state=state, now=100.0) is None
    assert decide(SCALER, Load(0, 0), current=3, state=state, now=111.0).target == 0


def test_first_execution_at_zero_scales_out():
    state = ScalerState()
    assert decide(SCALER, Load(1, 0), current=0, state=state, now=5.0).target == 1


def test_polling_interval_and_record_keeps_the_latest():
    state = ScalerState()
    assert due(SCALER, state, 0.0)
    state.last_evaluated = 0.0
    assert not due(SCALER, state, 4.0) and due(SCALER, state, 5.0)
    for index in range(60):
        history = record(state, f"t{index}", index, index + 1, "r")
    assert len(history) == 50 and history[-1]["timestamp"] == "t59"
