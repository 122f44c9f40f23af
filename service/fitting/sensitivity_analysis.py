"""The sensitivity driver: a SALib design, evaluated by any evaluator, analysed by SALib.

:func:`analyse` takes a :class:`~.sensitivity_spec.SensitivitySpec` and an *evaluator*
(parameter sets in, one row of outcome quantities per set out) and returns the design and
the indices as Arrow tables. The command line's evaluator simulates on a local executor
(:mod:`.sensitivity_runs`); a durable job can pass its own (on the service's executor,
with progress and cancellation), and a test a closed-form function.

Indices (one row per quantity × parameter): Sobol's ``S1`` and ``ST`` with the half-widths
of their 95 % bootstrap intervals (``S1_conf``, ``ST_conf``; SALib's normal-approximation
intervals over 1,000 resamples); Morris's ``mu_star`` (mean absolute elementary effect,
with its 95 % bootstrap half-width ``mu_star_conf``) and ``sigma``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from escapesim.service.fitting.sensitivity_spec import SensitivitySpec

#: Parameter sets (one dict per set) → one row per set, one column per quantity.
Evaluator = Callable[[Sequence[dict[str, float]]], np.ndarray]
#: Bootstrap resamples of every interval.
RESAMPLES = 1000
MORRIS_LEVELS = 4


@dataclass(frozen=True)
class SensitivityResult:
    """The design (``samples``: one row per parameter set with its quantities) and the
    ``indices`` (one row per quantity × parameter)."""

    samples: pa.Table
    indices: pa.Table


def problem(spec: SensitivitySpec) -> dict[str, Any]:
    """SALib's problem (log factors in log10)."""
    return {
        "num_vars": len(spec.factors),
        "names": [f.parameter for f in spec.factors],
        "bounds": [f.bounds() for f in spec.factors],
    }


def design(spec: SensitivitySpec) -> np.ndarray:
    """The SALib design in its coordinates (one row per parameter set), from ``spec.seed``."""
    if spec.method == "sobol":
        return np.asarray(sobol_sample.sample(
            problem(spec), spec.samples, calc_second_order=False, seed=spec.seed
        ))  # fmt: skip
    return np.asarray(
        morris_sample.sample(problem(spec), spec.samples, num_levels=MORRIS_LEVELS, seed=spec.seed)
    )


def parameter_sets(spec: SensitivitySpec, coordinates: np.ndarray) -> list[dict[str, float]]:
    """Each design row as parameter values."""
    return [
        {f.parameter: f.value(c) for f, c in zip(spec.factors, row, strict=True)}
        for row in coordinates
    ]


def analyse(spec: SensitivitySpec, evaluate: Evaluator) -> SensitivityResult:
    """Sample, evaluate every parameter set, and compute the indices of every quantity."""
    coordinates = design(spec)
    sets = parameter_sets(spec, coordinates)
    outputs = np.asarray(evaluate(sets), dtype=float).reshape(len(sets), len(spec.quantities))
    rows = [
        row
        for j, quantity in enumerate(spec.quantities)
        for row in _indices(spec, coordinates, outputs[:, j], quantity.name)
    ]
    samples = {
        "sample": list(range(len(sets))),
        **{f.parameter: [s[f.parameter] for s in sets] for f in spec.factors},
        **{q.name: outputs[:, j].tolist() for j, q in enumerate(spec.quantities)},
    }
    return SensitivityResult(samples=pa.table(samples), indices=pa.Table.from_pylist(rows))


def _indices(
    spec: SensitivitySpec, coordinates: np.ndarray, output: np.ndarray, quantity: str
) -> list[dict[str, Any]]:
    names = [f.parameter for f in spec.factors]
    if np.ptp(output) == 0:
        # A constant output has no variance to apportion: every index is zero (SALib
        # would divide by zero).
        empty = {"S1": 0.0, "S1_conf": 0.0, "ST": 0.0, "ST_conf": 0.0} if spec.method == "sobol" \
            else {"mu_star": 0.0, "mu_star_conf": 0.0, "sigma": 0.0}  # fmt: skip
        return [{"quantity": quantity, "parameter": n, **empty} for n in names]
    if spec.method == "sobol":
        found = sobol_analysis.analyze(
            problem(spec), output, calc_second_order=False, num_resamples=RESAMPLES,
            seed=spec.seed,
        )  # fmt: skip
        keys: tuple[str, ...] = ("S1", "S1_conf", "ST", "ST_conf")
    else:
        found = morris_analysis.analyze(
            problem(spec), coordinates, output, num_resamples=RESAMPLES,
            num_levels=MORRIS_LEVELS, seed=spec.seed,
        )  # fmt: skip
        keys = ("mu_star", "mu_star_conf", "sigma")
    return [
        {"quantity": quantity, "parameter": n, **{k: float(found[k][i]) for k in keys}}
        for i, n in enumerate(names)
    ]
