"""The simulating evaluator of a sensitivity analysis: every parameter set's replicates
through the one batch runner, reduced to the spec's outcome quantities.

Every parameter set runs the base scenario's seed, so replicate k of every set draws from
the same random streams (common random numbers): the differences between sets come from
the parameters, not from fresh noise, which is what the indices apportion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from escapesim.engine import Scenario
from escapesim.engine.ensemble_checks import variant
from escapesim.service.fitting.sensitivity_analysis import Evaluator
from escapesim.service.fitting.sensitivity_spec import SensitivitySpec
from escapesim.service.workers.scenarios import Tables, simulate_here

#: Called with (parameter sets done, parameter sets in all).
Progress = Callable[[int, int], None]


def set_scenarios(spec: SensitivitySpec, sets: Sequence[dict[str, float]]) -> list[Scenario]:
    """One scenario per parameter set: the base with those values, the spec's replicates,
    the base seed (common random numbers)."""
    return [variant(spec.scenario, parameters=s, replicates=spec.replicates) for s in sets]


def quantities(spec: SensitivitySpec, scenario: Scenario, tables: Tables) -> list[float]:
    """The spec's outcome quantities of one parameter set's (trajectories, replicates)."""
    trajectories, replicates = tables
    outcomes = replicates.column("outcome").to_pylist()
    times = replicates.column("outcome_time").to_pylist()
    return [
        q.estimate(outcomes, times, _burden(scenario, trajectories, q.day))
        for q in spec.quantities
    ]


def _burden(scenario: Scenario, trajectories: pa.Table, day: float) -> list[float]:
    """Each replicate's tumour cells at the last sampling time on or before ``day``."""
    sampled = max(t for t in scenario.sample_times() if t <= day + 1e-9)
    rows = trajectories.filter(pc.equal(trajectories.column("t"), sampled))
    tumour = scenario.network().tumour
    total = np.zeros(rows.num_rows)
    for name in tumour:
        total += rows.column(name).to_numpy().astype(float)
    return total.tolist()


def simulated(spec: SensitivitySpec, *, workers: int = 1, progress: Progress | None = None
              ) -> Evaluator:  # fmt: skip
    """An evaluator that simulates here, on ``workers`` local processes."""

    def evaluate(sets: Sequence[dict[str, float]]) -> np.ndarray:
        scenarios = set_scenarios(spec, sets)
        done: dict[int, int] = {}

        def on_batch(index: int, batch: object) -> None:
            done[index] = done.get(index, 0) + len(getattr(batch, "replicates", ()))
            if progress is not None and done[index] == spec.replicates:
                progress(sum(v == spec.replicates for v in done.values()), len(scenarios))

        found = simulate_here(scenarios, workers=workers, on_batch=on_batch)
        return np.array([quantities(spec, s, t) for s, t in zip(scenarios, found, strict=True)])

    return evaluate
