"""A finished ensemble as Arrow tables and one JSON document.

Five tables, each one row per (cell, …) and each starting with ``point`` (int32, the grid
point's index) and ``arm`` (string):

* *trajectories* — ``point, arm, replicate, t`` then every population and concentration
  (the columns of :func:`escapesim.service.results.tables.trajectory_table`);
* *replicates* — ``point, arm`` then the columns of
  :func:`escapesim.service.results.tables.replicate_table` (outcome, outcome time, final
  values, counters);
* *outcomes* — one row per cell and outcome: the grid values (one float64 column per
  axis, e.g. ``initial.T``), the probability with its Wilson interval, the median time to
  that outcome (over all replicates and over those with the event, ``null`` = not
  reached) and the paired difference against the control arm (``null`` on the control);
* *bands* — one row per cell, series and sampling time: ``q05 … q95``;
* *attribution* — one row per knock-out cell: the mechanism's effect on escape against the
  intact control, pair by pair (:mod:`escapesim.service.results.attribution_table`; no
  rows without knockouts).

Rows follow the ensemble's cell order (point-major, arms in order) and replicate order,
so the tables are identical however the replicates were spread over workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from escapesim.engine import Network, Result
from escapesim.engine.attribution import Attribution, attribute
from escapesim.engine.ensemble import Cell, Ensemble
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.summary import (
    TIMED,
    CellSummary,
    Cohort,
    MedianTime,
    PairedDifference,
    compare,
    summarise,
    with_tumour,
)
from escapesim.service.results import tables
from escapesim.service.results.attribution_table import attribution_document, attribution_table

#: Column names of the quantile bands, in :data:`escapesim.engine.summary.QUANTILES` order.
BAND_COLUMNS = ("q05", "q25", "q50", "q75", "q95")


@dataclass(frozen=True, slots=True)
class CellResults:
    """One finished cell: its trajectory and replicate tables, summary and comparison.

    The tables are those of one scenario
    (:func:`escapesim.service.results.tables.trajectory_table` and
    :func:`escapesim.service.results.tables.replicate_table`, or
    :func:`escapesim.service.workers.batches.combine`), sorted by replicate, without the
    ``point`` and ``arm`` keys. ``attribution`` is a knock-out arm's against the intact
    control (``None`` on every other arm).
    """

    cell: Cell
    trajectories: pa.Table
    replicates: pa.Table
    summary: CellSummary
    versus_control: FrozenMap[PairedDifference] | None
    attribution: Attribution | None = None


def cell_tables(results: Sequence[Result]) -> tuple[pa.Table, pa.Table]:
    """The (trajectories, replicates) tables of one cell's results, sorted by replicate."""
    ordered = sorted(results, key=lambda r: r.replicate)
    return tables.trajectory_table(ordered), tables.replicate_table(ordered)


def cohort_of(trajectories: pa.Table, replicates: pa.Table, network: Network) -> Cohort:
    """The :class:`~escapesim.engine.summary.Cohort` of one cell from its two tables.

    Every replicate must have the same sampling times (true of whole replicates of one
    scenario; a stopped run drops the replicate in progress).
    """
    trajectories = trajectories.sort_by([("replicate", "ascending"), ("t", "ascending")])
    replicates = replicates.sort_by("replicate")
    indices = replicates.column("replicate").to_numpy().astype(np.int64)
    samples = trajectories.num_rows // max(len(indices), 1)
    times = trajectories.column("t").to_numpy()[:samples]
    names = [n for n in trajectories.column_names if n not in ("replicate", "t")]
    series = {
        name: trajectories.column(name).to_numpy().astype(float).reshape(len(indices), samples)
        for name in names
    }
    outcome_times = replicates.column("outcome_time").to_numpy(zero_copy_only=False)
    return Cohort(
        replicates=indices,
        outcomes=tuple(replicates.column("outcome").to_pylist()),
        outcome_times=np.asarray(outcome_times, dtype=float),
        times=np.asarray(times, dtype=float),
        series=FrozenMap(with_tumour(series, network.tumour)),
    )


def summarise_cells(
    ensemble: Ensemble, cells: Sequence[Cell], found: Sequence[tuple[pa.Table, pa.Table]]
) -> list[CellResults]:
    """Summarise every cell and compare each non-control arm with the control at its point
    (a knock-out arm's attribution too).

    ``found[i]`` holds the (trajectories, replicates) tables of ``cells[i]``.
    """
    network = ensemble.scenario.network()
    cohorts = [cohort_of(t, r, network) for t, r in found]
    control = {c.point: cohorts[i] for i, c in enumerate(cells) if c.arm == ensemble.control}
    knocked = ensemble.knocked_out
    return [
        CellResults(
            cell=cell,
            trajectories=trajectories,
            replicates=replicates,
            summary=summarise(cohort),
            versus_control=None
            if cell.arm == ensemble.control
            else compare(cohort, control[cell.point]),
            attribution=attribute(cohort, control[cell.point]) if cell.arm in knocked else None,
        )
        for cell, (trajectories, replicates), cohort in zip(cells, found, cohorts, strict=True)
    ]


def cells_from_tables(
    ensemble: Ensemble, trajectories: pa.Table, replicates: pa.Table
) -> list[CellResults]:
    """The finished cells of an ensemble's keyed *trajectories* and *replicates* tables
    (the inverse of :func:`trajectory_table` and :func:`replicate_table`), summarised
    again: what a figure and a text summary of a server's ensemble are drawn from."""
    cells = ensemble.points()
    keys = set(zip(replicates.column("point").to_pylist(), replicates.column("arm").to_pylist(),
                   strict=True))  # fmt: skip
    present = [c for c in cells if (c.point, c.arm) in keys]

    def part(table: pa.Table, cell: Cell) -> pa.Table:
        mask = pc.and_(pc.equal(table["point"], cell.point), pc.equal(table["arm"], cell.arm))
        return table.filter(mask).drop_columns(["point", "arm"])

    found = [(part(trajectories, c), part(replicates, c)) for c in present]
    return summarise_cells(ensemble, present, found)


def result_tables(ensemble: Ensemble, finished: Sequence[CellResults]) -> dict[str, pa.Table]:
    """The five tables of a finished ensemble by name (``trajectories``, ``replicates``,
    ``outcomes``, ``bands``, ``attribution``): what the server stores and ``--out`` writes."""
    return {
        "trajectories": trajectory_table(finished),
        "replicates": replicate_table(finished),
        "outcomes": outcome_table(ensemble, finished),
        "bands": band_table(finished),
        "attribution": attribution_table(ensemble, finished),
    }


def _keyed(cell: Cell, table: pa.Table) -> pa.Table:
    """``table`` with the cell's ``point`` and ``arm`` as its first two columns."""
    rows = table.num_rows
    arm = pa.array([cell.arm] * rows, pa.string())
    table = table.add_column(0, pa.field("arm", pa.string(), nullable=False), arm)
    point = pa.array(np.full(rows, cell.point, dtype=np.int32))
    return table.add_column(0, pa.field("point", pa.int32(), nullable=False), point)


def trajectory_table(finished: Sequence[CellResults]) -> pa.Table:
    """Every sampled state of every replicate of every cell."""
    return pa.concat_tables([_keyed(d.cell, _plain(d.trajectories)) for d in finished])


def replicate_table(finished: Sequence[CellResults]) -> pa.Table:
    """One row per replicate of every cell; counters any cell reported, zero elsewhere."""
    aligned = tables.align_counters([_plain(done.replicates) for done in finished])
    return pa.concat_tables(
        [_keyed(done.cell, table) for done, table in zip(finished, aligned, strict=True)]
    )


def _plain(table: pa.Table) -> pa.Table:
    """``table`` without schema metadata (a run's tables carry their scenario in it)."""
    return table.replace_schema_metadata(None)


def outcome_table(ensemble: Ensemble, finished: Sequence[CellResults]) -> pa.Table:
    """One row per cell and outcome: probability, median times and the paired difference."""
    keys, rest = list(_OUTCOME_SCHEMA)[:2], list(_OUTCOME_SCHEMA)[2:]
    values = [pa.field(axis.field, pa.float64(), nullable=False) for axis in ensemble.grid]
    schema = pa.schema([*keys, *values, *rest])
    rows = [row for done in finished for row in _outcome_rows(done)]
    return pa.Table.from_pylist(rows, schema=schema)


_OUTCOME_SCHEMA = pa.schema(
    [
        pa.field("point", pa.int32(), nullable=False),
        pa.field("arm", pa.string(), nullable=False),
        pa.field("outcome", pa.string(), nullable=False),
        pa.field("count", pa.int64(), nullable=False),
        pa.field("replicates", pa.int64(), nullable=False),
        pa.field("probability", pa.float64(), nullable=False),
        pa.field("probability_lower", pa.float64(), nullable=False),
        pa.field("probability_upper", pa.float64(), nullable=False),
        *(
            pa.field(f"{prefix}{end}", pa.float64())
            for prefix in ("median_time", "median_time_given")
            for end in ("", "_lower", "_upper")
        ),
        *(pa.field(f"difference{end}", pa.float64()) for end in ("", "_lower", "_upper")),
    ]
)


def _outcome_rows(done: CellResults) -> list[dict[str, Any]]:
    rows = []
    for kind, share in done.summary.outcomes.items():
        timed = kind in {str(k) for k in TIMED}
        row: dict[str, Any] = {
            "point": done.cell.point,
            "arm": done.cell.arm,
            **done.cell.values,
            "outcome": kind,
            "count": share.count,
            "replicates": share.n,
            "probability": share.estimate,
            "probability_lower": share.lower,
            "probability_upper": share.upper,
        }
        for prefix, medians in (("median_time", done.summary.time_to),
                                ("median_time_given", done.summary.time_to_given)):  # fmt: skip
            median = medians[kind] if timed else MedianTime(None, None, None, 0, share.n)
            row.update({prefix: median.estimate, f"{prefix}_lower": median.lower,
                        f"{prefix}_upper": median.upper})  # fmt: skip
        difference = done.versus_control[kind] if done.versus_control is not None else None
        row.update(
            {
                "difference": difference.estimate if difference else None,
                "difference_lower": difference.lower if difference else None,
                "difference_upper": difference.upper if difference else None,
            }
        )
        rows.append(row)
    return rows


def band_table(finished: Sequence[CellResults]) -> pa.Table:
    """One row per cell, series and sampling time with the quantiles across replicates."""
    parts = []
    for done in finished:
        bands = done.summary.bands
        for name, values in bands.series.items():
            data: dict[str, Any] = {"series": [name] * bands.times.size, "t": bands.times}
            data.update({column: values[i] for i, column in enumerate(BAND_COLUMNS)})
            parts.append(_keyed(done.cell, pa.table(data)))
    return pa.concat_tables(parts)


def summary_document(ensemble: Ensemble, finished: Sequence[CellResults]) -> dict[str, Any]:
    """The JSON summary: the ensemble, its grid points, and every cell's statistics."""
    return {
        "ensemble": ensemble.to_dict(),
        "control": ensemble.control,
        "points": [{"point": i, "values": dict(v)} for i, v in enumerate(ensemble.grid_points())],
        "cells": [_cell_document(done) for done in finished],
    }


def _cell_document(done: CellResults) -> dict[str, Any]:
    summary = done.summary

    def median(m: MedianTime) -> dict[str, Any]:
        return {"median": m.estimate, "lower": m.lower, "upper": m.upper, "events": m.events}

    return {
        "point": done.cell.point,
        "arm": done.cell.arm,
        "replicates": summary.replicates,
        "outcomes": {
            kind: {"count": p.count, "probability": p.estimate, "lower": p.lower, "upper": p.upper}
            for kind, p in summary.outcomes.items()
        },
        "time_to": {kind: median(m) for kind, m in summary.time_to.items()},
        "time_to_given": {kind: median(m) for kind, m in summary.time_to_given.items()},
        "versus_control": None
        if done.versus_control is None
        else {
            kind: {
                "difference": d.estimate,
                "lower": d.lower,
                "upper": d.upper,
                "pairs": {
                    "both": d.both,
                    "arm_only": d.arm_only,
                    "control_only": d.control_only,
                    "neither": d.neither,
                },
            }
            for kind, d in done.versus_control.items()
        },
        "attribution": None if done.attribution is None else attribution_document(done.attribution),
    }
