"""The local compute backend: the ComputeBackend contract plus what only processes can show."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conveyor_plugins.local.backend import LocalComputeBackend
from conveyor_plugins.local.pidfile import read_pids, write_pids
from conveyor_plugins.local.process import pid_alive
from conveyor_plugins.local.replica import SupervisionPolicy
from conveyor_runner.compute import DeploymentSpec
from conveyor_runner.plugin.manager import build_registries, get_plugin_manager
from conveyor_runner.testing.contracts.compute import (
    ComputeBackendContract,
    python_replica_command,
    starts,
    terminated,
    wait_until,
)

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="needs Linux (/proc and PR_SET_PDEATHSIG)")


class TestLocalComputeBackend(ComputeBackendContract):
    @pytest.fixture
    def backend(self, tmp_path):
        backend = LocalComputeBackend(tmp_path / "data")
        yield backend
        backend.close()

    @pytest.fixture
    def replica_command(self):
        return python_replica_command()

    def test_scale_down_stops_the_newest_first(self, backend, service_id, make_spec,
                                               marker_dir):
        backend.apply(make_spec(replicas=1))
        (oldest,) = self.wait_running(backend, service_id, 1, "r1", marker_dir)
        backend.apply(make_spec(replicas=3))
        self.wait_running(backend, service_id, 3, "r1", marker_dir)
        backend.apply(make_spec(replicas=1))
        (kept,) = self.wait_running(backend, service_id, 1, "r1", marker_dir)
        assert kept.replica_id == oldest.replica_id

    def test_replica_sees_its_service_id(self, backend, service_id, make_spec, marker_dir):
        spec = make_spec(replicas=1)
        script = ("import os, time; print('service=' + os.environ['CONVEYOR_SERVICE_ID'], "
                  "flush=True); time.sleep(60)")
        command = (sys.executable, "-c", script)
        backend.apply(dataclasses.replace(spec, command=command))
        wait_until(lambda: f"service={service_id}" in "\n".join(backend.logs(service_id)),
                   10, "the service id in the replica's output")

    def test_sigkill_follows_the_drain_for_the_whole_group(self, backend, service_id,
                                                           make_spec):
        script = ("import signal, subprocess, time; signal.signal(signal.SIGTERM, "
                  "signal.SIG_IGN); child = subprocess.Popen(['sleep', '60']); "
                  "print('child', child.pid, flush=True); time.sleep(60)")
        spec = make_spec(replicas=1)
        backend.apply(dataclasses.replace(spec, command=(sys.executable, "-c", script)))
        line = wait_until(lambda: [line for line in backend.logs(service_id) if " child " in line],
                          10, "the replica to start its child")[0]
        child = int(line.split()[-1])
        (replica,) = backend.replicas(service_id)
        backend.stop_replica(service_id, replica.replica_id, 0.5)
        assert backend.replicas(service_id)[0].state == "terminating"
        wait_until(lambda: not backend.replicas(service_id), 10,
                   "the SIGTERM-ignoring replica to be killed")
        wait_until(lambda: not pid_alive(child), 10, "the replica's child to die with it")


def test_backoff_caps_the_restarts_of_a_crash_loop(tmp_path):
    backend = LocalComputeBackend(tmp_path / "data")
    command = (sys.executable, "-c", "import sys; print('boom', flush=True); sys.exit(3)")
    backend.apply(DeploymentSpec(service_id="crashy", service_name="crashy", revision="r1",
                                 replicas=1, command=command, drain_seconds=1))
    states, deadline = [], time.monotonic() + 6
    try:
        while time.monotonic() < deadline:
            states.extend(backend.replicas("crashy"))
            time.sleep(0.05)
    finally:
        backend.remove("crashy", 0)
        backend.close()
    restarts = max(s.restarts for s in states)
    # Backoff 1 s, 2 s, 4 s: restarts at ~1 s and ~3 s (~7 s next); without it, dozens.
    assert 1 <= restarts <= 3, restarts
    assert any(s.state == "failed" and s.message == "exited with code 3" for s in states)
    lines = backend.logs("crashy")
    assert any(line.endswith("boom") for line in lines)
    assert any("replica exited with code 3; restarting in 2 s" in line for line in lines)


def test_backoff_policy_doubles_caps_and_resets():
    policy = SupervisionPolicy()
    delays, backoff = [], 0.0
    for _ in range(9):
        delay, backoff = policy.after_exit(backoff, uptime=0.1)
        delays.append(delay)
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert policy.after_exit(backoff, uptime=61.0)[0] == 1


@linux_only
def test_new_backend_stops_replicas_left_by_the_previous_one(tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    first = LocalComputeBackend(tmp_path / "data")
    first.apply(DeploymentSpec(service_id="left", service_name="left", revision="r1",
                               replicas=1, command=python_replica_command()(markers)))
    wait_until(lambda: starts(markers), 10, "the replica to start")
    first.close()  # supervision ends, the replica keeps running: as after a crash
    folder = tmp_path / "data" / "replicas" / "left"
    (pid,) = read_pids(folder).values()
    assert pid_alive(pid)
    second = LocalComputeBackend(tmp_path / "data")
    second.close()
    assert not pid_alive(pid)
    assert terminated(markers) == set(starts(markers)), "the leftover did not get SIGTERM"
    assert read_pids(folder) == {}


@linux_only
def test_pids_of_unrelated_processes_are_left_alone(tmp_path):
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        write_pids(tmp_path / "data" / "replicas" / "old", {"old-0123abcd": stranger.pid})
        LocalComputeBackend(tmp_path / "data").close()
        assert stranger.poll() is None, "a process that is not our replica was killed"
        assert read_pids(tmp_path / "data" / "replicas" / "old") == {}
    finally:
        stranger.kill()
        stranger.wait()


HELPER = r"""
import json, sys, time
from pathlib import Path
from conveyor_plugins.local.backend import LocalComputeBackend
from conveyor_runner.compute import DeploymentSpec
backend = LocalComputeBackend(Path(sys.argv[1]))
backend.apply(DeploymentSpec(service_id="orphan", service_name="orphan", revision="r1",
                             replicas=1, command=tuple(json.loads(sys.argv[2]))))
time.sleep(120)
"""


@linux_only
def test_replicas_get_sigterm_when_the_backend_process_is_killed(tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    command = python_replica_command()(markers)
    helper = subprocess.Popen([sys.executable, "-c", HELPER, str(tmp_path / "data"),
                               json.dumps(command)])
    pid = None
    try:
        wait_until(lambda: starts(markers), 20, "the helper's replica to start")
        (pid,) = read_pids(tmp_path / "data" / "replicas" / "orphan").values()
        helper.send_signal(signal.SIGKILL)
        helper.wait()
        wait_until(lambda: terminated(markers), 10, "the orphaned replica to get SIGTERM")
        wait_until(lambda: not pid_alive(pid), 10, "the orphaned replica to exit")
    finally:
        helper.kill()
        helper.wait()
        if pid is not None and pid_alive(pid):
            os.killpg(pid, signal.SIGKILL)


def test_entry_point_registers_the_backend():
    registries = build_registries(get_plugin_manager())
    assert registries.compute.get("local") is LocalComputeBackend
