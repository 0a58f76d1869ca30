"""A new user's first session: conveyor up, the CLI, the README quick start, Ctrl-C."""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from tests.e2e.conftest import login, me

README = Path(__file__).resolve().parents[2] / "README.md"


def test_up_prints_url_and_login_and_stops_cleanly(conveyor_up):
    banner = "".join(conveyor_up.banner)
    assert conveyor_up.url in banner
    login_path = conveyor_up.home / "login.json"
    assert str(login_path) in banner
    assert stat.S_IMODE(os.stat(login_path).st_mode) == 0o600
    stored = login(conveyor_up.home)
    assert me(conveyor_up.url, stored["token"])["email"] == stored["email"]
    assert conveyor_up.stop() == 0
    assert "Conveyor stopped" in conveyor_up.process.stdout.read()


def test_token_prints_a_working_token(conveyor_up):
    result = conveyor_up.cli("token")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert me(conveyor_up.url, token)["email"] == login(conveyor_up.home)["email"]


def test_restart_keeps_the_login_and_data(conveyor_up, tmp_path):
    assert conveyor_up.cli("project", "create", "kept").returncode == 0
    first = login(conveyor_up.home)
    assert conveyor_up.stop() == 0
    env = conveyor_up.env
    again = subprocess.Popen([sys.executable, "-m", "conveyor_runner", "up", "--port",
                              conveyor_up.url.rsplit(":", 1)[1]], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        while "Ctrl-C" not in (again.stdout.readline() or "Ctrl-C"):
            pass
        assert login(conveyor_up.home)["password"] == first["password"]
        listed = conveyor_up.cli("project", "list")
        assert "kept" in listed.stdout
    finally:
        again.send_signal(2)
        again.wait(timeout=60)


def test_data_commands_round_trip(conveyor_up, tmp_path):
    source = tmp_path / "photos"
    (source / "cats").mkdir(parents=True)
    cv2.imwrite(str(source / "cats" / "tom.png"), np.zeros((4, 6, 3), np.uint8))
    (source / "notes.txt").write_text("hello")
    steps = [("project", "create", "demo"),
             ("dataset", "create", "photos", "--project", "demo"),
             ("item", "upload", str(source), "--project", "demo", "--dataset", "photos",
              "--remote-path", "/raw")]
    for step in steps:
        result = conveyor_up.cli(*step)
        assert result.returncode == 0, (step, result.stderr)
    assert "uploaded 2 file(s) to demo/photos/raw" in result.stdout, result.stdout
    listed = conveyor_up.cli("item", "list", "--project", "demo", "--dataset", "photos",
                             "--folder", "/raw/photos/cats")
    assert "/raw/photos/cats/tom.png" in listed.stdout and "notes.txt" not in listed.stdout
    out = tmp_path / "out"
    result = conveyor_up.cli("item", "download", "--project", "demo", "--dataset", "photos",
                             "--to", str(out))
    assert result.returncode == 0, result.stderr
    downloaded = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert downloaded["notes.txt"] == b"hello"
    assert downloaded["tom.png"] == (source / "cats" / "tom.png").read_bytes()


def test_cli_errors_say_what_to_fix(conveyor_up):
    result = conveyor_up.cli("dataset", "list", "--project", "no-such-project")
    assert result.returncode == 1
    assert result.stderr.startswith("error:") and "no-such-project" in result.stderr
    result = conveyor_up.cli("project", "create", "dup")
    result = conveyor_up.cli("project", "create", "dup")
    assert result.returncode == 1 and "already" in result.stderr


def test_readme_quick_start_runs_as_written(conveyor_up, tmp_path):
    text = README.read_text()
    block = re.search(r"## Quick start.*?```python\n(.*?)```", text, re.S).group(1)
    script = tmp_path / "quickstart.py"
    script.write_text(block)
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=conveyor_up.env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "['/raw/photos/cats/tom.png']" in result.stdout
    assert "['cat', 'indoor']" in result.stdout


def test_readme_first_lines_are_the_two_commands():
    lines = README.read_text().splitlines()
    commands = [line.strip() for line in lines[:6] if line.startswith("    ")]
    assert len(commands) == 2
    assert commands[0].endswith("conveyor up") and "pytest" in commands[1]


def test_readme_first_function_runs_as_written(conveyor_up, tmp_path):
    text = README.read_text()
    section = text.split("## Your first function", 1)[1].split("\n\n", 2)[1]
    lines = [line.strip().split("  #")[0].strip() for line in section.splitlines()
             if line.startswith("    ")]
    assert lines[0].startswith("conveyor package generate")
    cwd = tmp_path
    for line in lines:
        if line.startswith("cd "):
            folder, _, line = line[3:].partition(" && ")
            cwd = cwd / folder
        args = line.split(" ", 1)[1]
        result = conveyor_up.cli(*shlex.split(args), cwd=cwd)
        assert result.returncode == 0, (line, result.stderr)
    assert result.stdout.strip() == '"Hello, you!"'
