"""The *attribution* table of an ensemble with knock-out arms (docs/ensembles.md).

One row per (grid point, knock-out arm): the mechanism it switches off against the intact
control at that point, pair by pair (:func:`escapesim.engine.attribution.attribute`):

* ``point``, ``arm``, ``mechanism``, the grid values (one float64 column per axis), ``pairs``;
* ``escape_intact``, ``escape_knockout`` and their paired difference ``escape_difference``
  with its 95% Newcombe interval (``_lower``, ``_upper``);
* the count of pairs of each kind — ``prevented``, ``delayed``, ``same``, ``hastened``,
  ``caused``, ``neither`` — the share ``delayed_or_prevented`` and the exact sign test's
  ``sign_test_p`` (``null`` without an untied pair);
* ``delay_median`` with its 95% sign-test interval over the ``delay_pairs`` pairs where
  either arm escaped (days; a not-escaped replicate counts as never: ±∞ in Arrow and
  Parquet, ``null`` in JSON, which has no infinity), and ``delay_given_*`` over the pairs
  where both escaped.

An ensemble without knock-out arms has the table with no rows, so every ensemble has the
same parts. The summary document carries the same numbers per knock-out cell
(:func:`attribution_document`), where JSON's lack of infinities makes ±∞ a ``null``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from escapesim.engine.attribution import KINDS, Attribution, Delay
from escapesim.engine.ensemble import Ensemble

if TYPE_CHECKING:  # the tables module imports this one: no cycle at run time
    from escapesim.service.results.ensemble_tables import CellResults

_DELAYS = ("delay", "delay_given")
_HEAD = [
    pa.field("point", pa.int32(), nullable=False),
    pa.field("arm", pa.string(), nullable=False),
    pa.field("mechanism", pa.string(), nullable=False),
]


def _float(name: str, *, nullable: bool = False) -> pa.Field:
    return pa.field(name, pa.float64(), nullable=nullable)


def _count(name: str) -> pa.Field:
    return pa.field(name, pa.int64(), nullable=False)


_BODY = [
    _count("pairs"),
    _float("escape_intact"),
    _float("escape_knockout"),
    *(_float(f"escape_difference{end}") for end in ("", "_lower", "_upper")),
    *(_count(kind) for kind in KINDS),
    _float("delayed_or_prevented"),
    _float("sign_test_p", nullable=True),
    *(
        column
        for prefix in _DELAYS
        for column in (
            *(_float(f"{prefix}{end}", nullable=True) for end in ("_median", "_lower", "_upper")),
            _count(f"{prefix}_pairs"),
        )
    ),
]


def attribution_table(ensemble: Ensemble, finished: Sequence[CellResults]) -> pa.Table:
    """One row per finished knock-out cell, in cell order (none without knockouts)."""
    grid = [pa.field(axis.field, pa.float64(), nullable=False) for axis in ensemble.grid]
    schema = pa.schema([*_HEAD, *grid, *_BODY])
    knocked = ensemble.knocked_out
    rows = [
        _row(done, knocked[done.cell.arm], done.attribution)
        for done in finished
        if done.attribution is not None
    ]
    return pa.Table.from_pylist(rows, schema=schema)


def _row(done: CellResults, mechanism: str, found: Attribution) -> dict[str, Any]:
    escape = found.escape
    row: dict[str, Any] = {
        "point": done.cell.point,
        "arm": done.cell.arm,
        "mechanism": mechanism,
        **done.cell.values,
        "pairs": found.pairs,
        "escape_intact": (escape.both + escape.control_only) / found.pairs,
        "escape_knockout": (escape.both + escape.arm_only) / found.pairs,
        "escape_difference": escape.estimate,
        "escape_difference_lower": escape.lower,
        "escape_difference_upper": escape.upper,
        **found.kinds,
        "delayed_or_prevented": found.delayed_or_prevented,
        "sign_test_p": found.sign_p,
    }
    for prefix, delay in zip(_DELAYS, (found.delay, found.delay_given), strict=True):
        row.update(_delay_columns(prefix, delay))
    return row


def _delay_columns(prefix: str, delay: Delay) -> dict[str, Any]:
    return {
        f"{prefix}_median": delay.median,
        f"{prefix}_lower": delay.lower,
        f"{prefix}_upper": delay.upper,
        f"{prefix}_pairs": delay.pairs,
    }


def attribution_document(found: Attribution) -> dict[str, Any]:
    """A knock-out cell's attribution in the summary document: the table's numbers, with
    ``null`` for an infinite delay or bound (JSON has no infinity; the counts of
    ``prevented`` and ``caused`` pairs say which) as for a median *not reached*."""

    def delay(d: Delay) -> dict[str, Any]:
        days = {"median": d.median, "lower": d.lower, "upper": d.upper}
        finite = {k: None if v is None or math.isinf(v) else v for k, v in days.items()}
        return {**finite, "pairs": d.pairs}

    escape = found.escape
    return {
        "escape_difference": {
            "difference": escape.estimate,
            "lower": escape.lower,
            "upper": escape.upper,
        },
        "pairs": found.pairs,
        "kinds": dict(found.kinds),
        "delayed_or_prevented": found.delayed_or_prevented,
        "sign_test_p": found.sign_p,
        "delay": delay(found.delay),
        "delay_given": delay(found.delay_given),
    }
