"""Where counts are small the kernel is exact: closed-form answers of a birth-death process."""

from __future__ import annotations

import math

import numpy as np

from escapesim import engine


def test_extinction_probability_from_one_cell_is_death_over_birth() -> None:
    # From one cell with birth 1/day and death 0.25/day the lineage dies out with
    # probability 0.25; reaching 200 cells is escape (extinction odds then 0.25**200).
    replicates = 800
    scenario = engine.Scenario.build(
        preset="birth_death", parameters={"birth": 1.0, "death": 0.25}, initial={"T": 1},
        horizon_days=10, interval_days=10, escape_threshold=200, seed=48, replicates=replicates,
    )  # fmt: skip
    outcomes = [engine.simulate(scenario, k).outcome.kind for k in range(replicates)]
    extinct = sum(o is engine.OutcomeKind.ELIMINATION for o in outcomes) / replicates
    # Extinct by day t (Kendall 1948): mu (e^{rt} - 1) / (lambda e^{rt} - mu), ~0.25 here.
    growth = math.exp((1.0 - 0.25) * scenario.horizon_days)
    expected = 0.25 * (growth - 1) / (growth - 0.25)
    # 99.9 % binomial interval: +-3.29 * sqrt(p (1 - p) / n).
    assert abs(extinct - expected) < 3.29 * math.sqrt(expected * (1 - expected) / replicates)


def test_mean_and_variance_of_a_growing_clone() -> None:
    replicates, n0, birth, death, t = 600, 10, 1.0, 0.5, 4.0
    scenario = engine.Scenario.build(
        preset="birth_death", parameters={"birth": birth, "death": death}, initial={"T": n0},
        horizon_days=t, interval_days=t, seed=1948, replicates=replicates,
    )  # fmt: skip
    final = np.array([engine.simulate(scenario, k).trajectory["T"][-1] for k in range(replicates)])
    r = birth - death
    mean = n0 * math.exp(r * t)
    variance = n0 * (birth + death) / r * math.exp(r * t) * (math.exp(r * t) - 1)
    # Sample mean: 4 standard errors. Sample variance: its standard error for a
    # near-gamma distribution is about var * sqrt(2/n) * 1.5; allow 4 of those.
    assert abs(final.mean() - mean) < 4 * math.sqrt(variance / replicates)
    assert abs(final.var(ddof=1) / variance - 1) < 4 * 1.5 * math.sqrt(2 / replicates)
