"""Time to escape and to elimination as survival data: Kaplan–Meier curves, log-rank tests.

Each replicate of a cell is one subject: its event (escape, or elimination) happens on the
day the replicate's outcome says, or not within the horizon, and then it is censored at
the horizon. A replicate that reached the other outcome can never have this one (an
eliminated tumour does not escape; an escaped run ends), so it is censored at the
horizon too, not on the day it left: censoring it earlier would treat it as still at
risk of an event it cannot have (the median-time summaries count it the same way). The
estimators are lifelines' (Davidson-Pilon, JOSS 4:1317, 2019): the Kaplan–Meier curve
with its exponential Greenwood ("log-log") 95% interval, and the log-rank test.

Arms of an ensemble share their random streams replicate by replicate, so their survival
times are positively correlated; the log-rank test assumes independent samples, and is
then conservative (its p-value too large). The paired comparison of outcome
probabilities (Newcombe's interval, in the summary) is the one that uses the pairing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: The outcomes whose times are studied, and what "surviving" means for each.
SURVIVING = {"escape": "not yet escaped", "elimination": "tumour not yet eliminated"}


@dataclass(frozen=True, slots=True)
class Durations:
    """One cell's survival data for one outcome: each replicate's day and whether the
    outcome happened then (``False``: censored at the horizon)."""

    days: FloatArray
    observed: BoolArray

    @property
    def events(self) -> int:
        """How many replicates had the outcome."""
        return int(self.observed.sum())


@dataclass(frozen=True, slots=True)
class Curve:
    """A Kaplan–Meier step curve: the probability of not having had the outcome by each
    day in ``days`` (from day 0), with its 95% interval."""

    days: FloatArray
    surviving: FloatArray
    lower: FloatArray
    upper: FloatArray
    events: int
    subjects: int


def durations(replicates: pa.Table, outcome: str, horizon: float) -> Durations:
    """The survival data for ``outcome`` of one cell's replicate table (its ``outcome``
    and ``outcome_time`` columns)."""
    kinds = np.array(replicates.column("outcome").to_pylist(), dtype=object)
    times = np.array(
        [np.nan if t is None else t for t in replicates.column("outcome_time").to_pylist()],
        dtype=np.float64,
    )
    observed = (kinds == outcome) & np.isfinite(times)
    return Durations(days=np.where(observed, times, horizon), observed=observed)


def kaplan_meier(data: Durations) -> Curve:
    """The Kaplan–Meier curve of ``data`` with its 95% interval (lifelines)."""
    from lifelines import KaplanMeierFitter  # imported here: ~1 s, for figures only

    fitter = KaplanMeierFitter(alpha=0.05).fit(data.days, event_observed=data.observed)
    band = fitter.confidence_interval_survival_function_
    return Curve(
        days=fitter.survival_function_.index.to_numpy(dtype=np.float64),
        surviving=fitter.survival_function_.iloc[:, 0].to_numpy(dtype=np.float64),
        lower=band.iloc[:, 0].to_numpy(dtype=np.float64),
        upper=band.iloc[:, 1].to_numpy(dtype=np.float64),
        events=data.events,
        subjects=len(data.days),
    )


def logrank_p(treated: Durations, control: Durations) -> float | None:
    """The log-rank test's p-value of ``treated`` against ``control`` (lifelines), or
    ``None`` when neither had the outcome (there is nothing to compare)."""
    if treated.events + control.events == 0:
        return None
    from lifelines.statistics import logrank_test

    result = logrank_test(
        treated.days, control.days, event_observed_A=treated.observed,
        event_observed_B=control.observed,
    )  # fmt: skip
    return float(result.p_value)
