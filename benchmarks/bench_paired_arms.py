"""Common random numbers: how closely the paired arms of a virtual trial agree.

Runs every grid point of an ensemble file (default: the anti-PD-1 trial of
``examples/ensemble_escape2004_anti_pd1.yaml``) for its control arm and one treated arm,
replicate k against replicate k, and prints per grid point

* escape: the 2×2 table of pairs and the width of the 95% interval of the paired
  difference in escape probability (Newcombe, :func:`escapesim.engine.summary.paired_difference`);
* tumour burden at ``--day`` (log10(1 + cells)): the correlation of the pairs, and the
  widths of the 95% interval of the mean difference computed from the pairs and, for
  comparison, as if the arms were independent.

The better the arms share their random numbers, the higher the correlation and the
narrower the paired intervals. Run it on two revisions to compare their streams:

    .venv/bin/python benchmarks/bench_paired_arms.py [--replicates 40] [--day 60]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from escapesim.engine import simulate
from escapesim.engine.ensemble import Ensemble
from escapesim.engine.summary import paired_difference
from escapesim.service.cli.ensemble import load_ensemble

_TRIAL = Path(__file__).resolve().parent.parent / "examples" / "ensemble_escape2004_anti_pd1.yaml"
Z95 = 1.959963984540054


def arm_runs(ensemble: Ensemble, point: int, arm: str, day: float) -> tuple[list[bool], np.ndarray]:
    """Escape per replicate and log10(1 + tumour cells) at ``day`` of one cell."""
    cell = next(c for c in ensemble.points() if c.point == point and c.arm == arm)
    scenario = cell.scenario
    tumour = scenario.network().tumour
    escaped, burden = [], []
    for r in range(ensemble.replicates):
        result = simulate(scenario, r)
        escaped.append(result.outcome.kind.value == "escape")
        k = int(np.searchsorted(result.times, day))
        burden.append(math.log10(1.0 + sum(float(result.trajectory[n][k]) for n in tumour)))
    return escaped, np.array(burden)


def main() -> None:
    """Print the paired statistics per grid point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", type=Path, default=_TRIAL)
    parser.add_argument("--replicates", type=int, default=40)
    parser.add_argument("--day", type=float, default=60.0)
    args = parser.parse_args()
    ensemble = load_ensemble(str(args.file), replicates=args.replicates)
    control = ensemble.control
    treated = next(a.name for a in ensemble.arms if a.name != control)
    start = time.perf_counter()
    print(f"{args.file.name}: {treated} against {control}, {args.replicates} pairs per point")
    for point, values in enumerate(ensemble.grid_points()):
        esc_c, tum_c = arm_runs(ensemble, point, control, args.day)
        esc_t, tum_t = arm_runs(ensemble, point, treated, args.day)
        diff = paired_difference(esc_t, esc_c)
        n = len(tum_c)
        delta = tum_t - tum_c
        spread = float(np.std(tum_c, ddof=1) * np.std(tum_t, ddof=1))
        corr = float(np.corrcoef(tum_c, tum_t)[0, 1]) if spread > 0 else float("nan")
        paired = 2 * Z95 * float(np.std(delta, ddof=1)) / math.sqrt(n)
        unpaired = 2 * Z95 * math.sqrt((np.var(tum_c, ddof=1) + np.var(tum_t, ddof=1)) / n)
        where = ", ".join(f"{k}={v:g}" for k, v in values.items())
        print(
            f"  {where}: escape pairs both/{treated} only/{control} only/neither "
            f"{diff.both}/{diff.arm_only}/{diff.control_only}/{diff.neither}, difference "
            f"{diff.estimate:+.2f} [{diff.lower:+.2f}, {diff.upper:+.2f}] "
            f"(width {diff.upper - diff.lower:.2f}); log10 tumour at day {args.day:g}: "
            f"correlation {corr:.2f}, mean difference {float(delta.mean()):+.2f}, "
            f"95% width paired {paired:.2f} / unpaired {unpaired:.2f}"
        )
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
