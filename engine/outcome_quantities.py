"""Outcome quantities: one number from the replicates of one parameter set.

A global sensitivity analysis (or a calibration's summary) asks how a scalar outcome
moves with the parameters. Each quantity here is estimated over a set's replicates:

* ``escape_probability`` / ``elimination_probability`` — the share of replicates whose
  outcome is escape (elimination) at or before ``day``;
* ``median_escape_time`` — the median day of escape, counting replicates that had not
  escaped by the horizon as escaping at the horizon (a right-censored median: it is a
  lower bound when fewer than half escape, and then equals the horizon);
* ``tumour_burden`` — the mean tumour burden (every tumour species' cells) on ``day``,
  on a log10(1 + cells) scale so that one escaped replicate does not swamp the rest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from escapesim.engine.errors import FieldViolation

KINDS = ("escape_probability", "elimination_probability", "median_escape_time", "tumour_burden")


@dataclass(frozen=True, kw_only=True, slots=True)
class Quantity:
    """An outcome quantity (``kind``, one of :data:`KINDS`) by ``day``."""

    kind: str
    day: float

    @property
    def name(self) -> str:
        """A column name: ``escape_probability@180``."""
        return f"{self.kind}@{self.day:g}"

    def problems(self, where: str, horizon: float) -> list[FieldViolation]:
        """What is wrong with this quantity for a scenario of ``horizon`` days."""
        if self.kind not in KINDS:
            return [FieldViolation(f"{where}.kind", f"must be one of {list(KINDS)}")]
        if not 0 < self.day <= horizon:
            return [FieldViolation(f"{where}.day", f"must be within (0, {horizon:g}]")]
        return []

    def estimate(
        self, outcomes: Sequence[str], times: Sequence[float | None], burden: Sequence[float]
    ) -> float:
        """The quantity over replicates: their outcomes (``escape``, ...), outcome times
        (None when undecided) and tumour burdens on :attr:`day`."""
        if self.kind == "tumour_burden":
            return float(np.mean(np.log10(1.0 + np.asarray(burden, dtype=float))))
        if self.kind == "median_escape_time":
            days = [
                t if o == "escape" and t is not None else self.day
                for o, t in zip(outcomes, times, strict=True)
            ]
            return float(np.median(np.minimum(days, self.day)))
        wanted = "escape" if self.kind == "escape_probability" else "elimination"
        hits = sum(
            o == wanted and t is not None and t <= self.day
            for o, t in zip(outcomes, times, strict=True)
        )
        return hits / len(outcomes) if outcomes else math.nan
