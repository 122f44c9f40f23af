"""The ensemble statistics (escapesim.engine.summary): published values, coverage by simulation with
fixed seeds, and the summary of synthetic results whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from escapesim import engine
from escapesim.engine import Outcome, OutcomeKind, Provenance, Result, Scenario
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.summary import (
    QUANTILES,
    TUMOUR,
    Cohort,
    compare,
    median_ranks,
    median_time,
    paired_difference,
    summarise,
    wilson,
)

# -- Wilson intervals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "n", "lower", "upper"),
    [
        # Newcombe, Stat Med 17:857 (1998), Table II, method 3 (Wilson score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombes_published_values(
    count: int, n: int, lower: float, upper: float
) -> None:
    found = wilson(count, n)
    assert found.lower == pytest.approx(lower, abs=5e-5)
    assert found.upper == pytest.approx(upper, abs=5e-5)
    assert found.estimate == count / n


def test_wilson_agrees_with_scipy_everywhere_on_a_grid() -> None:
    stats = pytest.importorskip("scipy.stats")
    for n in (1, 2, 7, 50, 333):
        for count in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            expected = stats.binomtest(count, n).proportion_ci(method="wilson")
            found = wilson(count, n)
            assert (found.lower, found.upper) == pytest.approx(
                (expected.low, expected.high), abs=1e-12
            )


def test_wilson_rejects_impossible_counts() -> None:
    for count, n in ((3, 2), (-1, 5), (0, 0)):
        with pytest.raises(ValueError, match="count <= n"):
            wilson(count, n)


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_wilson_coverage_by_simulation_matches_its_exact_coverage(p: float) -> None:
    """4000 binomial(50, p) draws (seed fixed): the interval covers p as often as it should.

    The exact coverage sums the binomial probabilities of the counts whose interval holds p
    (0.9507 for p = 0.2, 0.9351 for p = 0.5 — Wilson's known oscillation around 95%); the
    simulated rate must lie within 4 standard errors (±0.015) of it.
    """
    n, draws = 50, 4000
    counts = np.random.default_rng(20261127).binomial(n, p, size=draws)
    covers = [wilson(int(k), n).lower <= p <= wilson(int(k), n).upper for k in range(n + 1)]
    simulated = float(np.mean([covers[k] for k in counts]))
    exact = sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1) if covers[k])
    assert 0.93 <= exact <= 0.96
    assert simulated == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / draws))


# -- medians ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "ranks"),
    # The ranks of the distribution-free 95% CI of a median (e.g. Campbell & Gardner, in
    # Altman et al., "Statistics with Confidence", 2nd ed., Table 18.4).
    [(5, None), (6, (1, 6)), (10, (2, 9)), (20, (6, 15)), (50, (18, 33)), (100, (40, 61))],
)
def test_median_ranks_match_the_published_table(n: int, ranks: tuple[int, int] | None) -> None:
    assert median_ranks(n) == ranks


def test_median_ranks_cover_at_least_95_percent_and_are_the_tightest_that_do() -> None:
    for n in (6, 17, 64, 301, 2000):
        ranks = median_ranks(n)
        assert ranks is not None
        low = ranks[0]
        tail = sum(math.comb(n, k) for k in range(low)) / 2**n
        wider = sum(math.comb(n, k) for k in range(low + 1)) / 2**n
        assert 1 - 2 * tail >= 0.95 > 1 - 2 * wider, n


def test_median_interval_coverage_by_simulation() -> None:
    """Exponential(1) samples of 30 (seed fixed): the CI holds the true median ln 2."""
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(2000):
        found = median_time(list(rng.exponential(1.0, size=30)))
        assert found.lower is not None
        assert found.upper is not None
        hits += found.lower <= math.log(2) <= found.upper
    # Exact coverage of ranks (10, 21) for n = 30 is 0.9572; ±4 standard errors.
    assert hits / 2000 == pytest.approx(0.9572, abs=0.018)


def test_replicates_without_the_event_count_as_beyond_the_horizon() -> None:
    times: list[float | None] = [1, 2, None, 4, 5, 6, None, 8, 9, 10]
    found = median_time(times)
    # Sorted: 1 2 4 5 6 8 9 10 ∞ ∞ → median (6 + 8) / 2; ranks (2, 9) → [2, ∞).
    assert (found.estimate, found.lower, found.upper) == (7.0, 2.0, None)
    assert (found.events, found.n) == (8, 10)
    mostly_none = median_time([3.0, None, None, 1.0, None, None, None])
    assert mostly_none.estimate is None  # fewer than half had the event: not reached
    assert median_time([]).estimate is None


# -- paired differences ----------------------------------------------------------------------


def pairs(
    both: int, arm_only: int, control_only: int, neither: int
) -> tuple[list[bool], list[bool]]:
    arm = [True] * (both + arm_only) + [False] * (control_only + neither)
    control = [True] * both + [False] * arm_only + [True] * control_only + [False] * neither
    return arm, control


def test_paired_difference_matches_the_published_example() -> None:
    """Cavo et al. 2012 in Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency
    Tables" (2017), chapter 8: Newcombe square-and-add −0.0621 (95% CI −0.1186 to −0.0046)."""
    found = paired_difference(*pairs(59, 6, 16, 80))
    assert found.estimate == pytest.approx(-0.0621, abs=5e-5)
    assert found.lower == pytest.approx(-0.1186, abs=5e-5)
    assert found.upper == pytest.approx(-0.0046, abs=5e-5)
    assert (found.both, found.arm_only, found.control_only, found.neither) == (59, 6, 16, 80)


def test_paired_difference_edges() -> None:
    same = paired_difference(*pairs(0, 0, 0, 10))
    assert (same.estimate, same.lower < 0 < same.upper) == (0.0, True)
    all_change = paired_difference(*pairs(0, 0, 20, 0))
    assert all_change.estimate == -1.0
    # A margin is zero, so φ = 0: the two Wilson half-widths (0.1611 at 0/20) add in squares.
    assert all_change.lower == -1.0
    assert all_change.upper == pytest.approx(-1.0 + math.sqrt(2) * wilson(0, 20).upper)
    with pytest.raises(ValueError, match="same non-zero number"):
        paired_difference([True], [True, False])


def test_paired_interval_coverage_by_simulation_under_common_random_numbers() -> None:
    """Correlated pairs like CRN arms: a shared uniform decides both outcomes, except that
    30% of controls draw their own. True difference 0.4 − 0.6 = −0.2; n = 60, 2000 trials."""
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(2000):
        shared = rng.random(60)
        own = np.where(rng.random(60) < 0.3, rng.random(60), shared)
        found = paired_difference(list(shared < 0.4), list(own < 0.6))
        hits += found.lower <= -0.2 <= found.upper
    assert 0.93 <= hits / 2000 <= 0.985


# -- whole cells -----------------------------------------------------------------------------

BASE = Scenario.build(preset="kuznetsov1994", horizon_days=3, seed=1, replicates=10)
TIMES = np.array([0.0, 1.0, 2.0, 3.0])


def synthetic(replicate: int, kind: OutcomeKind, time: float | None) -> Result:
    """A replicate whose T is ``replicate`` throughout and whose E is 10 × that."""
    level = float(replicate)
    return Result(
        times=TIMES,
        trajectory=FrozenMap({"E": np.full(4, 10 * level), "T": np.full(4, level)}),
        counters=FrozenMap({}),
        outcome=Outcome(kind, time),
        provenance=Provenance(scenario=BASE, replicate=replicate),
    )


def cell() -> list[Result]:
    """10 replicates: 4 escape (days 5-8), 3 eliminated (days 1-3), 3 in equilibrium."""
    escape = [synthetic(k, OutcomeKind.ESCAPE, 5.0 + k) for k in range(4)]
    gone = [synthetic(4 + k, OutcomeKind.ELIMINATION, 1.0 + k) for k in range(3)]
    return escape + gone + [synthetic(k, OutcomeKind.EQUILIBRIUM, None) for k in (7, 8, 9)]


def test_summary_of_a_synthetic_cell() -> None:
    summary = summarise(Cohort.of(cell()))
    assert summary.replicates == 10
    escape = summary.outcomes["escape"]
    assert (escape.count, escape.estimate) == (4, 0.4)
    assert (escape.lower, escape.upper) == (wilson(4, 10).lower, wilson(4, 10).upper)
    assert summary.outcomes["elimination"].count == 3
    assert summary.outcomes["equilibrium"].count == 3
    # Over all 10, only 4 escaped: not reached. Among those that escaped: days 5-8.
    assert summary.time_to["escape"].estimate is None
    given = summary.time_to_given["escape"]
    assert (given.estimate, given.lower, given.upper, given.events) == (6.5, None, None, 4)
    assert summary.time_to_given["elimination"].estimate == 2.0


def test_bands_are_quantiles_across_replicates_at_each_time() -> None:
    bands = summarise(Cohort.of(cell())).bands
    assert bands.quantiles == QUANTILES
    np.testing.assert_array_equal(bands.times, TIMES)
    levels = np.arange(10.0)
    expected = np.quantile(levels, QUANTILES)  # T of replicate k is k: 0.45, 2.25, 4.5, ...
    np.testing.assert_allclose(bands.series["T"], np.repeat(expected[:, None], 4, axis=1))
    np.testing.assert_allclose(bands.series["E"], 10 * bands.series["T"])
    np.testing.assert_allclose(bands.series[TUMOUR], bands.series["T"])  # T is the tumour


def test_compare_pairs_replicate_k_with_replicate_k_in_any_order() -> None:
    control = cell()
    arm = [synthetic(r.replicate, OutcomeKind.ELIMINATION, 1.0) for r in reversed(control)]
    versus = compare(Cohort.of(arm), Cohort.of(control))
    assert versus["elimination"].estimate == pytest.approx(0.7)
    assert (versus["elimination"].both, versus["elimination"].arm_only) == (3, 7)
    assert versus["escape"].estimate == pytest.approx(-0.4)
    with pytest.raises(ValueError, match="same replicates"):
        compare(Cohort.of(arm[:5]), Cohort.of(control))


def test_a_real_cell_summarises_without_surprises() -> None:
    scenario = BASE.with_changes(replicates=3, horizon_days=5.0)
    summary = summarise(Cohort.of([engine.simulate(scenario, k) for k in range(3)]))
    assert sum(p.count for p in summary.outcomes.values()) == 3
    assert set(summary.bands.series) == {"E", "T", TUMOUR}
    assert summary.bands.series["T"].shape == (5, 6)


@pytest.mark.slow
def test_extinction_odds_of_a_founder_cell_match_branching_theory() -> None:
    """kuznetsov1994 from 1 or 2 tumour cells: with effectors at s/d, each cell divides at
    a and dies at n·s/d, so the lineage dies out with probability q = n·s/(d·a) per founder
    (q ≈ 0.193; q² from two). The ensemble's Wilson intervals must hold q and q²."""
    from escapesim.engine.ensemble import Ensemble

    ensemble = Ensemble.from_dict(
        {
            "scenario": {
                "preset": "kuznetsov1994",
                "horizon_days": 60,
                "interval_days": 60,
                "seed": 99,
            },
            "replicates": 800,
            "grid": {"initial": {"T": [1, 2]}},
        }
    )
    p = ensemble.scenario.parameters
    q = p["n"] * p["s"] / (p["d"] * p["a"])
    for cell, expected in zip(ensemble.points(), (q, q * q), strict=True):
        results = [engine.simulate(cell.scenario, k) for k in range(ensemble.replicates)]
        share = summarise(Cohort.of(results)).outcomes["elimination"]
        assert share.lower <= expected <= share.upper, (cell.values, share, expected)
