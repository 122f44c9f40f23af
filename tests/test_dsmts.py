"""The kernel against the SBML Discrete Stochastic Models Test Suite's criteria.

DSMTS (Evans, Gillespie & Wilkinson, Bioinformatics 24:285, 2008): n = 10,000
replicates with a fixed seed, every sample time t = 1..50 of every model judged by

* the mean: ``Z = sqrt(n)·(X̄ − μ)/σ`` within ±3, and
* the variance: ``Y = sqrt(n/2)·(S²/σ² − 1)`` within ±5,

against the exact mean μ and variance σ² (:mod:`tests.dsmts_support` computes them:
closed forms, or the chemical master equation for dimerisation). Where the exact
variance is zero (t = 0, the instant after a reset) every replicate must hit the exact
value instead.

Why these limits hold for an exact simulator: with n = 10,000 the sample mean is normal
to a very good approximation, so Z ~ N(0, 1) and P(|Z| ≥ 3) = 0.27 % per sample; samples
of one replicate set are strongly correlated in time, so a model's 50 samples behave like
a handful of independent ones (a few % chance of one miss per model, the suite's own
allowance). Over this module's ~25 judged runs that is an even chance of one miss
somewhere at any one seed — measured: after the per-component streams changed every draw,
birth–death 0.1/0.11 from 10⁴ missed once (Z = +3.42 at t = 1, seed 2008) and passed at
seeds 2009–2011 (worst |Z| 1.4–2.0). So a run that misses is judged again, once, at a
second fixed seed (:data:`SECOND_SEED`) and must pass there at every sample: a correct
kernel then fails a model with probability ~(a few %)² ≈ 0.1%, while an error large
enough to break the limits breaks them at both seeds.

``S²`` has variance ``σ⁴(2/(n−1) + γ₂/n)`` (γ₂ the excess kurtosis), so the normal-theory
Y has standard deviation ``sqrt(1 + γ₂/2)``: ±5 is still ≥ 3.5 of them wherever γ₂ ≤ 2,
which covers the Poisson, binomial and compound-Poisson laws here (γ₂ ≈ 1/mean, at most
~1 at t = 1).

**The heavy-tailed case.** Late in a fast birth–death process (birth 1.0, death 1.1 from
100, t = 30–50) most lineages are extinct and the survivors' law has a long geometric
tail: γ₂ reaches the tens, and the normal-theory Y rejects even an exact SSA. There (the
cases marked ``heavy_tailed``, where the exact law's γ₂ exceeds 2 at some sample, see
:func:`tests.dsmts_support.birth_death_kurtosis`) S² is standardised with the sample's own
fourth moment, ``Var S² ≈ (m₄ − S⁴(n−3)/(n−1))/n``, asymptotically N(0, 1) for any law
with a finite eighth moment; the limit stays ±5.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from escapesim import engine
from tests.dsmts_kernel import kernel_alone, kernel_samples
from tests.dsmts_support import (
    CASES,
    Case,
    run_case,
    run_replicates,
    score,
    simulation_samples,
    two_sample_scores,
)

#: The suite's replicate count and limits, and this module's fixed seed.
REPLICATES = 10_000
Z_LIMIT = 3.0
Y_LIMIT = 5.0
SEED = 2008
#: The one re-judgement a run that misses at SEED gets (see the module doc).
SECOND_SEED = 2009

#: Cases whose mean stays below 1000 cost at most ~5,000 events a replicate exactly: cheap
#: enough to run fully exact by default. The others (10⁵–10⁶ events) run in the slow suite.
SMALL = tuple(c for c in CASES if c.moments()[0].max() < 1000)


def _judge(case: Case, settings: engine.KernelSettings | None) -> None:
    scores = score(case, run_case(case, SEED, REPLICATES, settings))
    missed = scores.failures(Z_LIMIT, Y_LIMIT)
    if not missed:
        return
    again = score(case, run_case(case, SECOND_SEED, REPLICATES, settings))
    assert again.failures(Z_LIMIT, Y_LIMIT) == [], (
        f"{case.name}: missed at seed {SEED} ({', '.join(missed)}) and again at seed "
        f"{SECOND_SEED}: worst |Z| {again.worst_z:.2f}, |Y| {again.worst_y:.2f}"
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hybrid_kernel_meets_the_suite_criteria(case: Case) -> None:
    _judge(case, None)


# Slow since session 5 (~110 s of a ~10-minute CI on 2 cores): the exact mode is Gillespie's
# direct method, exact by construction; the hybrid kernel above is what CI must hold.
@pytest.mark.slow
@pytest.mark.parametrize("case", SMALL, ids=lambda c: c.name)
def test_exact_mode_meets_the_suite_criteria(case: Case) -> None:
    _judge(case, engine.KernelSettings(exact=True))


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in CASES if c not in SMALL], ids=lambda c: c.name)
def test_exact_mode_meets_the_suite_criteria_at_large_counts(case: Case) -> None:
    _judge(case, engine.KernelSettings(exact=True))


@pytest.mark.slow
def test_kuznetsov_at_1_1000_scale_meets_the_criteria_against_an_exact_ssa() -> None:
    """bench_kernel's 1/1000 kuznetsov1994 case, days 1–100: the hybrid kernel against
    ``benchmarks/ssa_direct.py`` (an exact direct method sharing no code with the engine),
    n = 10,000 replicates each, two-sample Z (±3) and fourth-moment Y (±5) of T and E.

    Resolution: at n = 10⁴ a side the variance ratio's standard error is about
    sqrt(4/n)·sqrt(1 + γ₂/2) ≈ 2–3 %, so a 5 % variance error shows as |Y| ≈ 2
    (and fails ±5 above ~12 %); the test also prints the worst ratio for the record.
    """
    benchmarks = str(Path(__file__).resolve().parent.parent / "benchmarks")
    sys.path.insert(0, benchmarks)
    try:
        import bench_kernel
        import ssa_direct
    finally:
        sys.path.remove(benchmarks)
    scenario = engine.Scenario.build(
        preset="kuznetsov1994", parameters=bench_kernel.REDUCED,
        initial={"E": bench_kernel.REDUCED_INITIAL[0], "T": bench_kernel.REDUCED_INITIAL[1]},
        horizon_days=bench_kernel.REDUCED_HORIZON, interval_days=1.0, seed=SEED,
        replicates=REPLICATES, escape_threshold=1e12,
    )  # fmt: skip
    ours = run_replicates(scenario, ("E", "T"))
    times = scenario.sample_times()
    e, t, _ = ssa_direct.direct_method(
        bench_kernel.REDUCED, bench_kernel.REDUCED_INITIAL, times, REPLICATES, SEED
    )
    failures = []
    for i, (name, exact) in enumerate((("E", e), ("T", t))):
        z, y = two_sample_scores(ours[:, 1:, i], exact[:, 1:])
        ratio = ours[:, 1:, i].var(axis=0, ddof=1) / exact[:, 1:].var(axis=0, ddof=1)
        print(f"{name}: worst |Z| {np.abs(z).max():.2f}, |Y| {np.abs(y).max():.2f}, "
              f"variance ratio {ratio.min():.3f}–{ratio.max():.3f}")  # fmt: skip
        failures += [f"{name} day {d}: Z={v:+.2f}" for d, v in enumerate(z, 1) if abs(v) >= Z_LIMIT]
        failures += [f"{name} day {d}: Y={v:+.2f}" for d, v in enumerate(y, 1) if abs(v) >= Y_LIMIT]
    assert failures == []


@pytest.mark.parametrize(
    "settings", [None, engine.KernelSettings(exact=True)], ids=["hybrid", "exact"]
)
def test_the_kernel_alone_gives_the_simulations_trajectories(
    settings: engine.KernelSettings | None,
) -> None:
    """The models without a timed event run on the kernel alone (tests.dsmts_kernel,
    for CI time): the judged numbers must be bitwise a full simulation's."""
    alone = [c for c in CASES if kernel_alone(c.scenario(SEED, 20), c.network)]
    assert len(alone) == len(CASES) - 1, "all but the reset run on the kernel alone"
    # Exactly, the large-count models cost ~10⁵–10⁶ events a replicate: the small ones
    # cover the exact path's stops (extinction, the burden watch) at a fraction of that.
    for case in alone if settings is None else [c for c in alone if c in SMALL]:
        scenario = case.scenario(SEED, 20)
        simulated = simulation_samples(scenario, case.network, (case.species,), 0, 20, settings)
        direct = kernel_samples(scenario, case.network, case.species, 0, 20, settings)
        assert np.array_equal(direct, simulated[:, :, 0]), case.name


def test_exact_mode_never_leaps_even_at_large_counts() -> None:
    scenario = engine.Scenario.build(
        preset="birth_death", parameters={"birth": 1.0, "death": 1.0}, initial={"T": 10_000},
        horizon_days=1.0, interval_days=1.0, seed=3,
    )  # fmt: skip
    exact = engine.Simulation(scenario, 0, settings=engine.KernelSettings(exact=True))
    result = exact.run()
    leaps = ("leap", "critical", "calendar")  # the ends of a leap (kernel.Kernel.step_ends)
    assert [exact.step_ends[end] for end in leaps] == [0, 0, 0]
    assert exact.step_ends["exact"] > 0
    # Every event is one firing: about (birth + death)·T·t = 20,000 of them.
    assert abs(sum(result.counters.values()) - 20_000) < 5 * np.sqrt(20_000)
    hybrid = engine.Simulation(scenario, 0)
    hybrid.run()
    assert sum(hybrid.step_ends[end] for end in leaps) > 0


def test_an_unknown_leap_rule_is_refused_naming_the_field() -> None:
    message = r"^leap: must be one of poisson, midpoint, trapezoidal, got 'euler'$"
    with pytest.raises(ValueError, match=message):
        engine.KernelSettings(leap="euler")
