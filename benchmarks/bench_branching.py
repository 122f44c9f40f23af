"""Arms that branch at a day against today's arms: paired escape difference, per grid point.

For every grid point of an ensemble file (default: the anti-PD-1 trial), runs each
replicate's arms twice: as today (every arm from day 0, common random numbers) and
branched (grown under the base scenario to ``--branch-day``, then forked into the arms
from one checkpoint). Prints, per point and arm, whether the two are bitwise identical,
and the 95% interval of the paired escape-probability difference against the control
(Newcombe, :func:`escapesim.engine.summary.paired_difference`) both ways, with the time
each took.

    .venv/bin/python benchmarks/bench_branching.py [--replicates 16] [--branch-day 7]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

from escapesim.engine import Result
from escapesim.engine.branching import branched_point
from escapesim.engine.summary import paired_difference
from escapesim.service.cli.ensemble import load_ensemble

_TRIAL = Path(__file__).resolve().parent.parent / "examples" / "ensemble_escape2004_anti_pd1.yaml"


def _identical(a: Result, b: Result) -> bool:
    return (
        all(np.array_equal(a.trajectory[n], b.trajectory[n]) for n in a.trajectory)
        and a.counters == b.counters
        and a.outcome == b.outcome
    )


def main() -> None:
    """Print the comparison per grid point and arm."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", type=Path, default=_TRIAL)
    parser.add_argument("--replicates", type=int, default=16)
    parser.add_argument("--branch-day", type=float, default=7.0)
    parser.add_argument("--points", type=int, nargs="*", default=None)
    args = parser.parse_args()
    loaded = load_ensemble(str(args.file), replicates=args.replicates)
    today = dataclasses.replace(loaded, branch_day=None)
    branched = dataclasses.replace(loaded, branch_day=args.branch_day)
    control = today.control
    points = args.points if args.points is not None else range(len(today.grid_points()))
    print(f"{args.file.name}: branch day {args.branch_day:g}, {args.replicates} replicates")
    for point in points:
        runs: dict[str, list[dict[str, Result]]] = {"today": [], "branched": []}
        seconds = {}
        for name, ensemble in (("today", today), ("branched", branched)):
            start = time.perf_counter()
            runs[name] = [branched_point(ensemble, point, k) for k in range(args.replicates)]
            seconds[name] = time.perf_counter() - start
        where = ", ".join(f"{k}={v:g}" for k, v in today.grid_points()[point].items())
        print(f"  {where}: today {seconds['today']:.1f} s, branched {seconds['branched']:.1f} s")
        for arm in (a.name for a in today.arms if a.name != control):
            same = sum(_identical(t[arm], b[arm]) for t, b in zip(*runs.values(), strict=True))
            line = [f"    {arm}: {same}/{args.replicates} replicates bitwise identical"]
            for name, results in runs.items():
                escaped = {a: [r[a].outcome.kind.value == "escape" for r in results]
                           for a in (arm, control)}  # fmt: skip
                d = paired_difference(escaped[arm], escaped[control])
                line.append(f"{name} {d.estimate:+.3f} [{d.lower:+.3f}, {d.upper:+.3f}] "
                            f"(width {d.upper - d.lower:.3f})")  # fmt: skip
            print("; ".join(line))


if __name__ == "__main__":
    main()
