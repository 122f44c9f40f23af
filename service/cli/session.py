"""``escapesim session SCENARIO --server ADDR --every 7 --policy module:function``.

Drives one replicate of a scenario file over a server's ``RunSession`` stream
(docs/sessions.md): at each decision the policy gets the engine's
:class:`~escapesim.engine.episode.Observation` and returns the doses to give (a mapping
like a scenario file's therapy, a list of them, an engine ``Action``) or ``None`` to
continue. Without ``--policy`` every decision continues (the plain replicate, observed).
One line per decision, then the outcome; ``--json`` prints one document instead.

``--token-out FILE`` keeps the latest decision's token in FILE (rewritten at each
decision, and with the token a stopping server sends), and ``--resume FILE`` continues
from such a file: a dropped connection or a restarted server does not lose the patient.
Exit status: 0 success, 1 the server or the policy failed, 2 bad input (a file, the
policy's name, or an action the server refused).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from escapesim.engine.episode import Measurement, Observation
from escapesim.service.api.settings import DEFAULT_ADDR
from escapesim.service.cli.errors import UsageError
from escapesim.service.cli.scenario_input import load_scenario_file

if TYPE_CHECKING:
    from escapesim.service.client import Session

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
#: A policy: an observation in, doses (or None: continue) out.
Policy: TypeAlias = Callable[[Observation], Any]


def register(subparsers: Subparsers) -> None:
    """Add ``session`` to the root parser's subcommands."""
    parser = subparsers.add_parser(
        "session",
        help="drive one patient decision by decision on a server (adaptive therapy)",
        description="Open an interactive session on a server: at each decision day the "
        "policy sees what a clinic measures and chooses the doses (docs/sessions.md).",
    )
    parser.add_argument("scenario", metavar="SCENARIO", nargs="?",
                        help="a scenario file (YAML or JSON); not with --resume")  # fmt: skip
    parser.add_argument(
        "--server", metavar="HOST:PORT", default=os.environ.get("ESCAPESIM_SERVER", DEFAULT_ADDR),
        help="server address (default $ESCAPESIM_SERVER or %(default)s)",
    )  # fmt: skip
    parser.add_argument("--every", type=float, default=7.0, metavar="DAYS",
                        help="days between decisions (default 7)")  # fmt: skip
    parser.add_argument("--policy", metavar="MODULE:FUNCTION",
                        help="the policy; default: continue at every decision")  # fmt: skip
    parser.add_argument("--replicate", type=int, default=0, metavar="K",
                        help="which replicate of the scenario (default 0)")  # fmt: skip
    parser.add_argument("--cv", type=float, default=0.0,
                        help="the burden's log-normal measurement CV (default 0)")  # fmt: skip
    parser.add_argument("--detection-limit", type=float, default=0.0, metavar="CELLS",
                        help="burden below which the measurement reads 0")  # fmt: skip
    parser.add_argument("--token-out", metavar="FILE", help="keep the latest token here")
    parser.add_argument("--resume", metavar="FILE", help="continue from a token file")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(handler=run)


def load_policy(name: str) -> Policy:
    """The callable ``module:function`` names (the working directory is importable, as
    for ``python -m``); raises :class:`UsageError`."""
    module_name, colon, function_name = name.partition(":")
    if not colon or not module_name or not function_name:
        raise UsageError([f"--policy: must be MODULE:FUNCTION, got {name!r}"])
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise UsageError([f"--policy: cannot import {module_name} ({error})"]) from None
    found = getattr(module, function_name, None)
    if not callable(found):
        raise UsageError([f"--policy: {module_name} has no function {function_name}"])
    return found


def run(args: argparse.Namespace) -> int:
    """Check the inputs, drive the session, print it."""
    try:
        if (args.scenario is None) == (args.resume is None):
            raise UsageError(["give a SCENARIO file or --resume FILE (one of them)"])
        policy = load_policy(args.policy) if args.policy else _continue
        scenario = load_scenario_file(args.scenario, where=args.scenario) if args.scenario else None
        token = _read_token(args.resume) if args.resume else None
    except UsageError as error:
        for problem in error.problems:
            print(f"escapesim session: error: {problem}", file=sys.stderr)
        return 2
    # The client is imported here: the commands that run locally never pay for gRPC.
    from escapesim.service.cli.on_server import connect, report
    from escapesim.service.client import ServiceError

    measurement = Measurement(cv=args.cv, detection_limit=args.detection_limit)
    decisions: list[dict[str, Any]] = []
    try:
        with connect(args.server) as client:
            if token is not None:
                session = client.resume_session(token, every=args.every, measurement=measurement)
            else:
                session = client.session(
                    scenario or {}, every=args.every, replicate=args.replicate,
                    measurement=measurement,
                )  # fmt: skip
            with session:
                try:
                    _drive(session, policy, decisions, args)
                finally:  # a stopping server's parting token is the latest decision's
                    if args.token_out and session.shutdown_token is not None:
                        Path(args.token_out).write_bytes(session.shutdown_token)
    except ServiceError as error:
        return report("session", error)
    except _PolicyFailed as failed:
        print(f"escapesim session: error: the policy failed at day {failed}", file=sys.stderr)
        return 1
    _print(session, decisions, args.json)
    return 0


class _PolicyFailed(Exception):  # noqa: N818 - reads as what happened
    """The policy raised (the message is the decision day)."""


def _drive(session: Session, policy: Policy, decisions: list[dict[str, Any]], args: Any) -> None:
    for observation in session:
        if args.token_out:
            Path(args.token_out).write_bytes(session.checkpoint())
        try:
            doses = policy(observation)
        except Exception as error:
            raise _PolicyFailed(f"{observation.day:g}: {error}") from error
        decisions.append({**_observed(observation), "doses": _shown(doses)})
        if not args.json:
            print(_line(decisions[-1]), flush=True)
        if doses is not None:
            session.act(doses)


def _continue(observation: Observation) -> None:
    return None


def _observed(observation: Observation) -> dict[str, Any]:
    return {
        "day": observation.day, "burden": observation.burden,
        "detected": observation.detected, "effectors": dict(observation.effectors),
        "exposures": dict(observation.exposures),
    }  # fmt: skip


def _shown(doses: Any) -> Any:
    """The doses as JSON can show them."""
    if doses is None or isinstance(doses, str | int | float | bool):
        return doses
    if isinstance(doses, dict):
        return {str(k): _shown(v) for k, v in doses.items()}
    if isinstance(doses, list | tuple):
        return [_shown(d) for d in doses]
    return repr(doses)


def _line(decision: dict[str, Any]) -> str:
    doses = decision["doses"]
    burden = f"{decision['burden']:.4g}" if decision["detected"] else "below detection"
    given = "continue" if doses in (None, [], ()) else f"doses {json.dumps(doses)}"
    return f"day {decision['day']:g}: burden {burden}; {given}"


def _print(session: Session, decisions: list[dict[str, Any]], as_json: bool) -> None:
    summary = session.summary
    assert summary is not None  # the session ran to its end
    outcome = summary.outcome.value
    if as_json:
        document = {
            "decisions": decisions, "outcome": outcome, "outcome_day": summary.outcome_day,
            "final_values": summary.final_values, "scenario": session.scenario,
        }  # fmt: skip
        print(json.dumps(document, indent=2))
        return
    when = f" on day {summary.outcome_day:.1f}" if summary.outcome_day is not None else ""
    print(f"outcome: {outcome}{when}")


def _read_token(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise UsageError([f"--resume: cannot read {path} ({error.strerror})"]) from None
