"""``simulate --server`` and ``ensemble --server``: submit, follow, fetch the tables, then
end with the local commands' own output tail; and the connection every command that
talks to a server shares.

The gRPC client is imported here, at the top, and this module only when a command talks
to a server: the commands that run locally never pay for it. Every command that talks to
a server takes ``--server HOST:PORT``, sends ``$ESCAPESIM_TOKEN`` as a bearer token
when it is set, and speaks TLS trusting ``$ESCAPESIM_TLS_CA`` (a PEM file) when that is
set. Exit status: 0 success, 1 the server or the run failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

from escapesim.engine import Scenario
from escapesim.engine.ensemble import Ensemble
from escapesim.service.cli import ensemble_report, outputs
from escapesim.service.client import Client, EnsembleInfo, RunInfo, ServiceError
from escapesim.service.results import ensemble_tables
from escapesim.service.store.run_record import RunState


def connect(server: str) -> Client:
    """A client of ``server`` carrying ``$ESCAPESIM_TOKEN`` (if set) as its bearer token,
    over TLS trusting ``$ESCAPESIM_TLS_CA`` (if set; exits with status 2 if unreadable)."""
    token = os.environ.get("ESCAPESIM_TOKEN") or None
    tls_ca = os.environ.get("ESCAPESIM_TLS_CA") or None
    if tls_ca is None:
        return Client(server, token=token)
    if not Path(tls_ca).is_file():
        print(f"escapesim: error: ESCAPESIM_TLS_CA: {tls_ca} is not a file", file=sys.stderr)
        sys.exit(2)
    return Client(server, token=token, tls_ca=Path(tls_ca))


def report(command: str, error: ServiceError) -> int:
    """Print a failed call's code, message and field violations; its exit status."""
    print(f"escapesim {command}: error: {error.code.name}: {error.message}", file=sys.stderr)
    for violation in error.violations:
        print(f"  {violation}", file=sys.stderr)
    return 2 if error.code.name == "INVALID_ARGUMENT" else 1


def simulate(args: argparse.Namespace, scenario: Scenario) -> int:
    """Run ``scenario`` as a run on ``args.server`` and report it as the local command does.

    The run (of replicates ``--first-replicate`` on) is created with a fresh
    ``request_id`` (a retried call cannot create a second run) and followed with a
    progress bar (drawn on a terminal only); its result tables go through the same output
    tail as a local run's (:func:`escapesim.service.cli.outputs.finish`).
    """
    parquet, png = outputs.check_outputs(args.out, args.plot)
    try:
        with connect(args.server) as client:
            run = client.create_run(
                scenario, request_id=uuid.uuid4().hex, first_replicate=args.first_replicate
            )
            with outputs.progress_bar(run.replicates_total) as bar:

                def show(now: RunInfo) -> None:
                    bar.update(max(now.replicates_done - bar.n, 0))

                run = client.wait(run.run_id, on_update=show)
            if run.state is not RunState.SUCCEEDED:
                return _failed("simulate", f"run {run.run_id}", run.state, run.error)
            found = client.result_tables(run.run_id)
    except ServiceError as error:
        return report("simulate", error)
    return outputs.finish(
        "simulate",
        scenario,
        (found["trajectories"], found["replicates"]),
        parquet=parquet,
        png=png,
        as_json=args.json,
        note=f"run {run.run_id} on {args.server}",
    )


def ensemble(args: argparse.Namespace, ensemble: Ensemble) -> int:
    """Run ``ensemble`` on ``args.server`` and report it as ``escapesim ensemble`` does.

    Called by the ``ensemble`` command once the file, the outputs and the flags are
    checked. The ensemble is created with a fresh ``request_id``, followed with a progress
    bar (replicates, and cells finished); the server's tables and summary are written as
    they came (``--out``: the same files as a local run), and the figure and the text
    summary are drawn from the server's per-cell tables.
    """
    try:
        with connect(args.server) as client:
            found = client.create_ensemble(ensemble, request_id=uuid.uuid4().hex)
            with outputs.progress_bar(found.replicates_total) as bar:

                def show(now: EnsembleInfo) -> None:
                    bar.set_postfix_str(f"cells {now.cells_done}/{now.cells_total}", refresh=False)
                    bar.update(max(now.replicates_done - bar.n, 0))

                found = client.wait_ensemble(found.ensemble_id, on_update=show)
            if found.state is not RunState.SUCCEEDED:
                what = f"ensemble {found.ensemble_id}"
                return _failed("ensemble", what, found.state, found.error)
            built = client.ensemble_result_tables(found.ensemble_id)
            document = client.ensemble_summary(found.ensemble_id)
    except ServiceError as error:
        return report("ensemble", error)
    finished = ensemble_tables.cells_from_tables(
        ensemble, built["trajectories"], built["replicates"]
    )
    note = f"ensemble {found.ensemble_id} on {args.server}"
    return ensemble_report.finish(args, ensemble, finished, built, document, note=note)


def _failed(command: str, what: str, state: RunState, error: str | None) -> int:
    reason = f": {error}" if error else ""
    print(f"escapesim {command}: {what} {state.value}{reason}", file=sys.stderr)
    return 1
