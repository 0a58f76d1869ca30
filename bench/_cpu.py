"""The machine's CPU time, to tell a CPU-bound run from one that waits.

A throughput figure alone does not say what limits it. Dividing the CPU the whole machine
spent during a run by the work done gives CPU milliseconds per execution, and by the run's
length the cores kept busy: near the machine's core count the run is CPU-bound (less work
per execution is the only way up), well below it the run waits (on round trips, locks or
queues). The machine's total, not one process's, because each side of a comparison spreads
its work over several processes (server, replicas, workers, broker, result store, client).
Measure on an otherwise idle machine.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_STAT = Path("/proc/stat")


def busy_seconds() -> float | None:
    """CPU seconds all cores spent working since boot (None where ``/proc/stat`` is
    missing, as on macOS): user, nice, system, irq and softirq time. Steal time is left
    out: on a VM it is time the host gave to others, not work done here."""
    try:
        fields = _STAT.read_text().splitlines()[0].split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuUse:
    """What the machine spent during one measured span."""

    seconds: float  #: wall-clock length of the span
    busy: float | None  #: CPU seconds spent by all cores (None: not measurable here)

    def per_unit_ms(self, units: int) -> float:
        """CPU milliseconds per unit of work (nan when not measurable)."""
        return float("nan") if self.busy is None else self.busy * 1000 / units

    @property
    def cores(self) -> float:
        """Cores kept busy on average (nan when not measurable)."""
        return float("nan") if self.busy is None else self.busy / self.seconds


class CpuMeter:
    """Measures one span: ``with CpuMeter() as meter: ...`` then ``meter.use``."""

    use: CpuUse

    def __enter__(self) -> CpuMeter:
        self._busy, self._started = busy_seconds(), time.perf_counter()
        return self

    def __exit__(self, *_exc) -> None:
        seconds = time.perf_counter() - self._started
        busy, before = busy_seconds(), self._busy
        self.use = CpuUse(seconds, None if busy is None or before is None else busy - before)
