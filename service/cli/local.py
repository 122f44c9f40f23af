"""Local subcommands: ``presets`` (the catalogue), ``simulate`` (run on this machine) and
``warm`` (compile the kernel into numba's disk cache ahead of the first run).

``simulate`` runs on the server's own local executor (one worker: a thread of this
process), through the one batch runner, so a local run and a server run of the same
scenario produce the same tables; ``--server`` hands the scenario to a server instead.

``simulate`` checks everything — preset, every ``--set``, the clock, the scenario file,
the output paths — before it runs anything or opens any file, so bad input exits with
status 2, a message naming each bad field, and nothing written.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import TypeAlias

from escapesim.engine import catalog, network
from escapesim.service.cli import outputs, presets_view, sbml_export
from escapesim.service.cli.errors import UsageError
from escapesim.service.cli.kernel_notice import kernel_notice
from escapesim.service.cli.scenario_input import scenario_from_args
from escapesim.service.workers.batches import warm_up
from escapesim.service.workers.local import ExecutorFailure
from escapesim.service.workers.scenarios import simulate_here

#: Replicate indices are stored as int32 (the Parquet ``replicate`` column).
MAX_REPLICATE_INDEX = 2**31 - 1

#: The root parser's subcommand registry (a string: the class is not generic at run time).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(subparsers: Subparsers) -> None:
    """Add ``presets``, ``simulate`` and ``warm`` to the root parser's subcommands."""
    _register_presets(subparsers)
    _register_simulate(subparsers)
    _register_warm(subparsers)


def _register_warm(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "warm",
        help="compile the simulation kernel into numba's disk cache now (make venv runs it)",
        description="Compile the kernel loop and every preset's rate laws (or load them from "
        "numba's disk cache, where they already are), so the first run or server start "
        "does not pay for it.",
    )
    parser.set_defaults(handler=run_warm)


def run_warm(_args: argparse.Namespace) -> int:
    """Load or compile every preset's compiled code, saying how long it took."""
    started = time.monotonic()
    with kernel_notice():
        warm_up()
    seconds = time.monotonic() - started
    print(f"simulation kernel ready for every preset ({seconds:.1f} s)", file=sys.stderr)
    return 0


def _register_presets(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "presets",
        help="list the preset models: parameters, species, defaults, units, bounds",
        description="List the preset models with their parameters (default, bounds, unit) "
        "and species (initial value). Any of these names can be given to simulate --set.",
    )
    parser.add_argument("name", nargs="?", help="show only this preset")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(handler=run_presets)


def _register_simulate(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="simulate a preset stochastically (locally, or on a server with --server)",
        description="Simulate replicates of a preset. Flags override the scenario file. "
        "Bad input exits with status 2, names the field, and writes nothing.",
    )
    parser.add_argument("--preset", metavar="NAME", help="preset model (see `escapesim presets`)")
    parser.add_argument(
        "--sbml", metavar="FILE.xml", help="simulate this SBML model instead (docs/sbml.md)"
    )
    parser.add_argument(
        "--export-sbml",
        metavar="FILE.xml",
        help="also write the scenario's preset, parameters and initial state as SBML L3",
    )
    parser.add_argument(
        "--scenario",
        metavar="FILE",
        help="scenario file, YAML or JSON (.json), in the schema of Scenario.to_dict()",
    )
    parser.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="set a parameter, an initial population/concentration, or escape_threshold; "
        "repeatable; zero switches a process off",
    )
    parser.add_argument(
        "--therapy",
        action="append",
        metavar="KIND:at=DAY,...[:dose=X]",
        help="give a therapy on these days, e.g. anti_pd1:at=14,28,42:dose=10; other KEY=X "
        "set the therapy's parameters; repeatable; added after the file's therapies",
    )
    parser.add_argument(
        "--mechanism",
        action="append",
        metavar="NAME=on|off",
        help="switch a mechanism on or off (see `escapesim presets NAME`); repeatable",
    )
    # Defaults are None so that a scenario file's values stand unless a flag is given.
    parser.add_argument(
        "--horizon", type=_number("--horizon"), metavar="DAYS", help="simulated days (default 365)"
    )
    parser.add_argument(
        "--interval",
        type=_number("--interval"),
        metavar="DAYS",
        help="sampling interval (default 1)",
    )
    parser.add_argument(
        "--seed", type=_whole("--seed"), metavar="INT", help="random seed (default 0)"
    )
    parser.add_argument(
        "--replicates",
        type=_whole("--replicates"),
        metavar="N",
        help="replicates to run (default 1)",
    )
    parser.add_argument(
        "--first-replicate",
        type=_whole("--first-replicate"),
        default=0,
        metavar="K",
        help="index of the first replicate (default 0): `--first-replicate 7 --replicates 1` "
        "reruns replicate 7 of a larger run exactly, alone",
    )
    parser.add_argument(
        "--exact",
        action="store_const",
        const=True,
        help="run every channel exactly (Gillespie's direct method, no tau-leaps): the exact "
        "law, one step per event (scenario field `exact`; default: the hybrid kernel)",
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="a named parameter set of the preset (escape2004: mouse, human) in place of the "
        "defaults; --set and the file's parameters still win (scenario field `profile`)",
    )
    parser.add_argument(
        "--stop-at-outcome",
        action="store_const",
        const=True,
        help="end each replicate once its outcome is decided (scenario field "
        "`stop_at_outcome`; later samples hold the state at the stop)",
    )
    parser.add_argument(
        "--sample-days",
        type=_numbers("--sample-days"),
        metavar="DAY,DAY,...",
        help="sample only these days and the horizon (scenario field `sample_days`; "
        "default: every --interval)",
    )
    parser.add_argument("--out", metavar="FILE.parquet", help="write trajectories as Parquet")
    parser.add_argument("--plot", metavar="FILE.png", help="write a PNG of the trajectories")
    parser.add_argument("--json", action="store_true", help="print one JSON document to stdout")
    parser.add_argument("--server", metavar="HOST:PORT", help="run on an escapesim server")
    parser.set_defaults(handler=run_simulate)


def run_presets(args: argparse.Namespace) -> int:
    """List every preset, or the one named."""
    networks = catalog()
    if args.name is not None:
        found = network(args.name)
        if found is None:
            known = ", ".join(n.name for n in networks)
            problem = f"name: unknown preset {args.name!r} (known: {known})"
            return _usage("presets", UsageError([problem]))
        networks = (found,)
    if args.json:
        print(json.dumps([presets_view.describe(n) for n in networks], indent=2))
    else:
        print("\n\n".join(presets_view.render(n) for n in networks))
    return 0


def run_simulate(args: argparse.Namespace) -> int:
    """Validate everything, run the replicates, then write and print what was asked for."""
    try:
        scenario = scenario_from_args(args)
        _check_first_replicate(args.first_replicate, scenario.replicates)
        parquet, png = outputs.check_outputs(args.out, args.plot)
        if args.export_sbml is not None:
            sbml_export.write(scenario, args.export_sbml)
    except UsageError as error:
        return _usage("simulate", error)
    if args.server is not None:
        # Imported here: the gRPC client takes ~0.4 s to import, which local runs never need.
        from escapesim.service.cli import on_server

        return on_server.simulate(args, scenario)
    try:
        with kernel_notice():  # a machine's first run compiles the kernel: say so
            warm_up([] if scenario.sbml else [scenario.preset])  # a model compiles on its run
        with outputs.progress_bar(scenario.replicates) as bar:
            (found,) = simulate_here(
                [scenario],
                first=args.first_replicate,
                on_batch=lambda _index, batch: bar.update(len(batch.replicates)),
            )
    except ExecutorFailure as error:
        print(f"escapesim simulate: error: {error}", file=sys.stderr)
        return 1
    return outputs.finish("simulate", scenario, found, parquet=parquet, png=png, as_json=args.json)


def _check_first_replicate(first: int, replicates: int) -> None:
    if not 0 <= first <= MAX_REPLICATE_INDEX - replicates + 1:
        raise UsageError(
            [f"first_replicate (--first-replicate {first}): must be within "
             f"[0, {MAX_REPLICATE_INDEX - replicates + 1}]"]
        )  # fmt: skip


def _usage(command: str, error: UsageError) -> int:
    """Report bad input the way argparse does (prefix, one line per problem) and return 2."""
    for problem in error.problems:
        print(f"escapesim {command}: error: {problem}", file=sys.stderr)
    return 2


def _number(flag: str) -> Callable[[str], float]:
    """An argparse type for a real number that names ``flag`` when the text is not one."""

    def parse(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag}: {text!r} is not a number") from None

    return parse


def _numbers(flag: str) -> Callable[[str], list[float]]:
    """An argparse type for a comma-separated list of numbers (``7,14,28``)."""
    one = _number(flag)

    def parse(text: str) -> list[float]:
        return [one(part.strip()) for part in text.split(",") if part.strip()]

    return parse


def _whole(flag: str) -> Callable[[str], int]:
    """An argparse type for a whole number that names ``flag`` when the text is not one."""

    def parse(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag}: {text!r} is not a whole number") from None

    return parse
