"""The machine's CPU time, to tell a CPU-bound run from one that waits.

A throughput figure alone does not say what limits it. Dividing the CPU the whole machine
spent during a run by the work done gives CPU milliseconds per execution, and by the run's
length the cores kept busy: near the machine's core count the run is CPU-bound (less work
per execution is the only way up), well below it the run waits (on round trips, locks or
queues). The machine's total, not one process's, because each side of a comparison spreads
its work over several processes (server, replicas, workers, broker, result store, client).
The context switches per execution count the hand-overs between threads and processes that
each execution costs: each one is a wake-up to wait for, and CPU spent outside the work.
Measure on an otherwise idle machine.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_STAT = Path("/proc/stat")


def _read_stat() -> tuple[float | None, int | None]:
    """CPU seconds all cores spent working since boot, and their context switches (None
    where ``/proc/stat`` is missing, as on macOS). Working is user, nice, system, irq and
    softirq time; steal time is left out: on a VM it is time the host gave to others, not
    work done here."""
    try:
        lines = _STAT.read_text().splitlines()
    except OSError:
        return None, None
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in lines[0].split()[1:8])
    busy = (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
    switches = next((int(line.split()[1]) for line in lines if line.startswith("ctxt ")), None)
    return busy, switches


@dataclass(frozen=True)
class CpuUse:
    """What the machine spent during one measured span."""

    seconds: float  #: wall-clock length of the span
    busy: float | None  #: CPU seconds spent by all cores (None: not measurable here)
    switches: int | None = None  #: context switches on all cores (None: not measurable)

    def per_unit_ms(self, units: int) -> float:
        """CPU milliseconds per unit of work (nan when not measurable)."""
        return float("nan") if self.busy is None else self.busy * 1000 / units

    def switches_per_unit(self, units: int) -> float:
        """Context switches per unit of work (nan when not measurable)."""
        return float("nan") if self.switches is None else self.switches / units

    @property
    def cores(self) -> float:
        """Cores kept busy on average (nan when not measurable)."""
        return float("nan") if self.busy is None else self.busy / self.seconds


class CpuMeter:
    """Measures one span: ``with CpuMeter() as meter: ...`` then ``meter.use``."""

    use: CpuUse

    def __enter__(self) -> CpuMeter:
        (self._busy, self._switches), self._started = _read_stat(), time.perf_counter()
        return self

    def __exit__(self, *_exc) -> None:
        seconds = time.perf_counter() - self._started
        busy, switches = _read_stat()
        self.use = CpuUse(seconds, _less(busy, self._busy), _less(switches, self._switches))


def _less(after, before):
    return None if after is None or before is None else after - before
