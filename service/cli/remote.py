"""The server's own subcommands: ``serve`` and ``runs …`` (``simulate --server`` and
``ensemble --server`` are in :mod:`escapesim.service.cli.on_server`).

Every command that talks to a server takes ``--server HOST:PORT`` (default
``$ESCAPESIM_SERVER`` or 127.0.0.1:50051) and sends ``$ESCAPESIM_TOKEN`` as a bearer
token when it is set. Exit status: 0 success, 1 the server or the run failed, 2 bad input.
The server and the gRPC client are imported only by the commands that use them (a local
``simulate`` never pays the ~0.4 s they take).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from escapesim.service.api.settings import DEFAULT_ADDR, Settings, SettingsError
from escapesim.service.results import tables
from escapesim.service.store.run_record import RunState

if TYPE_CHECKING:
    from escapesim.service.client import Client, RunInfo

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
    ("--metrics-addr", "metrics_addr", "HOST:PORT", "serve Prometheus /metrics (default off)"),
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
        "--insecure",
        action="store_const",
        const="true",
        help="allow a non-loopback --addr "
        "without --tokens-file (anyone who can reach it can use it)",
    )
    parser.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """Load the settings, then serve until a signal."""
    from escapesim.service.api import event_loop, exposure
    from escapesim.service.api.server import (  # gRPC server imports only when serving
        announce,
        serve,
    )
    from escapesim.service.cli.kernel_notice import kernel_notice
    from escapesim.service.store.database import StoreError
    from escapesim.service.workers.batches import warm_up

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
        # Refuse an open server before a minute of compiling, then compile (or load) the
        # kernel here, once, saying so: the workers spawned next load it from the cache.
        exposure.check(settings)
        with kernel_notice():
            warm_up()
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
    listing.add_argument("--state", choices=[s.value for s in RunState], help="only this state")
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
        add_server_flag(command)


def add_server_flag(parser: argparse.ArgumentParser) -> None:
    """``--server HOST:PORT`` (default ``$ESCAPESIM_SERVER``), as every server command has."""
    parser.add_argument(
        "--server",
        metavar="HOST:PORT",
        default=os.environ.get("ESCAPESIM_SERVER", DEFAULT_ADDR),
        help="server address (default $ESCAPESIM_SERVER or %(default)s)",
    )


def _handler(
    function: Callable[[Client, argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    def handle(args: argparse.Namespace) -> int:
        # Imported here: the gRPC client is for the commands that talk to a server.
        from escapesim.service.cli.on_server import connect, report
        from escapesim.service.client import ServiceError

        try:
            with connect(args.server) as client:
                return function(client, args)
        except ServiceError as error:
            return report(f"runs {args.runs_command}", error)

    return handle


def _list(client: Client, args: argparse.Namespace) -> int:
    state = RunState(args.state) if args.state else None
    runs = list(itertools.islice(client.iter_runs(state=state), max(args.limit, 0)))
    print(f"{'RUN':32}  {'STATE':10}  {'DONE':>11}  {'CREATED':25}  PRESET")
    for run in runs:
        done = f"{run.replicates_done}/{run.replicates_total}"
        created = run.created_at.isoformat(timespec="seconds")
        preset = run.scenario.get("preset", "")
        print(f"{run.run_id:32}  {run.state.value:10}  {done:>11}  {created:25}  {preset}")
    return 0


def _describe(run: RunInfo) -> dict[str, Any]:
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
        "first_replicate": run.first_replicate,
        "forked_from": None if run.forked_from is None else dataclasses.asdict(run.forked_from),
        "scenario": run.scenario,
    }


def _get(client: Client, args: argparse.Namespace) -> int:
    print(json.dumps(_describe(client.get_run(args.run_id)), indent=2))
    return 0


def _watch(client: Client, args: argparse.Namespace) -> int:
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


def _cancel(client: Client, args: argparse.Namespace) -> int:
    run = client.cancel_run(args.run_id)
    print(f"{run.run_id}: {run.state.value}" + (" (partial results kept)" if run.partial else ""))
    return 0


def _results(client: Client, args: argparse.Namespace) -> int:
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
