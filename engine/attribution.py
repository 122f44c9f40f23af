"""Attribution: what switching one escape mechanism off did to escape, replicate by replicate.

A knock-out arm (:mod:`escapesim.engine.knockouts`) and the intact control run the same
replicates' random streams, so replicate k of each is a pair and its difference is that
mechanism's effect on that replicate. :func:`attribute` summarises the pairs three ways:

* **Δ P(escape)**, knock-out − intact, with Newcombe's paired interval (method 10; the
  ensemble's own statistic, :func:`escapesim.engine.summary.paired_difference`).
* **What happened to each pair's escape**, six exclusive kinds: ``prevented`` (the intact
  replicate escaped, its knock-out did not), ``delayed`` (both escaped, the knock-out
  later), ``same`` (both escaped on the same day), ``hastened`` (both escaped, the
  knock-out earlier), ``caused`` (only the knock-out escaped) and ``neither``. The share
  delayed or prevented is what a reader asks first ("how often did this mechanism
  matter?"); the exact two-sided **sign test** of (delayed + prevented) against
  (hastened + caused), ties (``same``, ``neither``) dropped, asks whether the knock-out
  moves escape later more often than earlier. The sign of a pair is known even when one
  arm did not escape within the horizon, so the test needs no model of what happens after
  the horizon.
* **The delay**, knock-out − intact escape day per pair. A replicate that did not escape
  is taken as escaping never (+∞), the convention of the summary's median time to escape
  (:func:`escapesim.engine.summary.median_time`): a prevented escape is a delay of +∞, a
  caused one −∞, and a pair where neither escaped has no delay at all and is left out.
  The median delay over the remaining pairs comes with the distribution-free interval of
  a median, the order statistics whose ranks come from Binomial(n, ½) — the interval that
  inverts the sign test, so it stays valid with infinite values and needs neither a
  bootstrap (which cannot resample ±∞) nor a censoring model. +∞ in a median or a bound
  says "prevented in that many pairs"; ``None`` means too few pairs for an interval. The
  caveat of the +∞ convention: an equilibrium at the horizon might still escape later, so
  the median is exact only where it is finite and below the horizon less the intact
  escape day of the prevented pairs — with ``delay_given`` (pairs where both escaped,
  always finite) beside it for the fully observed delays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from escapesim.engine.record import OutcomeKind
from escapesim.engine.summary import (
    Cohort,
    PairedDifference,
    compare,
    median_ranks,
)

#: The kinds a pair's escape falls in, in the order the tables show them.
KINDS = ("prevented", "delayed", "same", "hastened", "caused", "neither")
_ESCAPE = str(OutcomeKind.ESCAPE)


@dataclass(frozen=True, slots=True)
class Delay:
    """A median paired delay (days) with its 95% sign-test interval over ``pairs`` pairs.

    ±∞ is a prevented (+) or caused (−) escape; ``None``: no pair, or too few for a bound.
    """

    median: float | None
    lower: float | None
    upper: float | None
    pairs: int


@dataclass(frozen=True, slots=True)
class Attribution:
    """A knock-out arm against the intact control, pair by pair (see the module docstring)."""

    pairs: int
    escape: PairedDifference
    kinds: dict[str, int]
    sign_p: float | None
    delay: Delay
    delay_given: Delay

    @property
    def delayed_or_prevented(self) -> float:
        """The share of pairs whose escape the knock-out delayed or prevented."""
        return (self.kinds["delayed"] + self.kinds["prevented"]) / self.pairs


def attribute(knockout: Cohort, intact: Cohort) -> Attribution:
    """The attribution of ``knockout``'s mechanism, pairing replicate k with replicate k.

    Raises ``ValueError`` unless both cohorts hold the same replicate indices, once each.
    """
    escape = compare(knockout, intact)[_ESCAPE]  # checks the pairing
    position = {int(k): i for i, k in enumerate(intact.replicates)}
    days_ko = _escape_days(knockout)
    days_intact = _escape_days(intact)[[position[int(k)] for k in knockout.replicates]]
    kinds = dict.fromkeys(KINDS, 0)
    for ko, base in zip(days_ko, days_intact, strict=True):
        kinds[_kind(float(ko), float(base))] += 1
    later = kinds["delayed"] + kinds["prevented"]
    earlier = kinds["hastened"] + kinds["caused"]
    informative = ~(np.isinf(days_ko) & np.isinf(days_intact))
    with np.errstate(invalid="ignore"):
        delays = days_ko[informative] - days_intact[informative]
    both = np.isfinite(days_ko) & np.isfinite(days_intact)
    return Attribution(
        pairs=len(days_ko),
        escape=escape,
        kinds=kinds,
        sign_p=sign_test(later, earlier),
        delay=median_delay(delays),
        delay_given=median_delay(days_ko[both] - days_intact[both]),
    )


def _escape_days(cohort: Cohort) -> np.ndarray:
    """Each replicate's escape day, +∞ if it did not escape."""
    escaped = np.array([o == _ESCAPE for o in cohort.outcomes], dtype=bool)
    return np.where(escaped, cohort.outcome_times, math.inf)


def _kind(knockout: float, intact: float) -> str:
    if math.isinf(knockout) and math.isinf(intact):
        return "neither"
    if math.isinf(knockout):
        return "prevented"
    if math.isinf(intact):
        return "caused"
    if knockout > intact:
        return "delayed"
    return "hastened" if knockout < intact else "same"


def median_delay(delays: Sequence[float] | np.ndarray) -> Delay:
    """The median of paired delays (±∞ allowed) with its order-statistic (sign-test)
    95% interval; ``None`` for what ``delays`` cannot give."""
    ordered = np.sort(np.asarray(delays, dtype=float))
    n = ordered.size
    if n == 0:
        return Delay(None, None, None, 0)
    low, high = ordered[(n - 1) // 2], ordered[n // 2]
    # The mean of -∞ and +∞ is undefined: an even count split there has no one median.
    median = None if math.isinf(low) and low != high else float((low + high) / 2.0)
    ranks = median_ranks(n)
    if ranks is None:
        return Delay(median, None, None, n)
    return Delay(median, float(ordered[ranks[0] - 1]), float(ordered[ranks[1] - 1]), n)


def sign_test(above: int, below: int) -> float | None:
    """The exact two-sided sign-test p-value of ``above`` against ``below`` (ties dropped):
    twice the smaller Binomial(n, ½) tail, capped at 1; ``None`` without a pair."""
    n = above + below
    if n == 0:
        return None
    fewer = min(above, below)
    # log C(n, k) - n log 2 by lgamma: exact enough at any n, no huge integers.
    tail = sum(
        math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - n * math.log(2))
        for k in range(fewer + 1)
    )
    return min(1.0, 2.0 * tail)
