"""Remote subcommands: ``serve``, ``runs …``, ``simulate --server``, ``ensemble --server``.

Every command that talks to a server takes ``--server HOST:PORT`` (default
``$ESCAPESIM_SERVER`` or 127.0.0.1:50051) and sends ``$ESCAPESIM_TOKEN`` as a bearer
token when it is set. Exit status: 0 success, 1 the server or the run failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import sys
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from escapesim.engine import Outcome, OutcomeKind, Provenance, Result, Scenario
from escapesim.engine.frozen import FrozenMap
from escapesim.service.api.settings import DEFAULT_ADDR, Settings, SettingsError

if TYPE_CHECKING:
    from escapesim.engine.ensemble import Ensemble
    from escapesim.service.results.ensemble_tables import CellResults

Subparsers = Any  # argparse's _SubParsersAction is private


def register(subparsers: Subparsers) -> None:
    """Add ``serve`` and ``runs`` to the root parser's subcommands."""
    _register_serve(subparsers)
    _register_runs(subparsers)


# -- serve ----------------------------------------------------------------------------------

#: ``serve`` flags: (flag, setting, metavar, help). Each also reads ESCAPESIM_<SETTING>.
_SERVE_FLAGS = (
    ("--addr", "addr", "HOST:PORT", f"listen address (default {DEFAULT_ADDR}; port 0: any)"),
    ("--data", "data", "DIR", "data directory: run database and results (default ./var)"),
    ("--workers", "workers", "N", "simulation worker processes (default: CPU count)"),
    ("--max-concurrent-runs", "max_concurrent_runs", "N", "runs simulating at once"),
    ("--max-queued-runs", "max_queued_runs", "N", "runs waiting before RESOURCE_EXHAUSTED"),
    ("--simulate-workers", "simulate_workers", "N", "processes for Simulate calls (default 2)"),
    ("--drain-seconds", "drain_seconds", "S", "grace period for runs on SIGTERM (default 10)"),
    ("--tokens-file", "tokens_file", "FILE", "bearer tokens, one per line (enables auth)"),
    ("--tls-cert", "tls_cert", "PEM", "server certificate chain (enables TLS, with --tls-key)"),
    ("--tls-key", "tls_key", "PEM", "server private key"),
    ("--log-level", "log_level", "LEVEL", "DEBUG, INFO, WARNING or ERROR (default INFO)"),
)


def _register_serve(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the gRPC server",
        description="Run the escapesim gRPC server until SIGTERM/SIGINT, then drain. Every "
        "flag can also be set as ESCAPESIM_<NAME> (e.g. ESCAPESIM_ADDR); flags win.",
    )
    for flag, dest, metavar, text in _SERVE_FLAGS:
        parser.add_argument(flag, dest=dest, metavar=metavar, help=text)
    parser.add_argument(
        "--insecure", action="store_const", const="true", help="allow a non-loopback --addr "
        "without --tokens-file (anyone who can reach it can use it)",
    )
    parser.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """Load the settings, then serve until a signal."""
    from escapesim.service.api import event_loop
    from escapesim.service.api.server import (  # gRPC server imports only when serving
        announce,
        serve,
    )
    from escapesim.service.store.database import StoreError

    try:
        given = {dest: getattr(args, dest) for _, dest, *_ in _SERVE_FLAGS}
        settings = Settings.load(flags={**given, "insecure": args.insecure})
    except SettingsError as error:
        for problem in error.problems:
            print(f"escapesim serve: error: {problem}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        event_loop.run(serve(settings, ready=announce))
    except (OSError, ValueError, ImportError, StoreError) as error:
        print(f"escapesim serve: error: {error}", file=sys.stderr)
        return 1
    return 0


# -- runs -----------------------------------------------------------------------------------


def _register_runs(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "runs", help="list, inspect, watch, cancel runs on a server and fetch their results"
    )
    commands = parser.add_subparsers(dest="runs_command", metavar="COMMAND", required=True)
    listing = commands.add_parser("list", help="list runs, newest first")
    listing.add_argument("--state", choices=[s.value for s in _states()], help="only this state")
    listing.add_argument("--limit", type=int, default=50, help="most runs to show (default 50)")
    listing.set_defaults(handler=_handler(_list))
    for name, function, text in (
        ("get", _get, "show one run as JSON"),
        ("watch", _watch, "follow a run until it ends (exit 0 if it SUCCEEDED)"),
        ("cancel", _cancel, "cancel a run"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("run_id")
        command.set_defaults(handler=_handler(function))
    results = commands.add_parser("results", help="fetch a run's results")
    results.add_argument("run_id")
    results.add_argument("--table", choices=("trajectories", "replicates"), default="trajectories")
    results.add_argument(
        "--out", metavar="FILE.parquet", help="write Parquet (default: CSV on stdout)"
    )
    results.set_defaults(handler=_handler(_results))
    # On each subcommand only: a subparser's default would overwrite a parent's value.
    for command in commands.choices.values():
        _add_server_flag(command)


def _add_server_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        metavar="HOST:PORT",
        default=os.environ.get("ESCAPESIM_SERVER", DEFAULT_ADDR),
        help="server address (default $ESCAPESIM_SERVER or %(default)s)",
    )


def _states() -> list[Any]:
    from escapesim.service.store.run_record import RunState

    return list(RunState)


def _handler(
    function: Callable[[Any, argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    def handle(args: argparse.Namespace) -> int:
        from escapesim.service.client import ServiceError

        try:
            with _connect(args.server) as client:
                return function(client, args)
        except ServiceError as error:
            return _report(f"runs {args.runs_command}", error)

    return handle


def _connect(server: str) -> Any:
    from escapesim.service.client import Client

    return Client(server, token=os.environ.get("ESCAPESIM_TOKEN") or None)


def _report(command: str, error: Any) -> int:
    print(f"escapesim {command}: error: {error.code.name}: {error.message}", file=sys.stderr)
    for violation in error.violations:
        print(f"  {violation}", file=sys.stderr)
    return 2 if error.code.name == "INVALID_ARGUMENT" else 1


def _list(client: Any, args: argparse.Namespace) -> int:
    from escapesim.service.store.run_record import RunState

    state = RunState(args.state) if args.state else None
    runs = list(itertools.islice(client.iter_runs(state=state), max(args.limit, 0)))
    print(f"{'RUN':32}  {'STATE':10}  {'DONE':>11}  {'CREATED':25}  PRESET")
    for run in runs:
        done = f"{run.replicates_done}/{run.replicates_total}"
        created = run.created_at.isoformat(timespec="seconds")
        preset = run.scenario.get("preset", "")
        print(f"{run.run_id:32}  {run.state.value:10}  {done:>11}  {created:25}  {preset}")
    return 0


def _describe(run: Any) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "request_id": run.request_id,
        "state": run.state.value,
        "created_at": run.created_at.isoformat(),
        "updated_at": run.updated_at.isoformat(),
        "replicates_total": run.replicates_total,
        "replicates_done": run.replicates_done,
        "simulated_day": run.simulated_day,
        "error": run.error,
        "partial": run.partial,
        "scenario": run.scenario,
    }


def _get(client: Any, args: argparse.Namespace) -> int:
    print(json.dumps(_describe(client.get_run(args.run_id)), indent=2))
    return 0


def _watch(client: Any, args: argparse.Namespace) -> int:
    run = client.get_run(args.run_id)
    for update in client.watch(args.run_id):
        run = update.run
        print(
            f"{update.sequence:5}  {run.state.value:10}  replicates {run.replicates_done}/"
            f"{run.replicates_total}  day {run.simulated_day:g}",
            flush=True,
        )
    if run.error:
        print(f"error: {run.error}", file=sys.stderr)
    return 0 if run.state.value == "succeeded" else 1


def _cancel(client: Any, args: argparse.Namespace) -> int:
    run = client.cancel_run(args.run_id)
    print(f"{run.run_id}: {run.state.value}" + (" (partial results kept)" if run.partial else ""))
    return 0


def _results(client: Any, args: argparse.Namespace) -> int:
    from escapesim.service.results import tables

    table = client.result_tables(args.run_id, (args.table,))[args.table]
    if args.out:
        try:
            tables.write_parquet(table, args.out)
        except OSError as error:
            print(
                f"escapesim runs results: error: cannot write {args.out}: {error}", file=sys.stderr
            )
            return 1
        print(f"wrote {args.out} ({table.num_rows} rows)", file=sys.stderr)
    else:
        table.to_pandas().to_csv(sys.stdout, index=False)
    return 0


# -- simulate --server ----------------------------------------------------------------------


def simulate(args: argparse.Namespace, scenario: Scenario) -> int:
    """Run ``scenario`` as a run on ``args.server`` and report it as the local command does.

    The run is created with a fresh ``request_id`` (a retried call cannot create a second
    run), followed with a progress bar, and its results are rebuilt into engine results
    so the outputs (``--out``, ``--plot``, ``--json``, the summary) are the same as local.
    """
    from tqdm import tqdm

    from escapesim.service.cli import outputs, report
    from escapesim.service.client import ServiceError

    if getattr(args, "first_replicate", 0):
        print(
            "escapesim simulate: error: --first-replicate: not supported with --server",
            file=sys.stderr,
        )
        return 2
    parquet, png = outputs.check_outputs(args.out, args.plot)
    try:
        with _connect(args.server) as client:
            run = client.create_run(scenario, request_id=uuid.uuid4().hex)
            with tqdm(total=run.replicates_total, unit="replicate", file=sys.stderr) as bar:
                for update in client.watch(run.run_id):
                    run = update.run
                    bar.update(run.replicates_done - bar.n)
            if run.state.value != "succeeded":
                reason = f": {run.error}" if run.error else ""
                print(
                    f"escapesim simulate: run {run.run_id} {run.state.value}{reason}",
                    file=sys.stderr,
                )
                return 1
            found = client.result_tables(run.run_id)
    except ServiceError as error:
        return _report("simulate", error)
    results = results_from_tables(scenario, found["trajectories"], found["replicates"])
    try:
        outputs.write_outputs(results, parquet, png)
    except OSError as error:
        print(f"escapesim simulate: error: cannot write output: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.json_document(scenario, results)))
    else:
        print(report.summary_text(scenario, results))
    print(f"run {run.run_id} on {args.server}", file=sys.stderr)
    return 0


def results_from_tables(
    scenario: Scenario, trajectories: pa.Table, replicates: pa.Table
) -> list[Result]:
    """Engine results rebuilt from a run's result tables (see :mod:`service.results.tables`)."""
    network = scenario.network()
    names = [s.name for s in (*network.species, *network.levels)]
    trajectory = trajectories.to_pandas()
    results = []
    for row in replicates.to_pylist():
        k = int(row["replicate"])
        rows = trajectory[trajectory["replicate"] == k]
        counters = {
            key.removeprefix("counters."): int(value)
            for key, value in row.items()
            if key.startswith("counters.")
        }
        results.append(
            Result(
                times=rows["t"].to_numpy(dtype=np.float64),
                trajectory=FrozenMap({n: rows[n].to_numpy(dtype=np.float64) for n in names}),
                counters=FrozenMap(counters),
                outcome=Outcome(OutcomeKind(row["outcome"]), row["outcome_time"]),
                provenance=Provenance(scenario=scenario, replicate=k),
            )
        )
    return sorted(results, key=lambda r: r.replicate)


# -- ensemble --server ----------------------------------------------------------------------


def ensemble(args: argparse.Namespace, ensemble: Ensemble) -> int:
    """Run ``ensemble`` on ``args.server`` and report it as ``escapesim ensemble`` does.

    Called by the ``ensemble`` command once the file, the outputs and the flags are
    checked. The ensemble is created with a fresh ``request_id``, followed with a progress
    bar (replicates, and cells finished) from WatchEnsemble; the server's tables and
    summary are written as they came (``--out``: the same files as a local run), and the
    figure and the text summary are drawn from the server's per-cell tables.
    """
    from escapesim.service.client import ServiceError

    try:
        with _connect(args.server) as client:
            found = _follow(client, client.create_ensemble(ensemble, request_id=uuid.uuid4().hex))
            if found.state.value != "succeeded":
                reason = f": {found.error}" if found.error else ""
                print(
                    f"escapesim ensemble: ensemble {found.ensemble_id} {found.state.value}{reason}",
                    file=sys.stderr,
                )
                return 1
            tables = client.ensemble_result_tables(found.ensemble_id)
            document = client.ensemble_summary(found.ensemble_id)
    except ServiceError as error:
        return _report("ensemble", error)
    finished = cells_from_tables(ensemble, tables["trajectories"], tables["replicates"])
    try:
        _write_ensemble(args, ensemble, finished, tables, document)
    except OSError as error:
        print(f"escapesim ensemble: error: cannot write output: {error}", file=sys.stderr)
        return 1
    from escapesim.service.cli.ensemble import summary_text

    print(json.dumps(document) if args.json else summary_text(ensemble, finished))
    print(f"ensemble {found.ensemble_id} on {args.server}", file=sys.stderr)
    return 0


def _follow(client: Any, found: Any) -> Any:
    """Watch an ensemble to its end with a progress bar; returns its final state."""
    from tqdm import tqdm

    bar = tqdm(total=found.replicates_total, desc="replicates", unit="rep",
               disable=not sys.stderr.isatty(), file=sys.stderr, leave=False)  # fmt: skip
    after = 0
    with bar:
        while not found.terminal:
            for update in client.watch_ensemble(found.ensemble_id, after=after):
                found, after = update.ensemble, update.sequence
                bar.set_postfix_str(f"cells {found.cells_done}/{found.cells_total}", refresh=False)
                bar.update(max(found.replicates_done - bar.n, 0))
            if not found.terminal:  # the stream ended early (a restart): look, then resume
                found = client.get_ensemble(found.ensemble_id)
    return found


def cells_from_tables(
    ensemble: Ensemble, trajectories: pa.Table, replicates: pa.Table
) -> list[CellResults]:
    """The finished cells of an ensemble's result tables (each keyed by point and arm),
    summarised again (the figure and the text summary are drawn from them)."""
    import pyarrow.compute as pc

    from escapesim.service.results import ensemble_tables

    cells = ensemble.points()
    keys = {(p, a) for p, a in zip(
        replicates.column("point").to_pylist(), replicates.column("arm").to_pylist(), strict=True
    )}  # fmt: skip
    present = [c for c in cells if (c.point, c.arm) in keys]

    def part(table: pa.Table, cell: Any) -> pa.Table:
        mask = pc.and_(pc.equal(table["point"], cell.point), pc.equal(table["arm"], cell.arm))
        return table.filter(mask).drop_columns(["point", "arm"])

    found = [(part(trajectories, c), part(replicates, c)) for c in present]
    return ensemble_tables.summarise_cells(ensemble, present, found)


def _write_ensemble(
    args: argparse.Namespace,
    ensemble: Ensemble,
    finished: list[CellResults],
    tables: dict[str, pa.Table],
    document: dict[str, Any],
) -> None:
    from pathlib import Path

    from escapesim.service.cli.ensemble import OUTPUT_FILES, write_outputs
    from escapesim.service.results import tables as table_files
    from escapesim.service.store.files import atomic_target

    if args.out is not None:
        out = Path(args.out)
        out.mkdir(exist_ok=True)
        for name, table in tables.items():
            table_files.write_parquet(table, out / f"{name}.parquet")
        with atomic_target(out / "summary.json") as temporary:
            temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {', '.join(OUTPUT_FILES)} in {out} (--out)", file=sys.stderr)
    if args.plot is not None:
        write_outputs(ensemble, finished, None, Path(args.plot), args.series)
