"""``export-sbml``: a preset scenario (parameters, initial state) as an SBML Level 3 file.

``simulate --export-sbml FILE`` writes the same document for the scenario it runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TypeAlias

from escapesim.engine import Scenario, sbml
from escapesim.service.cli.errors import UsageError
from escapesim.service.cli.scenario_input import scenario_from_args

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(subparsers: Subparsers) -> None:
    """Add ``export-sbml`` to the root parser's subcommands."""
    parser = subparsers.add_parser(
        "export-sbml",
        help="write a preset (with a scenario's values) as SBML Level 3",
        description="Write a preset's network with the scenario's parameter values and "
        "initial state as an SBML Level 3 document that libSBML validates (docs/sbml.md).",
    )
    parser.add_argument("--preset", metavar="NAME", help="preset model (see `escapesim presets`)")
    parser.add_argument("--scenario", metavar="FILE", help="scenario file, YAML or JSON")
    parser.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help="set a parameter or initial value"
    )
    parser.add_argument("--out", metavar="FILE.xml", help="write here (default: stdout)")
    # The flags of `simulate` that an export has no use for, so one parser of scenarios serves.
    parser.set_defaults(
        handler=run_export, sbml=None, therapy=None, mechanism=None, horizon=None,
        interval=None, seed=None, replicates=None, exact=None, profile=None,
        stop_at_outcome=None, sample_days=None,
    )  # fmt: skip


def run_export(args: argparse.Namespace) -> int:
    """Write the SBML document of the scenario asked for."""
    try:
        scenario = scenario_from_args(args)
        if args.out is None:
            sys.stdout.write(document(scenario))
        else:
            write(scenario, args.out)
    except UsageError as error:
        for problem in error.problems:
            print(f"escapesim export-sbml: error: {problem}", file=sys.stderr)
        return 2
    return 0


def document(scenario: Scenario) -> str:
    """The SBML text of ``scenario``; raises :class:`UsageError` when it cannot be exported."""
    try:
        return sbml.export_scenario(scenario)
    except sbml.SbmlError as error:
        raise UsageError(f"preset: {p}" for p in error.problems) from error


def write(scenario: Scenario, path: str) -> None:
    """Write the SBML text of ``scenario`` to ``path``."""
    text = document(scenario)
    target = Path(path)
    if not target.parent.is_dir():
        raise UsageError([f"--export-sbml {path}: directory {str(target.parent)!r} does not exist"])
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError([f"{path}: cannot write ({error})"]) from error
