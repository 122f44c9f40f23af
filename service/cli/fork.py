"""``escapesim fork RUN_ID --replicate R --day D --arm FILE … --server ADDR``.

Forks replicate R of a stored run at its checkpoint on day D into arms, one run each
(:meth:`escapesim.service.client.Client.fork_run`). An arm file (YAML or JSON) holds one
``ForkArm`` mapping: ``name`` and what changes from day D on (``add_therapies``,
``stop_therapies``, ``parameters``, ``mechanisms``, ``escape_threshold``,
``horizon_days``); a file of only a name continues the parent unchanged. Prints one line
per arm (run id, arm, state); with ``--wait``, follows the runs to their end. Exit
status: 0 success, 1 the server or a run failed, 2 bad input.

Only stored runs fork: the local ``simulate`` keeps no checkpoints on disk.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

import yaml

from escapesim.service.cli.errors import UsageError
from escapesim.service.cli.remote import add_server_flag

Subparsers = Any  # argparse's _SubParsersAction is private


def register(subparsers: Subparsers) -> None:
    """Add ``fork`` to the root parser's subcommands."""
    parser = subparsers.add_parser(
        "fork",
        help="fork a stored run's replicate at a checkpoint day into arms",
        description="Fork replicate R of a stored run at one of its checkpoint_days into "
        "arms: each arm a new run that shares the parent's past bitwise.",
    )
    parser.add_argument("run_id", metavar="RUN_ID", help="the stored run to fork")
    parser.add_argument("--replicate", type=int, required=True, metavar="R")
    parser.add_argument("--day", type=float, required=True, metavar="D",
                        help="one of the run's checkpoint_days")  # fmt: skip
    parser.add_argument("--arm", action="append", required=True, metavar="FILE",
                        help="an arm file (YAML or JSON); repeat for several arms")  # fmt: skip
    parser.add_argument("--wait", action="store_true", help="follow the runs to their end")
    add_server_flag(parser)
    parser.set_defaults(handler=run_fork)


def run_fork(args: argparse.Namespace) -> int:
    """Read the arms, fork on the server, print (and with ``--wait`` follow) the runs."""
    from escapesim.service.cli.on_server import connect, report
    from escapesim.service.client import ServiceError

    try:
        arms = [_arm(Path(path)) for path in args.arm]
    except UsageError as error:
        for problem in error.problems:
            print(f"escapesim fork: error: {problem}", file=sys.stderr)
        return 2
    try:
        with connect(args.server) as client:
            runs = client.fork_run(
                args.run_id, replicate=args.replicate, day=args.day, arms=arms,
                request_id=uuid.uuid4().hex,
            )  # fmt: skip
            if args.wait:
                runs = [client.wait(run.run_id) for run in runs]
    except ServiceError as error:
        return report("fork", error)
    for run in runs:
        arm = run.forked_from.arm if run.forked_from else ""
        print(f"{run.run_id}  {arm}  {run.state.value}")
        if run.error:
            print(f"  error: {run.error}", file=sys.stderr)
    return 0 if all(not r.terminal or r.state.value == "succeeded" for r in runs) else 1


def _arm(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise UsageError([f"--arm {path}: cannot read: {error}"]) from None
    if not isinstance(data, dict):
        raise UsageError([f"--arm {path}: must be a mapping of an arm's fields"])
    return data
