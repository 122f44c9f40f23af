"""What ``escapesim ensemble`` writes and prints, for a local run and a server's alike.

``--out DIR`` holds the five tables and ``summary.json``
(:mod:`escapesim.service.results.ensemble_tables`), ``--plot`` the ensemble figure, and
standard output the summary: one JSON document (``--json``) or one line per cell.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from escapesim.engine.attribution import Delay
from escapesim.engine.ensemble import Ensemble
from escapesim.engine.summary import MedianTime
from escapesim.service.results import tables
from escapesim.service.results.ensemble_plot import plot_ensemble
from escapesim.service.results.ensemble_tables import CellResults
from escapesim.service.results.figure_style import scenario_title
from escapesim.service.store.files import atomic_target

#: The files ``--out DIR`` holds.
OUTPUT_FILES = (
    "trajectories.parquet",
    "replicates.parquet",
    "outcomes.parquet",
    "bands.parquet",
    "attribution.parquet",
    "summary.json",
)


def finish(
    args: argparse.Namespace,
    ensemble: Ensemble,
    finished: Sequence[CellResults],
    built: Mapping[str, pa.Table],
    document: Mapping[str, Any],
    *,
    note: str | None = None,
) -> int:
    """The end of every ``ensemble`` command: write ``--out`` (the ``built`` tables by name
    and the summary ``document``) and ``--plot``, print the summary, then ``note`` (which
    server ran it) on standard error. Returns 1 if an output cannot be written, else 0."""
    out = None if args.out is None else Path(args.out)
    png = None if args.plot is None else Path(args.plot)
    try:
        write_outputs(ensemble, finished, built, document, out, png, args.series,
                      axis_scale=getattr(args, "plot_axis", "auto"))  # fmt: skip
    except OSError as error:
        print(f"escapesim ensemble: error: cannot write output: {error}", file=sys.stderr)
        return 1
    print(json.dumps(document) if args.json else summary_text(ensemble, finished))
    if note is not None:
        print(note, file=sys.stderr)
    return 0


def write_outputs(
    ensemble: Ensemble,
    finished: Sequence[CellResults],
    built: Mapping[str, pa.Table],
    document: Mapping[str, Any],
    out: Path | None,
    png: Path | None,
    series: Sequence[str] | None,
    *,
    axis_scale: str = "auto",
) -> None:
    """Write the tables and summary into ``out`` and the figure to ``png`` (if asked)."""
    if out is not None:
        out.mkdir(exist_ok=True)
        for name, table in built.items():
            tables.write_parquet(table, out / f"{name}.parquet")
        with atomic_target(out / "summary.json") as temporary:
            temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {', '.join(OUTPUT_FILES)} in {out} (--out)", file=sys.stderr)
    if png is not None:
        what = f"{ensemble.replicates} replicates per cell, seed {ensemble.scenario.seed}, " \
               f"{ensemble.scenario.horizon_days:g} days"  # fmt: skip
        title = scenario_title(ensemble.scenario, what)
        plot_ensemble(ensemble, finished, png, series=series, title=title, axis_scale=axis_scale)
        print(f"wrote {png} (--plot)", file=sys.stderr)


def summary_text(ensemble: Ensemble, finished: Sequence[CellResults]) -> str:
    """One line per cell: outcome probabilities, median time to escape, and vs control."""
    lines = [
        f"{ensemble.scenario.preset}: {_count(len(ensemble.grid_points()), 'grid point')} × "
        f"{_count(len(ensemble.arms), 'arm')} × {_count(ensemble.replicates, 'replicate')} "
        f"(control: {ensemble.control}); probabilities with 95% Wilson intervals"
    ]
    for done in finished:
        values = ", ".join(f"{k}={v:.4g}" for k, v in done.cell.values.items())
        shares = "  ".join(
            f"{kind} {p.estimate:.2f} [{p.lower:.2f}, {p.upper:.2f}]"
            for kind, p in done.summary.outcomes.items()
        )
        escape = _median_text(done.summary.time_to["escape"], done.summary.time_to_given["escape"])
        line = (
            f"  point {done.cell.point} {values} {done.cell.arm}: {shares}  median escape {escape}"
        )
        if done.versus_control is not None:
            d = done.versus_control["escape"]
            line += f"  Δescape {d.estimate:+.2f} [{d.lower:+.2f}, {d.upper:+.2f}]"
        lines.append(line)
    return "\n".join([*lines, *attribution_text(ensemble, finished)])


def attribution_text(ensemble: Ensemble, finished: Sequence[CellResults]) -> list[str]:
    """One line per knock-out cell (none without knockouts): Δ P(escape), what the
    knock-out did to each pair's escape, and the median delay."""
    knocked = ensemble.knocked_out
    rows = [done for done in finished if done.attribution is not None]
    if not rows:
        return []
    lines = [
        f"attribution: each knock-out − {ensemble.control}, paired by replicate; Δ P(escape) "
        "with 95% Newcombe interval, delay of escape (a replicate that did not escape: never, "
        "∞) with 95% sign-test interval"
    ]
    for done in rows:
        found = done.attribution
        assert found is not None  # kept by the filter above
        d, kinds = found.escape, found.kinds
        sign = "" if found.sign_p is None else f", sign test p {found.sign_p:.2g}"
        lines.append(
            f"  point {done.cell.point} {knocked[done.cell.arm]} off: "
            f"Δescape {d.estimate:+.2f} [{d.lower:+.2f}, {d.upper:+.2f}]  "
            f"prevented {kinds['prevented']} delayed {kinds['delayed']} "
            f"hastened {kinds['hastened']} caused {kinds['caused']} of {found.pairs} "
            f"({found.delayed_or_prevented:.0%} delayed or prevented{sign})  "
            f"delay {_delay_text(found.delay)}"
        )
    return lines


def _delay_text(delay: Delay) -> str:
    """``+6.7 d [+4.1, +8.0]``, with ∞ for a prevented (or caused) escape."""
    if delay.median is None:
        return "none (no pair escaped)" if delay.pairs == 0 else "undefined"
    bounds = "" if delay.lower is None or delay.upper is None else \
        f" [{_days(delay.lower)}, {_days(delay.upper)}]"  # fmt: skip
    return f"{_days(delay.median)} d{bounds}"


def _days(value: float) -> str:
    return f"{value:+.1f}".replace("inf", "∞")


def _median_text(overall: MedianTime, given: MedianTime) -> str:
    """``72.0 d`` or, when fewer than half had the event, the median among those that did."""
    if overall.estimate is not None:
        return f"{overall.estimate:.1f} d"
    if given.estimate is None:
        return "not reached"
    return f"not reached ({given.estimate:.1f} d among the {given.events} that escaped)"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
