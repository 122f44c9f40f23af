"""Outcomes are dated at the event that decides them, not at the end of a kernel step.

Below ``exact_below`` (100 cells) every event fires exactly, in bursts of up to 100; the
compiled loop stops the moment the tumour leaves (0, escape threshold), so the outcome's
time is the deciding event's. Both tests compare with closed forms (400 replicates,
fixed seeds).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from escapesim import engine

REPLICATES = 400


def outcome_times(initial: int, birth: float, death: float, threshold: float) -> np.ndarray:
    scenario = engine.Scenario.build(
        preset="birth_death", parameters={"birth": birth, "death": death},
        initial={"T": initial}, horizon_days=20.0, escape_threshold=threshold, seed=17,
    )  # fmt: skip
    times = [engine.simulate(scenario, k).outcome.time for k in range(REPLICATES)]
    assert all(t is not None for t in times)
    return np.array(times, dtype=float)


def test_extinction_is_dated_at_the_last_death() -> None:
    # Pure death of 30 cells: extinction comes with the last of 30 Exp(1) lifetimes,
    # P(T <= t) = (1 - e^-t)^30.
    times = outcome_times(initial=30, birth=0.0, death=1.0, threshold=1e6)
    result = stats.kstest(times, lambda t: (1.0 - np.exp(-t)) ** 30)
    assert result.pvalue > 0.01, result


def test_escape_is_dated_at_the_division_that_reaches_the_threshold() -> None:
    # Pure birth (Yule) from one cell: reaching 50 cells takes Exp(1) + Exp(2) + ... +
    # Exp(49) days. A time read at the end of a burst of exact events would be late.
    times = outcome_times(initial=1, birth=1.0, death=0.0, threshold=50.0)
    rates = np.arange(1, 50, dtype=float)
    mean, sd = float(np.sum(1.0 / rates)), float(np.sqrt(np.sum(1.0 / rates**2)))
    standard_error = sd / np.sqrt(REPLICATES)
    assert abs(times.mean() - mean) < 4.0 * standard_error, (times.mean(), mean)
    assert abs(times.std() - sd) < 0.15 * sd, (times.std(), sd)
