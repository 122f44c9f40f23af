"""Wall and CPU time of a stretch of work, the CPU time including child processes.

The benchmark machine is shared: under load, wall time measures the neighbours as much as
the code. CPU time (this process plus its waited-for children, so GillesPy2's compiler
and simulation subprocesses count) is the steadier measure of the work itself; the
benchmark reports both.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Lap:
    """Elapsed wall-clock and CPU seconds."""

    wall: float
    cpu: float


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class Stopwatch:
    """Started on creation; :meth:`lap` returns the time since the previous lap."""

    def __init__(self) -> None:
        self._wall = time.perf_counter()
        self._cpu = _cpu()

    def lap(self) -> Lap:
        """Seconds since creation or the previous lap, and restart."""
        wall, cpu = time.perf_counter(), _cpu()
        lap = Lap(wall - self._wall, cpu - self._cpu)
        self._wall, self._cpu = wall, cpu
        return lap
