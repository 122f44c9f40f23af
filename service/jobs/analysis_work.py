"""What an analysis job computes, apart from its lifecycle: specs from stored requests,
the calibration driver on a pool, and one sensitivity parameter set on the executor.

A calibration runs pyABC's driver in a thread of the server with the executor's pool
(:mod:`escapesim.service.workers.pools`); the seeded sampler makes its posterior depend on
the seed alone, so the durable job, ``escapesim calibrate`` and a re-run after a restart
agree. A sensitivity analysis evaluates each parameter set as an ordinary scenario job
of the executor (local pool or Dask), like an ensemble's cells.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from escapesim.engine.calibration import CalibrationSpec
from escapesim.service.fitting.sensitivity_runs import quantities, set_scenarios
from escapesim.service.fitting.sensitivity_spec import SensitivitySpec
from escapesim.service.store.analysis_record import CALIBRATION, AnalysisRequest
from escapesim.service.workers.batches import Batch, combine
from escapesim.service.workers.local import Executor, ExecutorFailure, Job
from escapesim.service.workers.pools import Halted

#: Called from the driver's thread with (generation, evaluations, accepted).
OnGeneration = Callable[[int, int, int], None]


def calibration_spec(request: AnalysisRequest) -> CalibrationSpec:
    """The validated calibration of ``request`` (raises ``ScenarioError``)."""
    return CalibrationSpec.from_dict(request.spec, request.measurements)


def sensitivity_spec(request: AnalysisRequest) -> SensitivitySpec:
    """The validated sensitivity analysis of ``request`` (raises ``ScenarioError``)."""
    return SensitivitySpec.from_dict(request.spec)


@dataclass(frozen=True, slots=True)
class Plan:
    """What a validated request will cost: ``sets``, the parameter sets it evaluates if
    known ahead (a sensitivity design's size; 0 for a calibration), and ``budget``, the
    replicates it may simulate at most, set by the spec's field ``budget_field``."""

    sets: int
    budget: int
    budget_field: str


def plan(request: AnalysisRequest) -> Plan:
    """Validate ``request`` and say what it will cost (raises ``ScenarioError``). A
    calibration's budget is its parameter sets times the subjects each set simulates
    (every subject of every condition); a sensitivity design's, its sets times replicates."""
    if request.kind == CALIBRATION:
        spec = calibration_spec(request)
        per_set = sum(len(spec.subjects(c)) for c in spec.condition_ids())
        return Plan(0, spec.stopping.simulations * per_set, "stopping.simulations")
    design = sensitivity_spec(request)
    return Plan(design.sample_count(), design.simulations(), "samples")


def validate(request: AnalysisRequest) -> int:
    """Validate ``request``; returns :attr:`Plan.sets`. Raises ``ScenarioError``."""
    return plan(request).sets


def calibrate_into(
    spec: CalibrationSpec, work: Path, pool: object, workers: int, on_generation: OnGeneration
) -> dict[str, Path]:
    """Fit ``spec`` on ``pool`` and write the outputs into ``work``; returns the result
    files by part. Blocking: the caller runs it in a thread."""
    # Imported here: pyABC takes seconds to import, which a server without analyses skips.
    from escapesim.service.fitting import calibration_outputs
    from escapesim.service.fitting.calibration_driver import run_calibration

    found = run_calibration(
        spec, database=work / "abc.db", pool=pool,  # type: ignore[arg-type]
        workers=workers, on_generation=on_generation,
    )  # fmt: skip
    calibration_outputs.write(found, work, pool)  # type: ignore[arg-type]
    return {
        "particles": work / "particles.parquet",
        "generations": work / "generations.parquet",
        "predictive": work / "predictive.parquet",
        "summary": work / "summary.json",
    }


async def evaluate_set(
    executor: Executor,
    spec: SensitivitySpec,
    values: dict[str, float],
    register: Callable[[Job | None], None],
) -> builtins.list[float]:
    """The quantities of one parameter set, simulated as one executor job; ``register``
    is given the job (so a cancel reaches it), then ``None`` once it has ended. Raises
    :class:`Halted` if the job was stopped before every replicate finished."""
    (scenario,) = set_scenarios(spec, [values])
    job = executor.submit(scenario)
    register(job)
    batches: builtins.list[Batch] = []
    try:
        async for batch in job.batches():
            batches.append(batch)
    finally:
        register(None)
    done = sum(len(b.replicates) for b in batches)
    if done < scenario.replicates:
        raise Halted(f"a parameter set ended with {done} of {scenario.replicates} replicates")
    return [float(v) for v in quantities(spec, scenario, combine(batches, scenario, partial=False))]


def failure(error: Exception) -> ExecutorFailure:
    """An executor failure naming what went wrong in a driver (shown as the job's error)."""
    return ExecutorFailure(f"{type(error).__name__}: {error}")
