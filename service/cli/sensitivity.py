"""``escapesim sensitivity SPEC.yaml --out DIR``: Morris screening or Sobol indices of
outcome quantities over chosen parameters (:mod:`escapesim.service.fitting`).

Writes ``DIR/samples.parquet`` (the design with each set's quantities),
``DIR/indices.parquet``, ``DIR/sensitivity.png`` and ``DIR/summary.json``
(:mod:`escapesim.service.fitting.sensitivity_outputs`), and prints the indices.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TypeAlias

from escapesim.engine import ScenarioError
from escapesim.service.cli.errors import UsageError
from escapesim.service.cli.kernel_notice import kernel_notice
from escapesim.service.cli.scenario_input import load_scenario_file
from escapesim.service.fitting import sensitivity_outputs
from escapesim.service.fitting.sensitivity_analysis import analyse
from escapesim.service.fitting.sensitivity_runs import simulated
from escapesim.service.fitting.sensitivity_spec import SensitivitySpec
from escapesim.service.workers.batches import warm_up
from escapesim.service.workers.local import ExecutorFailure

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
MAX_WORKERS = 64


def register(subparsers: Subparsers) -> None:
    """Add ``sensitivity`` to the root parser's subcommands."""
    parser = subparsers.add_parser(
        "sensitivity",
        help="global sensitivity (Morris or Sobol) of outcome quantities",
        description="Run a sensitivity file (YAML or JSON: scenario, method, samples, "
        "replicates, seed, parameters with ranges, quantities) and write the design, the "
        "indices and their figure. Bad input exits with status 2 and names the field.",
    )
    parser.add_argument("file", metavar="SPEC.yaml", help="the sensitivity file")
    parser.add_argument("--out", metavar="DIR", required=True, help="write the tables here")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help=f"local processes (default 1; at most {MAX_WORKERS})")  # fmt: skip
    parser.add_argument("--server", metavar="HOST:PORT", help="run on an escapesim server")
    parser.set_defaults(handler=run)


def load_spec(path: str) -> SensitivitySpec:
    """The validated spec in file ``path``; raises :class:`UsageError` naming each field."""
    return load_file(path)[1]


def load_file(path: str) -> tuple[dict[str, Any], SensitivitySpec]:
    """The file's mapping and its validated spec; raises :class:`UsageError`."""
    data = load_scenario_file(path, where=path)
    try:
        return data, SensitivitySpec.from_dict(data)
    except ScenarioError as error:
        raise UsageError(f"{path}: {v}" for v in error.violations) from error


def run(args: argparse.Namespace) -> int:
    """Validate, simulate every parameter set, analyse, write and print."""
    try:
        mapping, spec = load_file(args.file)
        if not 1 <= args.workers <= MAX_WORKERS:
            raise UsageError([f"--workers {args.workers}: must be within [1, {MAX_WORKERS}]"])
    except UsageError as error:
        for problem in error.problems:
            print(f"escapesim sensitivity: error: {problem}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"{spec.method}: {spec.sample_count()} parameter sets × {spec.replicates} "
          f"replicates = {spec.simulations()} simulations", file=sys.stderr)  # fmt: skip
    if args.server is not None:
        # Imported here: only a command that talks to a server needs the gRPC client.
        from escapesim.service.cli import analyses_on_server

        found = analyses_on_server.sensitivity(args.server, mapping, spec, out)
        if isinstance(found, int):
            return found
        result = found
    else:
        try:
            with kernel_notice():
                warm_up([] if spec.scenario.sbml else [spec.scenario.preset])
            result = analyse(spec, simulated(spec, workers=args.workers))
        except ExecutorFailure as error:
            print(f"escapesim sensitivity: error: {error}", file=sys.stderr)
            return 1
        sensitivity_outputs.write(result, spec, out)
    print(result.indices.to_pandas().to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0
