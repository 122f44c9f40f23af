"""Benchmark of the escape2004 preset: seconds per replicate on one core.

The main case has every mechanism on, a tumour that grows to ~1e9 cells (carrying
capacity 2e9), 365 days sampled daily. Then how the cost grows with the tumour size
(plateaus of 1e6, 1e8, 1e10 cells) and with the number of occupied clones.

    .venv/bin/python benchmarks/bench_escape2004.py [--replicates 3] [--quick]

Target (issue 4): under 1 s per replicate, and a 1000-replicate ensemble under 5 minutes
on 2 cores. Times are CPU seconds of this process (what one free core would take), so
other load on the machine does not inflate them; the load average is printed too.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Mapping

from engine import Scenario, simulate
from engine.presets.escape2004.clones import CLONES
from engine.simulation import Simulation

#: Founder clones for the clone-count sweep: spread over the inherited traits.
_FOUNDERS = [c.name for c in CLONES]


def case(size: float, clones: int = 1, horizon: float = 365.0) -> Scenario:
    """Every mechanism on; the tumour grows past ``size`` cells (capacity 2·size)."""
    founders = dict.fromkeys(_FOUNDERS[:clones], 10000.0 / clones)
    initial: Mapping[str, float] = {"T": 0.0, **{k: float(round(v)) for k, v in founders.items()}}
    return Scenario.build(
        preset="escape2004",
        parameters={"inverse_capacity": 1.0 / (2.0 * size)},
        initial=initial,
        horizon_days=horizon,
        interval_days=1.0,
        escape_threshold=min(size, 1e15),
        seed=365,
    )


def seconds_per_replicate(scenario: Scenario, replicates: int) -> tuple[float, str]:
    """Mean CPU time per replicate (one core; robust to other load), and the outcomes."""
    start, outcomes = time.process_time(), []
    for r in range(replicates):
        outcomes.append(simulate(scenario, r).outcome.kind.value)
    return (time.process_time() - start) / replicates, ",".join(sorted(set(outcomes)))


def step_report(scenario: Scenario) -> str:
    """Kernel steps of replicate 0, what ended them, and the CPU time per step."""
    simulation = Simulation(scenario, 0)
    start = time.process_time()
    result = simulation.run()
    seconds = time.process_time() - start
    ends = simulation.step_ends
    steps = sum(ends.values())
    shares = ", ".join(f"{k} {n} ({100 * n / steps:.0f}%)" for k, n in ends.items() if n)
    day = f"day {result.outcome.time:.0f}" if result.outcome.time is not None else "none"
    return (
        f"  replicate 0: {steps} kernel steps, {1e6 * seconds / steps:.0f} µs CPU each "
        f"(outcome {result.outcome.kind.value} at {day}); steps ended by: {shares}"
    )


def main() -> None:
    """Run the cases and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replicates", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="main case only")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    main_cost, outcome = seconds_per_replicate(case(1e9), args.replicates)
    print(
        f"main (all mechanisms, ~1e9 cells, 365 d, daily): {main_cost:.2f} s/replicate "
        f"({outcome}); 1000 replicates on 2 cores ≈ {main_cost * 1000 / 2 / 60:.1f} min"
    )
    print(step_report(case(1e9)))
    if args.quick:
        return
    for size in (1e6, 1e8, 1e10):
        cost, outcome = seconds_per_replicate(case(size), args.replicates)
        print(f"tumour size {size:.0e}: {cost:.2f} s/replicate ({outcome})")
    for clones in (1, 4, 8, 32):
        cost, outcome = seconds_per_replicate(case(1e9, clones), args.replicates)
        print(f"{clones:2d} founder clones: {cost:.2f} s/replicate ({outcome})")


if __name__ == "__main__":
    main()
