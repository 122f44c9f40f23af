"""The ABC-SMC driver: a calibration spec and an executor in, a posterior out.

``run_calibration(spec, pool=..., workers=..., database=...)`` is what the command
line, ``escapesim.calibrate`` and (next) a durable calibration job call: it owns no
process and writes only pyABC's database; progress arrives through ``on_generation``.
pyABC (Klinger, Rickert & Hasenauer, Bioinformatics 34:3591, 2018; Schälte et al.,
Bioinformatics 38:4522, 2022) runs ABC-SMC: a population of particles per generation,
each generation's distance threshold the median of the last's distances (unless a
fixed schedule is given), particles perturbed by a multivariate normal kernel fitted
to the last population.
"""

from __future__ import annotations

import concurrent.futures
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyabc

from escapesim.engine import FieldViolation, ScenarioError
from escapesim.engine.calibration import CalibrationSpec, Prior
from escapesim.service.fitting.abc_model import ScenarioModel
from escapesim.service.fitting.abc_sampler import OnGeneration, SeededSampler


@dataclass(frozen=True)
class Calibrated:
    """A finished calibration: pyABC's history (every generation's particles), the
    evaluations simulated and the wall time."""

    spec: CalibrationSpec
    history: Any  # pyabc.History
    evaluations: int
    seconds: float
    workers: int


def prior_of(priors: tuple[Prior, ...]) -> Any:
    """pyABC's prior: each variable's distribution on its support (scipy.stats)."""
    variables = {}
    for p in priors:
        low, high = p.support()
        if p.kind in ("uniform", "log_uniform"):
            variables[p.name] = pyabc.RV("uniform", low, high - low)
        else:
            mean, sd = p.first, p.second
            variables[p.name] = pyabc.RV(
                "truncnorm", (low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd
            )
    return pyabc.Distribution(**variables)


def run_calibration(
    spec: CalibrationSpec,
    *,
    database: Path,
    pool: concurrent.futures.Executor | None = None,
    workers: int = 1,
    on_generation: OnGeneration | None = None,
) -> Calibrated:
    """Fit ``spec`` by ABC-SMC, candidates evaluated on ``pool`` (``None``: here).

    The same seed gives the same posterior whatever ``workers`` is
    (:mod:`~escapesim.service.fitting.abc_sampler`). pyABC draws from numpy's global
    stream in this process (epsilon and kernel choices); it is seeded from the spec's
    seed first, so this process's stream is the one piece of global state touched.
    """
    started = time.perf_counter()
    np.random.seed(spec.seed % 2**32)
    weights = spec.weights()
    distance = (
        pyabc.AdaptivePNormDistance(p=2, fixed_weights=weights)
        if spec.adaptive_distance
        else pyabc.PNormDistance(p=2, fixed_weights=weights)
    )
    stopping = spec.stopping
    sampler = SeededSampler(spec.seed, pool, workers, on_generation, stopping.simulations)
    abc = pyabc.ABCSMC(
        ScenarioModel(spec), prior_of(spec.priors), distance,
        population_size=spec.population, sampler=sampler,
        eps=pyabc.ListEpsilon(list(stopping.epsilons)) if stopping.epsilons else None,
    )  # fmt: skip
    database.parent.mkdir(parents=True, exist_ok=True)
    database.unlink(missing_ok=True)
    abc.new(f"sqlite:///{database}", spec.observed())
    # Each particle's summary statistics in the database cost ~20 % of a fit's time
    # (profiled: pyABC's _save_to_population_db); the outputs never read them back.
    abc.history.stores_sum_stats = False
    generations = stopping.generations
    if stopping.epsilons:
        generations = min(generations, len(stopping.epsilons))
    history = abc.run(
        minimum_epsilon=stopping.epsilon,
        max_nr_populations=generations,
        max_total_nr_simulations=stopping.simulations,
    )
    evaluations = int(history.total_nr_simulations)
    if history.max_t < 0:
        # pyABC stops mid-generation at the budget: nothing was accepted as a posterior.
        message = (f"the budget of {stopping.simulations} parameter sets ended before "
                   f"generation 0 had its {spec.population} particles; raise it")  # fmt: skip
        raise ScenarioError([FieldViolation("stopping.simulations", message)])
    return Calibrated(spec, history, evaluations, time.perf_counter() - started, workers)
