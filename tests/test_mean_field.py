"""Large-population limit: the mean of stochastic replicates follows the published ODEs."""

from __future__ import annotations

import numpy as np

from escapesim import engine
from tests.reference_odes import depillis, depillis2009, kirschner_panetta, kuznetsov


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


def test_depillis_mean_follows_the_ode_as_the_tumour_escapes() -> None:
    # 1e7 cells is above the mouse set's control threshold (~2.7e6 in the ODE): the tumour
    # grows to its carrying capacity (~9.8e8) while CD8 cells, activated from 0 by
    # NK-lysed debris, expand to ≥ 1e5 cells from day 1. NK cells are killed by the tumour
    # (p·N·T) down to a plateau of ~133 cells from day ~15, where one replicate's noise is
    # ~9 % and 4 replicates cannot estimate their own spread day by day.
    scenario = engine.Scenario.build(
        preset="depillis", initial={"T": 1e7, "L": 0}, horizon_days=60, seed=2005,
        replicates=4,
    )  # fmt: skip
    days = np.array(scenario.sample_times())
    y0 = [1e7, scenario.initial["N"], 0.0]
    ode = depillis(scenario.parameters, y0, days)
    runs = _replicate_trajectories(scenario, ("T", "N", "L"))
    mean = runs.mean(axis=0)
    standard_error = runs.std(axis=0, ddof=1) / np.sqrt(len(runs))

    # Day by day where every population is large (≥ 1e4 cells in the ODE, ≤ 1 % relative
    # noise per replicate; L from day 1 as it starts at 0): within 4 standard errors plus
    # 2 % (the 2 % allows the kernel's leap bias, ~0.6 % on kuznetsov1994's test above).
    large = (ode >= 1e4) & (days >= 1)
    allowed = 4 * standard_error + 0.02 * ode
    assert np.all((np.abs(mean - ode) <= allowed)[large])
    # The NK plateau (days ≥ 20, the ODE within 1 % of 132.6 cells): its relaxation rate
    # p·T ≈ 1e-7 · 9e8 ≈ 90/day makes daily samples independent, so the 4 × 41 deviations
    # from the ODE pool into one mean (standard error ≈ √133 / √164 ≈ 0.9 cells), held to
    # 4 standard errors plus the same 2 % leap allowance (over seeds 1–6 the pooled mean
    # sits ~1 % below the ODE: −1.3 standard errors on average).
    plateau = days >= 20
    assert np.ptp(ode[1, plateau]) < 1e-2 * ode[1, plateau].mean()
    deviation = (runs[:, 1, plateau] - ode[1, plateau]).ravel()
    pooled_error = deviation.std(ddof=1) / np.sqrt(deviation.size)
    assert abs(deviation.mean()) <= 4 * pooled_error + 0.02 * ode[1, plateau].mean()


def test_depillis_mean_follows_the_ode_while_the_tumour_is_controlled() -> None:
    # 1e6 cells is controlled: the mean follows the ODE while the tumour is still large
    # (ODE T ≥ 1e4, where a replicate's relative noise is ≤ 1 %), and every replicate
    # eliminates the tumour, where the ODE decays towards 0 without reaching it.
    scenario = engine.Scenario.build(
        preset="depillis", initial={"T": 1e6, "L": 0}, horizon_days=40, seed=2005,
        replicates=4,
    )  # fmt: skip
    days = np.array(scenario.sample_times())
    ode = depillis(scenario.parameters, [1e6, scenario.initial["N"], 0.0], days)
    runs = _replicate_trajectories(scenario, ("T", "N", "L"))
    mean = runs.mean(axis=0)
    standard_error = runs.std(axis=0, ddof=1) / np.sqrt(len(runs))

    large = ode[0] >= 1e4
    assert large.sum() >= 3
    allowed = 4 * standard_error[:, large] + 0.02 * ode[:, large]
    assert np.all(np.abs(mean[:, large] - ode[:, large]) <= allowed)
    assert np.all(runs[:, 0, -1] == 0)


_DEPILLIS2009 = ("T", "N", "L", "C", "M", "I")
_CHEMO = engine.Therapy(kind="chemotherapy", at_days=(0.0, 1.0, 2.0, 3.0, 4.0), dose=1.0)


def _depillis2009_case(profile: str, tumour: float, days: float) -> tuple[np.ndarray, ...]:
    """Replicates, their mean and standard error, and the ODE, under five chemo boluses."""
    scenario = engine.Scenario.build(
        preset="depillis2009", profile=profile, initial={"T": tumour}, therapies=(_CHEMO,),
        horizon_days=days, seed=2009, replicates=4,
    )  # fmt: skip
    times = np.array(scenario.sample_times())
    y0 = [scenario.initial[name] for name in _DEPILLIS2009]
    ode = depillis2009(scenario.parameters, y0, times, {"M": [(t, 1.0) for t in _CHEMO.at_days]})
    runs = _replicate_trajectories(scenario, _DEPILLIS2009)
    standard_error = runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
    return runs, runs.mean(axis=0), standard_error, ode


def test_depillis2009_mean_follows_the_ode_as_chemotherapy_fails() -> None:
    # Patient 10, 1e8 cells: five chemotherapy boluses shrink the tumour ~×40 and kill
    # lymphocytes, then it regrows to capacity. Every population stays ≥ 1e5 (≤ 0.3 %
    # noise per replicate), so day by day: within 4 standard errors plus 2 % (the 2 %
    # allows the kernel's leap bias, ~0.6 % on kuznetsov1994's test). Drug and IL-2 are
    # deterministic given the counts; the sampled M and I are compared the same way.
    _, mean, standard_error, ode = _depillis2009_case("patient10", 1e8, 40.0)
    assert ode[0, -1] > 4.9e8
    assert ode[0].min() < 1e7
    large = np.ones_like(ode, dtype=bool)
    large[4] = ode[4] >= 1e-3  # the drug once cleared is compared only while present
    allowed = 4 * standard_error + 0.02 * np.abs(ode)
    assert np.all((np.abs(mean - ode) <= allowed)[large])


def test_depillis2009_mean_follows_the_ode_as_chemotherapy_clears_the_tumour() -> None:
    # Patient 9, 1e7 cells: the same boluses clear it. The mean follows the ODE while the
    # tumour is large (ODE T ≥ 1e4, relative noise ≤ 1 %); every replicate then reaches 0.
    runs, mean, standard_error, ode = _depillis2009_case("patient9", 1e7, 30.0)
    large = np.broadcast_to(ode[0] >= 1e4, ode.shape).copy()
    large[4] &= ode[4] >= 1e-3
    assert large[0].sum() >= 3
    allowed = 4 * standard_error + 0.02 * np.abs(ode)
    assert np.all((np.abs(mean - ode) <= allowed)[large])
    assert np.all(runs[:, 0, -1] == 0)
