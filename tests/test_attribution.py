"""Attribution statistics (escapesim.engine.attribution) on constructed pairs whose answers
are known by hand, and the sign test against its exact binomial definition."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from escapesim.engine.attribution import attribute, median_delay, sign_test
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.summary import Cohort, paired_difference
from escapesim.service.results.attribution_table import attribution_document


def _cohort(days: list[float | None], replicates: list[int] | None = None) -> Cohort:
    """Replicates escaping on ``days`` (``None``: ended in equilibrium instead)."""
    n = len(days)
    return Cohort(
        replicates=np.array(replicates if replicates is not None else range(n), dtype=np.int64),
        outcomes=tuple("equilibrium" if d is None else "escape" for d in days),
        outcome_times=np.array([math.nan if d is None else d for d in days]),
        times=np.array([0.0]),
        series=FrozenMap({}),
    )


# Eight constructed pairs, intact → knock-out escape day (None: no escape):
#   0: 10 → 15  delayed +5      4: 30 → None prevented +∞
#   1: 20 → 22  delayed +2      5: None → 40 caused −∞
#   2: 25 → 25  same 0          6: None → None neither (no delay)
#   3: 40 → 35  hastened −5     7: 12 → None prevented +∞
INTACT = [10.0, 20.0, 25.0, 40.0, 30.0, None, None, 12.0]
KNOCKOUT = [15.0, 22.0, 25.0, 35.0, None, 40.0, None, None]


def test_each_pair_is_classified_and_counted_by_hand() -> None:
    found = attribute(_cohort(KNOCKOUT), _cohort(INTACT))
    assert found.pairs == 8
    assert found.kinds == {"prevented": 2, "delayed": 2, "same": 1, "hastened": 1,
                           "caused": 1, "neither": 1}  # fmt: skip
    assert found.delayed_or_prevented == 4 / 8
    # The escape difference is the ensemble's own paired statistic: 5 of 8 vs 6 of 8.
    expected = paired_difference([d is not None for d in KNOCKOUT],
                                 [d is not None for d in INTACT])  # fmt: skip
    assert found.escape == expected
    assert found.escape.estimate == pytest.approx((5 - 6) / 8)
    # Sign test: 4 later against 2 earlier, ties dropped: 2·P(B(6, ½) ≤ 2) = 2·22/64.
    assert found.sign_p == pytest.approx(2 * 22 / 64)


def test_the_delay_ranks_prevented_as_plus_infinity_and_drops_neither() -> None:
    found = attribute(_cohort(KNOCKOUT), _cohort(INTACT))
    # Seven informative pairs, sorted: −∞, −5, 0, +2, +5, +∞, +∞; the median is the 4th.
    assert found.delay.pairs == 7
    assert found.delay.median == 2.0
    # Seven pairs are too few for a 95% distribution-free interval (it needs 6 at least,
    # ranks 1 and 7 then: coverage 1 − 2/128 = 98.4%).
    assert (found.delay.lower, found.delay.upper) == (-math.inf, math.inf)
    # Both escaped in four pairs: +5, +2, 0, −5 → median (0 + 2)/2.
    assert found.delay_given.pairs == 4
    assert found.delay_given.median == 1.0
    assert (found.delay_given.lower, found.delay_given.upper) == (None, None)


def test_pairs_follow_the_replicate_index_not_the_row_order() -> None:
    order = [3, 0, 7, 1, 6, 2, 5, 4]
    shuffled = _cohort([KNOCKOUT[k] for k in order], replicates=order)
    assert attribute(shuffled, _cohort(INTACT)) == attribute(_cohort(KNOCKOUT), _cohort(INTACT))
    with pytest.raises(ValueError, match="same replicates"):
        attribute(_cohort(KNOCKOUT[:5]), _cohort(INTACT))


def test_a_knock_out_that_delays_every_escape_has_a_finite_interval() -> None:
    # 20 pairs, each delayed by 1…20 days: median 10.5; the 95% ranks of n = 20 are 6 and
    # 15 (P(B(20, ½) ≤ 5) = 0.0207 ≤ 0.025 < P(B ≤ 6) = 0.0577), so the interval is [6, 15].
    intact = [float(10 * k + 50) for k in range(20)]
    knockout = [day + k + 1 for k, day in enumerate(intact)]
    found = attribute(_cohort(knockout), _cohort(intact))
    assert found.kinds["delayed"] == 20
    assert found.delayed_or_prevented == 1.0
    assert (found.delay.median, found.delay.lower, found.delay.upper) == (10.5, 6.0, 15.0)
    assert found.sign_p == pytest.approx(2 * 0.5**20)
    assert found.escape.estimate == 0.0


def test_a_mechanism_that_does_nothing_changes_nothing() -> None:
    found = attribute(_cohort(INTACT), _cohort(INTACT))
    assert found.kinds["same"] == 6
    assert found.kinds["neither"] == 2
    assert found.sign_p is None  # every pair tied
    assert found.delay.median == 0.0
    assert found.delayed_or_prevented == 0.0


def test_median_delay_edge_cases() -> None:
    assert median_delay([]).median is None
    assert median_delay([]).pairs == 0
    # An even split between −∞ and +∞ has no one median.
    assert median_delay([-math.inf, math.inf]).median is None
    assert median_delay([3.0, math.inf]).median == math.inf


@pytest.mark.parametrize(("above", "below"), [(0, 0), (5, 0), (3, 3), (7, 2), (40, 55)])
def test_sign_test_is_twice_the_smaller_binomial_tail(above: int, below: int) -> None:
    n = above + below
    if n == 0:
        assert sign_test(above, below) is None
        return
    tail = sum(math.comb(n, k) for k in range(min(above, below) + 1)) / 2**n
    assert sign_test(above, below) == pytest.approx(min(1.0, 2 * tail), rel=1e-12)


def test_the_summary_document_writes_an_infinite_delay_as_null() -> None:
    found = attribute(_cohort(KNOCKOUT), _cohort(INTACT))
    document = attribution_document(found)
    # Bounds −∞ and +∞ (seven pairs: ranks 1 and 7) cannot be JSON numbers.
    assert document["delay"] == {"median": 2.0, "lower": None, "upper": None, "pairs": 7}
    assert document["kinds"]["prevented"] == 2
    assert json.loads(json.dumps(document, allow_nan=False)) == document
