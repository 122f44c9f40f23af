"""The model pyABC calls: one parameter set → every measurement's simulated value.

It runs in the sampler's workers, through the one replicate loop every worker runs
(:func:`escapesim.service.workers.batches.replicate_results`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from escapesim.engine.calibration import CalibrationSpec
from escapesim.service.workers.batches import replicate_results


def simulated_statistics(
    spec: CalibrationSpec, values: Mapping[str, float], seed: int
) -> dict[str, float]:
    """Every measurement's simulated value for parameter ``values`` and ``seed``."""
    results = {}
    for condition in spec.condition_ids():
        scenario = spec.condition_scenario(condition, values, seed)
        results[condition] = list(replicate_results(scenario, range(scenario.replicates)))
    return spec.statistics(results)


class ScenarioModel:
    """pyABC's model: sampled variables in, summary statistics out. Picklable (it
    holds only the spec) so the sampler ships it to worker processes."""

    def __init__(self, spec: CalibrationSpec) -> None:
        self.spec = spec

    def __call__(self, sampled: Mapping[str, float]) -> dict[str, float]:
        """Simulate with a seed drawn from numpy's global stream, which the sampler
        seeded for this candidate (pyABC's convention for randomness in a model)."""
        seed = int(np.random.randint(0, 2**62))
        return simulated_statistics(self.spec, self.spec.values(sampled), seed)
