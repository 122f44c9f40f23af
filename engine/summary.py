"""What an ensemble cell says: outcome probabilities, median event times, quantile bands,
and the paired difference of an arm against the control arm.

The statistics, and how they treat replicates in which an event did not happen:

* **Outcome probabilities** with the 95% Wilson score interval (Wilson 1927; method 3
  of Newcombe, Stat Med 17:857, 1998), which keeps its coverage near 0 and 1 where the
  Wald interval collapses.
* **Median time to escape / elimination**, two ways, both distribution-free:

  - ``time_to``: over *all* replicates of the cell. A replicate without the event (it
    ended in equilibrium, or in the other outcome) never has it within the horizon, so its
    time is taken as +∞ — exact, not an imputation: all such replicates lie beyond every
    observed event time. The median is the ordinary sample median and is *not reached*
    (``None``) when its middle order statistic is +∞ (fewer than half the replicates had
    the event), as in a clinical "median not reached".
  - ``time_to_given``: over the replicates *with* the event only — how fast the event
    happens when it does.

  The 95% interval is the order-statistic interval ``[x_(l), x_(n-l+1)]`` whose ranks come
  from Binomial(n, 1/2) (coverage ≥ 95% whatever the distribution); a bound that is +∞
  is reported as ``None`` (not reached), and with fewer than 6 replicates no ranks give
  95% so both bounds are ``None``.
* **Quantile bands** (5, 25, 50, 75, 95%) of every sampled series across replicates at
  each sampling time (linear interpolation between order statistics, numpy's default),
  plus ``tumour``, the total over the preset's tumour species.
* **Paired difference** arm − control in the probability of each outcome, replicate k
  against replicate k (common random numbers make the pairs correlated, which narrows the
  interval): Newcombe's hybrid score interval for paired proportions (Stat Med 17:2635,
  1998, method 10, with its continuity-corrected φ).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from escapesim.engine.frozen import FrozenMap
from escapesim.engine.record import OutcomeKind, Result

#: The standard normal quantile of a two-sided 95% interval.
Z95 = 1.959963984540054
CONFIDENCE = 0.95
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: The derived series: every tumour species summed.
TUMOUR = "tumour"
#: The outcomes that happen at a time (equilibrium is the absence of both).
TIMED = (OutcomeKind.ESCAPE, OutcomeKind.ELIMINATION)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Proportion:
    """``count`` of ``n`` replicates, the estimate and its 95% Wilson interval."""

    count: int
    n: int
    estimate: float
    lower: float
    upper: float


@dataclass(frozen=True, slots=True)
class MedianTime:
    """A median event time (days) with its 95% order-statistic interval.

    ``None`` means *not reached* (an estimate or upper bound beyond the horizon) or, for
    a lower bound, *unbounded* (too few replicates for a 95% interval).
    """

    estimate: float | None
    lower: float | None
    upper: float | None
    events: int
    n: int


@dataclass(frozen=True, slots=True)
class PairedDifference:
    """Arm − control in one outcome's probability over paired replicates, with its 95% CI.

    The 2×2 table of pairs: ``both`` had the outcome, ``arm_only``, ``control_only``,
    ``neither``.
    """

    both: int
    arm_only: int
    control_only: int
    neither: int
    estimate: float
    lower: float
    upper: float


@dataclass(frozen=True, slots=True)
class Bands:
    """Quantiles across replicates of each series: ``series[name][q, t]``."""

    times: FloatArray
    quantiles: tuple[float, ...]
    series: FrozenMap[FloatArray]


@dataclass(frozen=True, slots=True)
class CellSummary:
    """Everything summarised about the replicates of one ensemble cell."""

    replicates: int
    outcomes: FrozenMap[Proportion]
    time_to: FrozenMap[MedianTime]
    time_to_given: FrozenMap[MedianTime]
    bands: Bands


# -- single proportions --------------------------------------------------------------------


def wilson(count: int, n: int, z: float = Z95) -> Proportion:
    """The Wilson score interval of ``count`` successes in ``n`` trials."""
    if not 0 <= count <= n or n < 1:
        raise ValueError(f"need 0 <= count <= n and n >= 1, got {count} of {n}")
    p = count / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # Clamp rounding only: mathematically the interval always lies within [0, 1].
    lower = 0.0 if count == 0 else max(0.0, centre - half)
    upper = 1.0 if count == n else min(1.0, centre + half)
    return Proportion(count=count, n=n, estimate=p, lower=lower, upper=upper)


# -- medians -------------------------------------------------------------------------------


def median_ranks(n: int, confidence: float = CONFIDENCE) -> tuple[int, int] | None:
    """1-based ranks ``(l, n - l + 1)`` of the distribution-free interval of a median.

    ``l`` is the largest rank with P(Binomial(n, ½) ≤ l − 1) ≤ (1 − confidence)/2, so the
    coverage ``1 − 2·P(B ≤ l − 1)`` is at least ``confidence``; ``None`` if no rank is.
    """
    if n < 1:
        return None
    tail = (1.0 - confidence) / 2.0
    # log P(B = k) by the ratio recursion, summed in floating point: exact enough for
    # n up to millions and free of huge binomial coefficients.
    steps = np.log(np.arange(n, 0, -1, dtype=float)) - np.log(np.arange(1, n + 1, dtype=float))
    log_pmf = np.concatenate([[-n * math.log(2.0)], -n * math.log(2.0) + np.cumsum(steps)])
    cdf = np.cumsum(np.exp(log_pmf))
    # l − 1 = the largest k with cdf[k] <= tail, i.e. l = the count of such k.
    lower = int(np.searchsorted(cdf, tail, side="right"))
    if lower < 1:
        return None
    return lower, n - lower + 1


def median_time(times: Sequence[float | None], confidence: float = CONFIDENCE) -> MedianTime:
    """The median of event times with its order-statistic interval; ``None`` = no event (+∞)."""
    n = len(times)
    ordered = np.sort(np.array([math.inf if t is None else t for t in times], dtype=float))
    events = int(np.isfinite(ordered).sum())
    if n == 0:
        return MedianTime(None, None, None, 0, 0)
    middle = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2.0
    ranks = median_ranks(n, confidence)
    lower = upper = None
    if ranks is not None:
        lower, upper = _finite(ordered[ranks[0] - 1]), _finite(ordered[ranks[1] - 1])
    return MedianTime(_finite(middle), lower, upper, events, n)


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


# -- paired differences --------------------------------------------------------------------


def paired_difference(
    arm: Sequence[bool], control: Sequence[bool], z: float = Z95
) -> PairedDifference:
    """Arm − control in a proportion over pairs (replicate k of each), Newcombe's method 10.

    Raises ``ValueError`` unless both hold the same, non-zero number of pairs.
    """
    if len(arm) != len(control) or not arm:
        raise ValueError(f"need the same non-zero number of pairs, got {len(arm)}, {len(control)}")
    a = sum(1 for x, y in zip(arm, control, strict=True) if x and y)
    b = sum(1 for x, y in zip(arm, control, strict=True) if x and not y)
    c = sum(1 for x, y in zip(arm, control, strict=True) if y and not x)
    d = len(arm) - a - b - c
    n = len(arm)
    first, second = wilson(a + b, n, z), wilson(a + c, n, z)
    phi = _phi(a, b, c, d)
    p1, p2 = first.estimate, second.estimate
    below = _combine(p1 - first.lower, second.upper - p2, phi)
    above = _combine(first.upper - p1, p2 - second.lower, phi)
    estimate = (b - c) / n
    return PairedDifference(
        both=a,
        arm_only=b,
        control_only=c,
        neither=d,
        estimate=estimate,
        lower=max(-1.0, estimate - below),
        upper=min(1.0, estimate + above),
    )


def _phi(a: int, b: int, c: int, d: int) -> float:
    """The correlation of the pair, continuity-corrected as Newcombe does (0 if a margin is)."""
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins == 0:
        return 0.0
    n = a + b + c + d
    cross: float = a * d - b * c
    if cross > n / 2:
        cross -= n / 2
    elif cross >= 0:
        cross = 0.0
    return cross / math.sqrt(margins)


def _combine(one: float, other: float, phi: float) -> float:
    return math.sqrt(max(one * one + other * other - 2.0 * phi * one * other, 0.0))


# -- a whole cell --------------------------------------------------------------------------


def bands(times: FloatArray, series: Mapping[str, FloatArray]) -> Bands:
    """Quantile bands of each ``series[name]`` (replicates × times) at each time."""
    levels = np.array(QUANTILES)
    return Bands(
        times=np.asarray(times, dtype=float),
        quantiles=QUANTILES,
        series=FrozenMap(
            {name: np.quantile(values, levels, axis=0) for name, values in series.items()}
        ),
    )


@dataclass(frozen=True, slots=True)
class Cohort:
    """One cell's replicates in array form: all a summary needs, from results or tables.

    ``outcomes[i]`` and ``outcome_times[i]`` (NaN for equilibrium) belong to replicate
    ``replicates[i]``; ``series[name][i]`` is its trajectory at ``times``.
    """

    replicates: npt.NDArray[np.int64]
    outcomes: tuple[str, ...]
    outcome_times: FloatArray
    times: FloatArray
    series: FrozenMap[FloatArray]

    @classmethod
    def of(cls, results: Sequence[Result]) -> Cohort:
        """The cohort of ``results`` (one scenario), with the :data:`TUMOUR` total added.

        Raises ``ValueError`` if there are none or they were not sampled at the same times.
        """
        if not results:
            raise ValueError("a cohort needs at least one replicate")
        times = results[0].times
        if any(not np.array_equal(r.times, times) for r in results):
            raise ValueError("replicates of one cell must share their sampling times")
        names = list(results[0].trajectory)
        series = {name: np.stack([r.trajectory[name] for r in results]) for name in names}
        tumour = results[0].provenance.scenario.network().tumour
        return cls(
            replicates=np.array([r.replicate for r in results], dtype=np.int64),
            outcomes=tuple(str(r.outcome.kind) for r in results),
            outcome_times=np.array(
                [math.nan if r.outcome.time is None else r.outcome.time for r in results]
            ),
            times=np.asarray(times, dtype=float),
            series=FrozenMap(with_tumour(series, tumour)),
        )

    def __len__(self) -> int:
        return len(self.outcomes)


def with_tumour(series: Mapping[str, FloatArray], tumour: Sequence[str]) -> dict[str, FloatArray]:
    """``series`` plus :data:`TUMOUR`, the sum of the ``tumour`` species (if not a series)."""
    found = dict(series)
    if TUMOUR not in found and tumour:
        found[TUMOUR] = np.sum([found[name] for name in tumour], axis=0, dtype=float)
    return found


def summarise(cohort: Cohort) -> CellSummary:
    """The summary of one cell's replicates."""
    n = len(cohort)
    if n == 0:
        raise ValueError("a cell needs at least one replicate to summarise")
    outcomes = {str(kind): wilson(cohort.outcomes.count(str(kind)), n) for kind in OutcomeKind}
    time_to, given = {}, {}
    for kind in TIMED:
        times = [
            float(t) if outcome == kind else None
            for outcome, t in zip(cohort.outcomes, cohort.outcome_times, strict=True)
        ]
        time_to[str(kind)] = median_time(times)
        given[str(kind)] = median_time([t for t in times if t is not None])
    return CellSummary(
        replicates=n,
        outcomes=FrozenMap(outcomes),
        time_to=FrozenMap(time_to),
        time_to_given=FrozenMap(given),
        bands=bands(cohort.times, cohort.series),
    )


def compare(arm: Cohort, control: Cohort) -> FrozenMap[PairedDifference]:
    """Arm − control for every outcome, pairing replicate k with replicate k.

    Raises ``ValueError`` unless both cohorts hold the same replicate indices, once each.
    """
    position = {int(k): i for i, k in enumerate(control.replicates)}
    indices = [int(k) for k in arm.replicates]
    if sorted(indices) != sorted(position) or len(position) != len(control):
        raise ValueError("arm and control must hold the same replicates to be paired")
    paired = [control.outcomes[position[k]] for k in indices]
    return FrozenMap(
        {
            str(kind): paired_difference(
                [x == kind for x in arm.outcomes], [y == kind for y in paired]
            )
            for kind in OutcomeKind
        }
    )
