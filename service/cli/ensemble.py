"""``escapesim ensemble FILE.yaml``: run an ensemble locally (or on a server) and summarise it.

Everything is checked before anything runs — the ensemble file (every bad field named,
``grid.parameters.s[2]``, ``arms[1].therapies[0].at_days[0]``), the output paths, the
flags — so bad input exits with status 2 and writes nothing. Locally the cells' replicates
run in this process (``--workers 1``) or in a small pool of spawned processes; each
replicate is rebuilt from (seed, replicate, component) streams, so every output is
identical whatever the number of workers.

``--out DIR`` writes ``trajectories.parquet``, ``replicates.parquet``, ``outcomes.parquet``,
``bands.parquet`` and ``summary.json`` (see :mod:`escapesim.service.results.ensemble_tables`).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import TypeAlias

from tqdm import tqdm

from escapesim.engine import Result, Scenario, ScenarioError, simulate
from escapesim.engine.ensemble import Cell, Ensemble
from escapesim.engine.summary import TUMOUR, MedianTime
from escapesim.service.cli.errors import UsageError
from escapesim.service.cli.outputs import check_output
from escapesim.service.cli.scenario_input import load_scenario_file
from escapesim.service.results import ensemble_tables, tables
from escapesim.service.results.ensemble_plot import plot_ensemble
from escapesim.service.results.ensemble_tables import CellResults
from escapesim.service.store.files import atomic_target

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

#: A local pool larger than this helps no laptop; scale-out is the server's job.
MAX_WORKERS = 64
#: Each worker gets about this many tasks, so the bar moves and the load stays balanced.
TASKS_PER_WORKER = 8
#: The files ``--out DIR`` holds.
OUTPUT_FILES = (
    "trajectories.parquet",
    "replicates.parquet",
    "outcomes.parquet",
    "bands.parquet",
    "summary.json",
)


def register(subparsers: Subparsers) -> None:
    """Add ``ensemble`` to the root parser's subcommands."""
    parser = subparsers.add_parser(
        "ensemble",
        help="run an ensemble: replicates × a parameter grid × treatment arms",
        description="Run an ensemble file (YAML or JSON: scenario, replicates, grid, arms, "
        "control) and summarise every (grid point, arm): outcome probabilities with 95% "
        "Wilson intervals, median event times, quantile bands, paired differences against "
        "the control arm. Bad input exits with status 2, names the field, writes nothing.",
    )
    parser.add_argument("file", metavar="FILE.yaml", help="the ensemble file")
    parser.add_argument("--out", metavar="DIR", help="write Parquet tables and summary.json here")
    parser.add_argument("--plot", metavar="FILE.png", help="write the ensemble figure")
    parser.add_argument(
        "--json", action="store_true", help="print the summary as one JSON document"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help=f"local processes (default 1: this process; at most {MAX_WORKERS})",
    )
    parser.add_argument(
        "--series",
        action="append",
        metavar="NAME",
        help="a series to draw bands of (repeatable; default: tumour and the effectors)",
    )
    parser.add_argument(
        "--replicates", type=int, metavar="N", help="replicates per cell (overrides the file)"
    )
    parser.add_argument("--server", metavar="HOST:PORT", help="run on an escapesim server")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Validate everything, run the ensemble, then write and print what was asked for."""
    try:
        ensemble = load_ensemble(args.file, replicates=args.replicates)
        out, png = _check_outputs(args.out, args.plot)
        _check_flags(args, ensemble)
    except UsageError as error:
        for problem in error.problems:
            print(f"escapesim ensemble: error: {problem}", file=sys.stderr)
        return 2
    if args.server is not None:
        return _remote(args, ensemble)
    cells = ensemble.points()
    found = [ensemble_tables.cell_tables(results) for results in run_cells(cells, args.workers)]
    finished = ensemble_tables.summarise_cells(ensemble, cells, found)
    try:
        write_outputs(ensemble, finished, out, png, args.series)
    except OSError as error:
        print(f"escapesim ensemble: error: cannot write output: {error}", file=sys.stderr)
        return 1
    document = ensemble_tables.summary_document(ensemble, finished)
    print(json.dumps(document) if args.json else summary_text(ensemble, finished))
    return 0


def load_ensemble(path: str, *, replicates: int | None = None) -> Ensemble:
    """The validated ensemble in file ``path`` (``replicates`` overriding the file's).

    Raises :class:`UsageError` naming each bad field.
    """
    data = load_scenario_file(path, where=path)
    if replicates is not None:
        data["replicates"] = replicates
    try:
        return Ensemble.from_dict(data)
    except ScenarioError as error:
        origin = {"replicates": f"--replicates {replicates}"} if replicates is not None else {}
        raise UsageError(f"{origin.get(v.field, path)}: {v}" for v in error.violations) from error


def _check_outputs(out: str | None, figure: str | None) -> tuple[Path | None, Path | None]:
    problems: list[str] = []
    directory = None
    if out is not None:
        directory = Path(out)
        if directory.exists() and not directory.is_dir():
            problems.append(f"--out {out}: is not a directory")
        elif not directory.exists() and not directory.parent.is_dir():
            problems.append(f"--out {out}: directory {str(directory.parent)!r} does not exist")
    png = None
    try:
        png = check_output("--plot", figure)
    except UsageError as error:
        problems += error.problems
    if problems:
        raise UsageError(problems)
    return directory, png


def _check_flags(args: argparse.Namespace, ensemble: Ensemble) -> None:
    problems = []
    if not 1 <= args.workers <= MAX_WORKERS:
        problems.append(f"--workers {args.workers}: must be within [1, {MAX_WORKERS}]")
    known = set(ensemble.scenario.initial) | {TUMOUR}
    problems += [
        f"--series {name}: not a series of preset {ensemble.scenario.preset!r} "
        f"(known: {', '.join(sorted(known))})"
        for name in args.series or []
        if name not in known
    ]
    if problems:
        raise UsageError(problems)


def _remote(args: argparse.Namespace, ensemble: Ensemble) -> int:
    """Hand the ensemble to ``service.cli.remote.ensemble`` if the gRPC side provides it."""
    from escapesim.service.cli import remote

    submit: Callable[[argparse.Namespace, Ensemble], int] | None = getattr(remote, "ensemble", None)
    if submit is None:
        print(
            "escapesim ensemble: error: --server: this build cannot run ensembles on a server "
            "yet; run it locally (omit --server, use --workers N)",
            file=sys.stderr,
        )
        return 2
    return submit(args, ensemble)


# -- running ---------------------------------------------------------------------------------


Task = tuple[int, Scenario, int, int]


def _tasks(cells: Sequence[Cell], workers: int) -> Iterator[Task]:
    """(cell index, scenario, first replicate, stop) chunks, about TASKS_PER_WORKER each."""
    total = sum(c.scenario.replicates for c in cells)
    size = max(1, math.ceil(total / (workers * TASKS_PER_WORKER)))
    for index, cell in enumerate(cells):
        for start in range(0, cell.scenario.replicates, size):
            yield index, cell.scenario, start, min(start + size, cell.scenario.replicates)


def simulate_chunk(task: Task) -> tuple[int, list[Result]]:
    """Replicates ``start … stop - 1`` of one cell (runs in a worker process)."""
    index, scenario, start, stop = task
    return index, [simulate(scenario, k) for k in range(start, stop)]


def run_cells(cells: Sequence[Cell], workers: int = 1) -> list[list[Result]]:
    """Every replicate of every cell, per cell in replicate order, with a progress bar.

    The bar counts replicates and the cells (grid point × arm) finished; it is drawn only
    when standard error is a terminal. Workers are spawned, never forked (a forked
    process would inherit gRPC state and threads, which is unsafe).
    """
    total = sum(c.scenario.replicates for c in cells)
    bar = tqdm(total=total, desc="replicates", unit="rep", disable=not sys.stderr.isatty(),
               file=sys.stderr, leave=False)  # fmt: skip
    results: list[list[Result]] = [[] for _ in cells]
    complete = 0
    with bar:
        for index, chunk in _completed(_tasks(cells, workers), workers):
            results[index] += chunk
            if len(results[index]) == cells[index].scenario.replicates:
                complete += 1
                bar.set_postfix_str(f"cells {complete}/{len(cells)}", refresh=False)
            bar.update(len(chunk))
    return [sorted(found, key=lambda r: r.replicate) for found in results]


def _completed(tasks: Iterator[Task], workers: int) -> Iterator[tuple[int, list[Result]]]:
    if workers == 1:
        yield from map(simulate_chunk, tasks)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(simulate_chunk, task) for task in tasks]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


# -- outputs ---------------------------------------------------------------------------------


def write_outputs(
    ensemble: Ensemble,
    finished: Sequence[CellResults],
    out: Path | None,
    png: Path | None,
    series: Sequence[str] | None,
) -> None:
    """Write the tables and summary into ``out`` and the figure to ``png`` (if asked)."""
    if out is not None:
        out.mkdir(exist_ok=True)
        built = {
            "trajectories.parquet": ensemble_tables.trajectory_table(finished),
            "replicates.parquet": ensemble_tables.replicate_table(finished),
            "outcomes.parquet": ensemble_tables.outcome_table(ensemble, finished),
            "bands.parquet": ensemble_tables.band_table(finished),
        }
        for name, table in built.items():
            tables.write_parquet(table, out / name)
        document = ensemble_tables.summary_document(ensemble, finished)
        with atomic_target(out / "summary.json") as temporary:
            temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {', '.join(OUTPUT_FILES)} in {out} (--out)", file=sys.stderr)
    if png is not None:
        title = f"{ensemble.scenario.preset}: {ensemble.replicates} replicates per cell, " \
                f"seed {ensemble.scenario.seed}"  # fmt: skip
        plot_ensemble(ensemble, finished, png, series=series, title=title)
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
    return "\n".join(lines)


def _median_text(overall: MedianTime, given: MedianTime) -> str:
    """``72.0 d`` or, when fewer than half had the event, the median among those that did."""
    if overall.estimate is not None:
        return f"{overall.estimate:.1f} d"
    if given.estimate is None:
        return "not reached"
    return f"not reached ({given.estimate:.1f} d among the {given.events} that escaped)"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
