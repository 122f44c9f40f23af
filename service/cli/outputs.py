"""The outputs of ``simulate``: files checked before anything runs, then one tail for
local and server runs that writes them atomically and prints what was asked for.

Checking first means a bad path costs the user nothing: no simulation time is spent and
no other output is left behind half-done.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pyarrow as pa
from tqdm import tqdm

from escapesim.engine import Result, Scenario
from escapesim.service.cli import report
from escapesim.service.cli.errors import UsageError
from escapesim.service.results import plot, tables
from escapesim.service.workers.scenarios import Tables


def check_output(flag: str, path: str | None) -> Path | None:
    """The output path of ``flag`` if it can be written; raises :class:`UsageError` if not."""
    if path is None:
        return None
    target = Path(path)
    directory = target.parent
    if not path or target.name in ("", ".", ".."):
        problem = "is not a file name"
    elif target.is_dir():
        problem = "is a directory"
    elif not directory.is_dir():
        problem = f"directory {str(directory)!r} does not exist"
    elif not os.access(directory, os.W_OK | os.X_OK):
        problem = f"directory {str(directory)!r} is not writable"
    else:
        return target
    raise UsageError([f"{flag} {path}: {problem}"])


def check_outputs(out: str | None, figure: str | None) -> tuple[Path | None, Path | None]:
    """Check ``--out`` and ``--plot`` together (all problems at once, and not the same file)."""
    problems: list[str] = []
    checked: list[Path | None] = []
    for flag, path in (("--out", out), ("--plot", figure)):
        try:
            checked.append(check_output(flag, path))
        except UsageError as error:
            problems += error.problems
            checked.append(None)
    parquet, png = checked
    if parquet is not None and png is not None and parquet.resolve() == png.resolve():
        problems.append(f"--plot {figure}: the same file as --out")
    if problems:
        raise UsageError(problems)
    return parquet, png


def progress_bar(total: int) -> tqdm[NoReturn]:
    """The replicates bar of every command; drawn only when standard error is a terminal,
    so piped output stays clean."""
    return tqdm(total=total, desc="replicates", unit="rep", disable=not sys.stderr.isatty(),
                file=sys.stderr, leave=False)  # fmt: skip


def finish(
    command: str,
    scenario: Scenario,
    found: Tables,
    *,
    parquet: Path | None,
    png: Path | None,
    as_json: bool,
    note: str | None = None,
) -> int:
    """The end of every ``simulate``, in this process or on a server: write ``--out`` and
    ``--plot`` from the (trajectories, replicates) tables, print the JSON document or the
    summary, then on standard error what was written and ``note`` (which server ran it).

    Returns the exit status: 1 if an output cannot be written, else 0.
    """
    # The file-level metadata of stored runs (scenario, partial) is not part of --out.
    trajectories = found[0].replace_schema_metadata(None)
    results = tables.results_from_tables(scenario, trajectories, found[1])
    try:
        _write(scenario, trajectories, results, parquet, png)
    except OSError as error:
        print(f"escapesim {command}: error: cannot write output: {error}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(report.json_document(scenario, results)))
    else:
        print(report.summary_text(scenario, results))
    for flag, path in (("--out", parquet), ("--plot", png)):
        if path is not None:
            print(f"wrote {path} ({flag})", file=sys.stderr)
    if note is not None:
        print(note, file=sys.stderr)
    return 0


def _write(
    scenario: Scenario,
    trajectories: pa.Table,
    results: Sequence[Result],
    parquet: Path | None,
    png: Path | None,
) -> None:
    """Write the trajectory Parquet and the figure that were asked for."""
    if parquet is not None:
        tables.write_parquet(trajectories, parquet)
    if png is not None:
        outcomes = [(str(r.outcome.kind), r.outcome.time) for r in results]
        plot.plot_trajectories(trajectories, png, scenario=scenario, outcomes=outcomes,
                               what=_what(scenario, len(results)))  # fmt: skip


def _what(scenario: Scenario, replicates: int) -> str:
    noun = "replicate" if replicates == 1 else "replicates"
    return f"{replicates} {noun}, seed {scenario.seed}, {scenario.horizon_days:g} days"
