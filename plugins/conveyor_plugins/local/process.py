"""Operating-system helpers for replica processes: spawn, signal, identify, describe.

Guarantees:
    * Every replica is the leader of a new session and process group, so a signal sent
      with :func:`signal_group` reaches the replica and every child it started.
    * On Linux every replica carries ``PR_SET_PDEATHSIG = SIGTERM``: when the process that
      spawned it dies (even by SIGKILL) the kernel sends it SIGTERM, so it drains instead of
      consuming behind a dead control plane.
    * Nothing here raises for a process that is already gone.
"""

from __future__ import annotations

import ctypes
import functools
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1
_IS_LINUX = sys.platform.startswith("linux")


def spawn(argv: Sequence[str], env: Mapping[str, str], log_path: Path) -> subprocess.Popen:
    """Start ``argv`` in a new session with stdout and stderr appended to ``log_path``.

    Raises:
        OSError: the program could not be started (missing executable, permissions).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        # Our copy of the log descriptor closes on leaving the block; the child keeps its own.
        def start() -> subprocess.Popen:
            return subprocess.Popen(
                list(argv), env=dict(env), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, close_fds=True,
                preexec_fn=_death_signal_setter())  # noqa: PLW1509 - see _Spawner
        if not _IS_LINUX:
            return start()
        return _spawner().call(start)


def _death_signal_setter() -> Callable[[], None] | None:
    """A ``preexec_fn`` that asks the kernel for SIGTERM when our process dies (Linux only)."""
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def set_death_signal() -> None:
        # Runs in the forked child before exec: nothing here may take locks or allocate much.
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return set_death_signal


@functools.lru_cache(maxsize=1)
def death_signal_supported() -> bool:
    """True where replicas get SIGTERM when the backend's process dies (Linux)."""
    return _prctl() is not None


def _prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, resolved once in the parent (resolving it in the child could lock)."""
    if not _IS_LINUX:
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
    prctl.restype = ctypes.c_int
    return prctl


class _Spawner:
    """One long-lived daemon thread that performs every fork.

    Linux delivers PDEATHSIG when the *thread* that forked the child exits, not the process.
    Forking from request threads, or from a supervisor thread that ``close()`` stops, would
    kill replicas early; this thread lives exactly as long as the process.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._run, name="conveyor-local-spawner", daemon=True).start()

    def call(self, job: Callable[[], T]) -> T:
        """Run ``job`` on the spawner thread and return its result (or raise its error)."""
        future: Future = Future()
        self._jobs.put((job, future))
        return future.result()

    def _run(self) -> None:
        while True:
            job, future = self._jobs.get()
            try:
                future.set_result(job())
            except BaseException as error:  # noqa: BLE001 - handed to the caller
                future.set_exception(error)


_spawner_instance: _Spawner | None = None
_spawner_lock = threading.Lock()


def _spawner() -> _Spawner:
    global _spawner_instance
    with _spawner_lock:
        # After os.fork() the thread is gone in the child: start a new one there.
        if _spawner_instance is None or _spawner_instance.pid != os.getpid():
            _spawner_instance = _Spawner()
        return _spawner_instance


def signal_group(pid: int, sig: signal.Signals) -> None:
    """Send ``sig`` to the process group led by ``pid`` (or to ``pid`` if it leads none)."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill_stragglers(pgid: int) -> None:
    """SIGKILL whatever is left of a process group whose leader was just reaped."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def exit_reason(returncode: int) -> str:
    """``exited with code 3`` or ``killed by signal SIGKILL`` for a Popen return code."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        return f"killed by signal {name}"
    return f"exited with code {returncode}"


def pid_alive(pid: int) -> bool:
    """True if ``pid`` is a live process (zombies count as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): the signal probe is all we have
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def pid_mentions(pid: int, text: str) -> bool:
    """True if the command line or initial environment of ``pid`` contains ``text``.

    Used to make sure a pid from an old pids file still is our replica and not an unrelated
    process that reused the number. Without ``/proc`` (non-Linux) it answers False, so
    nothing is killed on a guess.
    """
    needle = text.encode()
    for name in ("cmdline", "environ"):
        try:
            if needle in Path(f"/proc/{pid}/{name}").read_bytes():
                return True
        except OSError:
            continue
    return False
