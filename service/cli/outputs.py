"""Output files of ``simulate``: checked before anything runs, written atomically after.

Checking first means a bad path costs the user nothing: no simulation time is spent and
no other output is left behind half-done.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from escapesim.engine import Result
from escapesim.service.cli.errors import UsageError
from escapesim.service.results import plot, tables


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


def write_outputs(results: Sequence[Result], parquet: Path | None, png: Path | None) -> None:
    """Write the trajectory Parquet and the figure that were asked for."""
    if parquet is None and png is None:
        return
    table = tables.trajectory_table(results)
    if parquet is not None:
        tables.write_parquet(table, parquet)
    if png is not None:
        scenario = results[0].provenance.scenario
        net = scenario.network()
        units = {s.name: s.unit for s in (*net.species, *net.levels)}
        title = _title(scenario.preset, len(results), scenario.seed)
        plot.plot_trajectories(table, png, title=title, units=units)


def _title(preset: str, replicates: int, seed: int) -> str:
    noun = "replicate" if replicates == 1 else "replicates"
    return f"{preset}: {replicates} {noun}, seed {seed}"
