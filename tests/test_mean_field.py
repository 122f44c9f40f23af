"""Large-population limit: the mean of stochastic replicates follows the published ODEs."""

from __future__ import annotations

import numpy as np

from escapesim import engine
from tests.reference_odes import kirschner_panetta, kuznetsov


def _replicate_trajectories(scenario: engine.Scenario, names: tuple[str, ...]) -> np.ndarray:
    """Array (replicate, name, time) of every replicate's trajectories."""
    results = [engine.simulate(scenario, k) for k in range(scenario.replicates)]
    return np.array([[r.trajectory[n] for n in names] for r in results])


def _mean_trajectories(scenario: engine.Scenario, names: tuple[str, ...]) -> np.ndarray:
    return _replicate_trajectories(scenario, names).mean(axis=0)


def test_kuznetsov1994_mean_follows_the_ode_over_400_days() -> None:
    scenario = engine.Scenario.build(
        preset="kuznetsov1994", initial={"E": 3.2e5, "T": 5e6}, horizon_days=400, seed=1994,
        replicates=6,
    )  # fmt: skip
    days = np.array(scenario.sample_times())
    ode = kuznetsov(scenario.parameters, 3.2e5, 5e6, days)
    mean = _mean_trajectories(scenario, ("E", "T"))

    # First tumour peak: size within 2 %, time within 1 day (ODE: ~9.78e7 at ~34 days).
    assert abs(mean[1].max() / ode[1].max() - 1) < 0.02
    assert abs(days[mean[1].argmax()] - days[ode[1].argmax()]) <= 1.0
    # Every sampled day, both populations within 2 % of the ODE (noise here is ~0.1 %;
    # what remains is the kernel's discretisation bias, measured at ~0.6 %).
    assert np.max(np.abs(mean / ode - 1)) < 0.02


def test_kirschner_panetta1998_mean_follows_the_ode_at_c_0035() -> None:
    scenario = engine.Scenario.build(
        preset="kirschner_panetta1998", parameters={"c": 0.035},
        initial={"E": 1, "T": 100, "I": 1}, horizon_days=200, seed=1998, replicates=12,
    )  # fmt: skip
    days = np.array(scenario.sample_times())
    ode = kirschner_panetta(scenario.parameters, [1.0, 100.0, 1.0], days)
    runs = _replicate_trajectories(scenario, ("E", "T", "I"))
    mean = runs.mean(axis=0)
    standard_error = runs.std(axis=0, ddof=1) / np.sqrt(len(runs))

    # Growth to the first peak (day ~50): within 4 standard errors plus 2 % (the early
    # days start from one effector cell, where the spread between replicates is large).
    rising = days <= 60
    allowed = 4 * standard_error[:, rising] + 0.02 * ode[:, rising]
    assert np.all(np.abs(mean[:, rising] - ode[:, rising]) <= allowed)
    # Past the first trough (~170 cells) demographic noise shifts each replicate's phase,
    # so the mean is compared on the scale of the oscillation: within 10 % of its range.
    scale = ode.max(axis=1, keepdims=True)
    assert np.max(np.abs(mean - ode) / scale) < 0.10
