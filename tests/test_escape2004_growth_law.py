"""The Gompertz growth option: its stochastic mean follows its ODE at large numbers.

The tumour alone (no presentation, priming, cytotoxicity or variants), from 1e6 cells,
whose Gompertz ODE ``dT/dt = (α − β·ln T)·T`` (α = division − death) has the solution
``ln T(t) = α/β + (ln T0 − α/β)·e^(−βt)``.
"""

from __future__ import annotations

import numpy as np

from escapesim.engine import simulate
from tests.escape2004_support import scenario, tumour

ALONE = {"presentation": False, "priming": False, "cytotoxicity": False, "variants": False}
T0 = 1e6


def gompertz_ode(alpha: float, beta: float, days: np.ndarray) -> np.ndarray:
    """The Gompertz ODE's solution from ``T0``."""
    plateau = alpha / beta
    return np.exp(plateau + (np.log(T0) - plateau) * np.exp(-beta * days))


def test_gompertz_mean_follows_its_ode() -> None:
    s = scenario(
        initial={"T": T0}, mechanisms={**ALONE, "gompertz_growth": True}, horizon_days=120.0,
        escape_threshold=1e12, replicates=3,
    )  # fmt: skip
    p = s.parameters
    days = np.array(s.sample_times())
    ode = gompertz_ode(p["division_rate"] - p["death_rate"], p["gompertz_rate"], days)
    runs = np.array([tumour(simulate(s, k)) for k in range(3)])
    mean, se = runs.mean(axis=0), runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
    # Within 4 standard errors plus 2 % (the kernel's leap bias, ~0.6 % on
    # kuznetsov1994's mean-field test); ≥ 1e6 cells, so demographic noise is ≤ 0.1 %.
    assert np.all(np.abs(mean - ode) <= 4 * se + 0.02 * ode)
    assert ode[-1] > 20 * T0  # the test covers the deceleration, not only the start


def test_gompertz_decelerates_earlier_than_logistic() -> None:
    # Same capacity and initial rate (the default β), same seed: Gompertz's per-cell rate
    # falls with ln T, logistic's only near capacity, so at 1e8-1e9 Gompertz is slower.
    sizes = {}
    for law in (True, False):
        s = scenario(initial={"T": T0}, mechanisms={**ALONE, "gompertz_growth": law},
                     horizon_days=40.0, escape_threshold=1e12)  # fmt: skip
        sizes[law] = tumour(simulate(s))[-1]
    assert sizes[True] < 0.1 * sizes[False]
