"""A calibration on this machine: the local executor's pool, the driver, the outputs.

What ``escapesim calibrate`` and ``escapesim.calibrate`` call. One worker evaluates in
this process (spawning a process costs more than it saves); more use the process pool
of :class:`~escapesim.service.workers.local.LocalExecutor`, the pool runs and ensembles
use. A durable job would call :func:`run_calibration` with its executor's pool instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path
from typing import Any

from escapesim.engine.calibration import CalibrationSpec
from escapesim.service.fitting import calibration_outputs
from escapesim.service.fitting.abc_sampler import OnGeneration
from escapesim.service.fitting.calibration_driver import run_calibration
from escapesim.service.workers.local import LocalExecutor


def calibrate_here(
    spec: CalibrationSpec,
    out: Path,
    *,
    workers: int = 1,
    on_generation: OnGeneration | None = None,
) -> dict[str, Any]:
    """Fit ``spec``, write every output to ``out`` and return the summary document."""
    out.mkdir(parents=True, exist_ok=True)
    executor = LocalExecutor(workers) if workers > 1 else None
    pool: concurrent.futures.Executor | None = None
    if executor is not None:
        asyncio.run(executor.start(warm=False))
        pool = executor.pool()
    try:
        found = run_calibration(
            spec, database=out / "abc.db", pool=pool, workers=workers,
            on_generation=on_generation,
        )  # fmt: skip
        return calibration_outputs.write(found, out, pool)
    finally:
        if executor is not None:
            asyncio.run(executor.close())
