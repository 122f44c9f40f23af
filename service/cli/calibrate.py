"""``escapesim calibrate FILE.yaml --out DIR``: fit parameters to a PEtab measurement table.

The calibration file names the scenario (a mapping, or a scenario file's path), the
priors, the measurement table, the conditions and the stopping rules
(docs/calibration.md); everything is checked before anything runs, and a bad field or
table cell exits with status 2 naming it (``measurements[3].time``). The outputs are
:mod:`escapesim.service.fitting.calibration_outputs`'.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

from escapesim.engine import ScenarioError
from escapesim.engine.calibration import CalibrationSpec
from escapesim.service.cli.errors import UsageError
from escapesim.service.cli.scenario_input import load_scenario_file

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

#: A local pool larger than this helps no laptop (as for ``escapesim ensemble``).
MAX_WORKERS = 64


def register(subparsers: Subparsers) -> None:
    """Add ``calibrate`` to the root parser's subcommands."""
    parser = subparsers.add_parser(
        "calibrate",
        help="fit parameters to measurements by ABC-SMC (pyABC)",
        description="Fit a scenario's parameters to a PEtab measurement table by ABC-SMC "
        "and write the posterior (particles per generation, epsilon and acceptance, "
        "summary, plots) to --out. Bad input exits with status 2 and names the field.",
    )
    parser.add_argument("file", metavar="FILE.yaml", help="the calibration file")
    parser.add_argument("--out", metavar="DIR", required=True, help="the output folder")
    parser.add_argument(
        "--workers", type=int, default=1, metavar="N",
        help=f"local processes (default 1: this process; at most {MAX_WORKERS}); the "
        "posterior is the same for any number",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--server", metavar="HOST:PORT", help="fit on an escapesim server "
                        "(the measurement rows are sent with the request)")  # fmt: skip
    parser.set_defaults(handler=run)


def load_inputs(path: str) -> tuple[dict[str, Any], list[dict[str, Any]], CalibrationSpec]:
    """The file's mapping (its scenario read, its table's path dropped), the table's
    rows and the validated spec: what a server is sent. Raises :class:`UsageError`."""
    data = load_scenario_file(path, where=path)
    return inputs_of(data, Path(path).parent, where=path)


def inputs_of(
    data: Mapping[str, Any], directory: Path, *, where: str
) -> tuple[dict[str, Any], list[dict[str, Any]], CalibrationSpec]:
    """As :func:`load_inputs`, of a calibration mapping whose paths (a ``scenario`` file,
    the ``measurements`` table) are relative to ``directory``."""
    # Imported here: petab and pyABC take seconds to import, which no other command needs.
    from escapesim.service.fitting.calibration_file import calibration_inputs

    given = _with_scenario(data, directory, where=where)
    try:
        mapping, rows = calibration_inputs(given, directory)
        return mapping, rows, CalibrationSpec.from_dict(mapping, rows)
    except ScenarioError as error:
        raise UsageError(f"{where}: {v}" for v in error.violations) from None


def _with_scenario(data: Mapping[str, Any], directory: Path, *, where: str) -> dict[str, Any]:
    given = dict(data)
    scenario = given.get("scenario")
    if isinstance(scenario, str):
        given["scenario"] = load_scenario_file(str(directory / scenario), where=where)
    return given


def run(args: argparse.Namespace) -> int:
    """Validate, fit, write the outputs and print the posterior summary."""
    try:
        if not 1 <= args.workers <= MAX_WORKERS:
            raise UsageError([f"--workers: must be in [1, {MAX_WORKERS}], got {args.workers}"])
        mapping, rows, spec = load_inputs(args.file)
    except UsageError as error:
        for problem in error.problems:
            print(f"escapesim calibrate: error: {problem}", file=sys.stderr)
        return 2
    if args.server is not None:
        # Imported here: only a command that talks to a server needs the gRPC client.
        from escapesim.service.cli import analyses_on_server

        found = analyses_on_server.calibrate(args.server, mapping, rows, spec, Path(args.out))
        if isinstance(found, int):
            return found
        return _print_summary(found, args)
    logging.getLogger("ABC").setLevel(logging.WARNING)  # pyABC's per-generation chatter
    from escapesim.service.fitting.calibration_local import calibrate_here

    def progress(generation: int, evaluations: int, accepted: int) -> None:
        if generation >= 0:
            print(f"generation {generation}: {accepted} accepted of {evaluations} simulated",
                  file=sys.stderr)  # fmt: skip

    try:
        document = calibrate_here(spec, Path(args.out), workers=args.workers,
                                  on_generation=progress)  # fmt: skip
    except ScenarioError as error:  # a budget too small for one generation
        for violation in error.violations:
            print(f"escapesim calibrate: error: {args.file}: {violation}", file=sys.stderr)
        return 2
    return _print_summary(document, args)


def _print_summary(document: Mapping[str, Any], args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps(document, indent=2))
        return 0
    print(
        f"{document['preset']}: {document['generations']} generations, "
        f"{document['evaluations']} simulated, {document['seconds']:.1f} s; outputs in {args.out}"
    )
    for name, found in document["posterior"].items():
        print(f"  {name}: median {found['median']:.4g}, 95% CI [{found['low']:.4g}, "
              f"{found['high']:.4g}]")  # fmt: skip
    return 0
