"""A PEtab measurement table, checked row by row (issue 15: a bad table is refused
naming the row and the column).

Columns (PEtab v1): ``observableId``, ``simulationConditionId``, ``time`` and
``measurement`` are required; ``noiseParameters`` (the standard deviation of the
measurement's normal noise, PEtab's default noise model; 1 when absent) and
``replicateId`` (the subject: each distinct subject of a condition is one simulated
replicate, a virtual patient) are optional. Rows are numbered from 1, the first row
after the header; the field path is ``measurements[ROW].COLUMN``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from escapesim.engine.errors import FieldViolation

REQUIRED = ("observableId", "simulationConditionId", "time", "measurement")


@dataclass(frozen=True, kw_only=True, slots=True)
class Measurement:
    """One row: ``observable`` of ``subject`` under ``condition`` measured at ``time``."""

    row: int
    observable: str
    condition: str
    subject: str
    time: float
    value: float
    sigma: float

    @property
    def key(self) -> str:
        """The row's summary-statistic name (``m<row>``)."""
        return f"m{self.row}"


def check_table(
    rows: Sequence[Mapping[str, Any]],
    observables: Collection[str],
    conditions: Collection[str] | None,
) -> tuple[tuple[Measurement, ...], list[FieldViolation]]:
    """The measurements of ``rows`` (one mapping per table row) and every problem.

    ``conditions``: the condition ids the calibration defines (``None``: any id, each
    simulating the base scenario).
    """
    if not rows:
        return (), [FieldViolation("measurements", "the table has no rows")]
    missing = [c for c in REQUIRED if c not in rows[0]]
    if missing:
        return (), [FieldViolation(f"measurements.{c}", "required column missing") for c in missing]
    found, violations = [], []
    for number, row in enumerate(rows, start=1):
        measurement, problems = _row(number, row, observables, conditions)
        violations += problems
        if measurement is not None:
            found.append(measurement)
    return tuple(found), violations


def _row(
    number: int,
    row: Mapping[str, Any],
    observables: Collection[str],
    conditions: Collection[str] | None,
) -> tuple[Measurement | None, list[FieldViolation]]:
    def problem(column: str, message: str) -> FieldViolation:
        return FieldViolation(f"measurements[{number}].{column}", f"row {number}: {message}")

    problems = []
    observable = _text(row.get("observableId"))
    if observable not in observables:
        offered = ", ".join(sorted(observables))
        problems.append(problem("observableId", f"unknown observable {observable!r} "
                                f"(known: {offered})"))  # fmt: skip
    condition = _text(row.get("simulationConditionId"))
    if not condition or (conditions is not None and condition not in conditions):
        problems.append(problem("simulationConditionId", f"unknown condition {condition!r}"))
    time = _number(row.get("time"))
    if time is None or time < 0:
        problems.append(problem("time", "must be a finite number >= 0"))
    value = _number(row.get("measurement"))
    if value is None:
        problems.append(problem("measurement", "must be a finite number (not NaN)"))
    sigma = _number(row.get("noiseParameters", 1.0))
    if sigma is None or sigma <= 0:
        problems.append(problem("noiseParameters", "must be a standard deviation > 0"))
    if problems or time is None or value is None or sigma is None:
        return None, problems
    subject = _text(row.get("replicateId")) or "0"
    return Measurement(row=number, observable=observable, condition=condition,
                       subject=subject, time=time, value=value, sigma=sigma), []  # fmt: skip


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _number(value: Any) -> float | None:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
