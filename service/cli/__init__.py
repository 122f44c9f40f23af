"""The ``escapesim`` command: an argparse root whose subcommands are registered by modules.

``escapesim.service.cli.local`` adds ``presets`` and ``simulate`` (run in this process);
``escapesim.service.cli.remote`` adds ``serve`` and ``runs`` (talk to the gRPC service);
``escapesim.service.cli.ensemble`` adds ``ensemble`` (replicates × grid × arms);
``escapesim.service.cli.sbml_export`` adds ``export-sbml``;
``escapesim.service.cli.calibrate`` adds ``calibrate`` (ABC-SMC fits);
``escapesim.service.cli.session`` adds ``session`` (a patient driven over RunSession),
``escapesim.service.cli.fork`` ``fork`` (a stored run's replicate into arms). Every
subcommand sets ``handler`` on its parser: a function from the parsed arguments to an
exit status (0 success, 1 failure while running, 2 bad input).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from escapesim import __version__
from escapesim.service.cli import (
    calibrate,
    ensemble,
    fork,
    local,
    remote,
    sbml_export,
    sensitivity,
    session,
)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The root parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="escapesim",
        description="Stochastic simulation of tumour-immune dynamics and tumour escape.",
    )
    parser.add_argument("--version", action="version", version=f"escapesim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    local.register(subparsers)
    remote.register(subparsers)
    ensemble.register(subparsers)
    sbml_export.register(subparsers)
    calibrate.register(subparsers)
    sensitivity.register(subparsers)
    session.register(subparsers)
    fork.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and return its exit status.

    argparse reports bad usage by raising ``SystemExit(2)``; it is turned into a return
    value so that callers (tests, embedding code) always get a status, never an exit.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        # --help exits with None or 0; every usage error exits with 2.
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`escapesim presets | head`): stop quietly, as the Python
        # docs recommend, pointing stdout at devnull so the interpreter's final flush
        # does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
