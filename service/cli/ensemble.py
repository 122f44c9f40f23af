"""``escapesim ensemble FILE.yaml``: run an ensemble locally (or on a server) and summarise it.

Everything is checked before anything runs — the ensemble file (every bad field named,
``grid.parameters.s[2]``, ``arms[1].therapies[0].at_days[0]``), the output paths, the
flags — so bad input exits with status 2 and writes nothing. Locally the cells run on the
server's local executor: in this process (``--workers 1``) or in a small pool of spawned
processes; each replicate is rebuilt from (seed, replicate, component) streams, so every
output is identical whatever the number of workers. What is written and printed is
:mod:`escapesim.service.cli.ensemble_report`'s, for local and server runs alike.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

from escapesim.engine import ScenarioError
from escapesim.engine.branching import Branch, cell_branch
from escapesim.engine.ensemble import Cell, Ensemble
from escapesim.engine.summary import TUMOUR
from escapesim.service.cli import ensemble_report
from escapesim.service.cli.errors import UsageError
from escapesim.service.cli.kernel_notice import kernel_notice
from escapesim.service.cli.outputs import check_output, progress_bar
from escapesim.service.cli.scenario_input import load_scenario_file
from escapesim.service.results import ensemble_tables
from escapesim.service.results.grid_axis import SCALES
from escapesim.service.workers.batches import Batch, warm_up
from escapesim.service.workers.local import ExecutorFailure
from escapesim.service.workers.scenarios import Tables, simulate_here

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

#: A local pool larger than this helps no laptop; scale-out is the server's job.
MAX_WORKERS = 64


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
        "--plot-axis",
        choices=SCALES,
        default="auto",
        help="x axis of a one-axis grid in the figure: linear, log, or points (evenly "
        "spaced, labelled with their values: for grids dense in one region); default auto",
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
        _check_outputs(args.out, args.plot)
        _check_flags(args, ensemble)
    except UsageError as error:
        for problem in error.problems:
            print(f"escapesim ensemble: error: {problem}", file=sys.stderr)
        return 2
    if args.server is not None:
        # Imported here: the gRPC client takes ~0.4 s to import, which local runs never need.
        from escapesim.service.cli import on_server

        return on_server.ensemble(args, ensemble)
    cells = ensemble.points()
    try:
        with kernel_notice():  # a machine's first run compiles the kernel: say so
            warm_up([] if ensemble.scenario.sbml else [ensemble.scenario.preset])
        found = simulate_cells(cells, args.workers, [cell_branch(ensemble, c) for c in cells])
    except ExecutorFailure as error:
        print(f"escapesim ensemble: error: {error}", file=sys.stderr)
        return 1
    finished = ensemble_tables.summarise_cells(ensemble, cells, found)
    built = ensemble_tables.result_tables(ensemble, finished) if args.out is not None else {}
    document = ensemble_tables.summary_document(ensemble, finished)
    return ensemble_report.finish(args, ensemble, finished, built, document)


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


def _check_outputs(out: str | None, figure: str | None) -> None:
    problems: list[str] = []
    if out is not None:
        directory = Path(out)
        if directory.exists() and not directory.is_dir():
            problems.append(f"--out {out}: is not a directory")
        elif not directory.exists() and not directory.parent.is_dir():
            problems.append(f"--out {out}: directory {str(directory.parent)!r} does not exist")
    try:
        check_output("--plot", figure)
    except UsageError as error:
        problems += error.problems
    if problems:
        raise UsageError(problems)


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


def simulate_cells(
    cells: Sequence[Cell], workers: int = 1, branches: Sequence[Branch | None] = ()
) -> list[Tables]:
    """The (trajectories, replicates) tables of every cell, in cell order, with a progress
    bar of replicates and cells (grid point × arm) finished; ``branches``: the cells'
    shared pasts, for an ensemble whose arms branch at a day.

    Cells run on the server's local executor (one worker: a thread of this process; more:
    spawned processes, never forked, since a forked process would inherit gRPC state).
    """
    done = [0] * len(cells)
    complete = 0
    with progress_bar(sum(c.scenario.replicates for c in cells)) as bar:

        def count(index: int, batch: Batch) -> None:
            nonlocal complete
            done[index] += len(batch.replicates)
            if done[index] == cells[index].scenario.replicates:
                complete += 1
                bar.set_postfix_str(f"cells {complete}/{len(cells)}", refresh=False)
            bar.update(len(batch.replicates))

        scenarios = [c.scenario for c in cells]
        return simulate_here(scenarios, workers=workers, on_batch=count, branches=branches)
