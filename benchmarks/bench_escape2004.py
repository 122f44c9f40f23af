"""Benchmark of the escape2004 preset: seconds per replicate on one core.

The main case has every mechanism on, a tumour that grows to ~1e9 cells (carrying
capacity 2e9), 365 days sampled daily. Then how the cost grows with the tumour size
(plateaus of 1e6, 1e8, 1e10 cells) and with the number of occupied clones.

    .venv/bin/python benchmarks/bench_escape2004.py [--replicates 5] [--quick]
        [--reference a90f939] [--ensemble 1000]

* ``--reference REV`` also runs the main case on the engine of git revision ``REV`` (a
  temporary worktree, same interpreter, same replicates, in this run; revisions before
  the ``escapesim`` namespace import ``engine``), alternating with this engine
  ``--rounds`` times, and prints the ratio of the medians. Its compiled code is loaded
  (on the first round: compiled, ~40 s) before the clock starts. a90f939 is the last
  pure-Python kernel.
* ``--ensemble N`` runs the main case's N replicates through the service's
  LocalExecutor on 2 spawned workers (what ``escapesim serve`` uses) and prints the
  wall time.

``stop_at_outcome`` (issue 15): the main case again, ending each replicate at its
outcome, and with only days 7, 14 and 28 sampled, as ratios to the default mode.

Target (issue 4): under 1 s per replicate, and a 1000-replicate ensemble under 5 minutes
on 2 cores. Per-replicate times are CPU seconds of this process (what one free core
would take), so other load on the machine does not inflate them; the load average is
printed too. Loading the compiled code (or compiling it, on a machine's first run) is
timed separately, before the replicates.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from escapesim.engine import Scenario, simulate
from escapesim.engine.presets.escape2004.clones import CLONES
from escapesim.engine.simulation import Simulation

#: Founder clones for the clone-count sweep: spread over the inherited traits.
_FOUNDERS = [c.name for c in CLONES]
WORKERS = 2


def arguments(size: float, clones: int = 1, horizon: float = 365.0) -> dict[str, Any]:
    """``Scenario.build`` arguments: every mechanism on; the tumour grows past ``size``
    cells (carrying capacity 2·size)."""
    founders = dict.fromkeys(_FOUNDERS[:clones], 10000.0 / clones)
    initial: Mapping[str, float] = {"T": 0.0, **{k: float(round(v)) for k, v in founders.items()}}
    return {
        "preset": "escape2004",
        "parameters": {"inverse_capacity": 1.0 / (2.0 * size)},
        "initial": dict(initial),
        "horizon_days": horizon,
        "interval_days": 1.0,
        "escape_threshold": min(size, 1e15),
        "seed": 365,
    }


def case(size: float, clones: int = 1, horizon: float = 365.0) -> Scenario:
    """The scenario of :func:`arguments`."""
    return Scenario.build(**arguments(size, clones, horizon))


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


# The reference engine runs this in a subprocess, from a worktree of the given revision:
# revisions before the namespace move have a top-level ``engine`` package. Like the main
# case, it loads (or compiles) the compiled code before it starts the clock.
_CHILD = """
import json, os, sys, time
if os.path.isdir("escapesim/engine"):
    from escapesim.engine import Scenario, simulate
    import escapesim.engine as engine
else:  # before the namespace move (an installed escapesim here would be this tree's)
    from engine import Scenario, simulate
    import engine
where = os.path.realpath(engine.__file__)
assert where.startswith(os.path.realpath(os.getcwd())), f"not the reference engine: {where}"
scenario = Scenario.build(**json.loads(sys.argv[1]))
simulate(Scenario.build(**{**json.loads(sys.argv[1]), "horizon_days": 1.0}), 0)
start, outcomes = time.process_time(), []
for r in range(int(sys.argv[2])):
    outcomes.append(simulate(scenario, r).outcome.kind.value)
print(json.dumps({"seconds": (time.process_time() - start) / int(sys.argv[2]),
                  "outcomes": sorted(set(outcomes))}))
"""


@contextlib.contextmanager
def worktree(revision: str) -> Iterator[Path]:
    """A temporary git worktree of ``revision`` (removed afterwards)."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "reference"
        subprocess.run(
            ["git", "-C", str(root), "worktree", "add", "--detach", "-q", str(tree), revision],
            check=True,
        )
        try:
            yield tree
        finally:
            subprocess.run(
                ["git", "-C", str(root), "worktree", "remove", "--force", str(tree)], check=True
            )


def reference_seconds(tree: Path, scenario: Mapping[str, Any], replicates: int) -> float:
    """CPU seconds per replicate of ``scenario`` on the engine checked out in ``tree``
    (its compiled code is cached in the tree after the first call)."""
    answer = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(scenario), str(replicates)],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(answer.stdout)["seconds"])


def compare(revision: str, replicates: int, rounds: int) -> None:
    """Time the main case here and on ``revision`` in turns (A, B, A, B, ...), so that
    changing load on a shared machine hits both alike."""
    ours, theirs = [], []
    with worktree(revision) as tree:
        for k in range(rounds):
            ours.append(seconds_per_replicate(case(1e9), replicates)[0])
            theirs.append(reference_seconds(tree, arguments(1e9), replicates))
            print(
                f"  round {k + 1}: this engine {ours[-1]:.3f} s/replicate, {revision} "
                f"{theirs[-1]:.3f} s/replicate (load {os.getloadavg()[0]:.2f})"
            )
    ratio = statistics.median(theirs) / statistics.median(ours)
    print(
        f"reference engine at {revision}: median {statistics.median(theirs):.3f} s/replicate "
        f"against {statistics.median(ours):.3f}; this engine is {ratio:.2f}× as fast"
    )


async def ensemble_wall_seconds(scenario: Scenario) -> tuple[float, float]:
    """Wall seconds to start a 2-worker LocalExecutor, and to run ``scenario`` on it."""
    from escapesim.service.workers.local import LocalExecutor

    executor = LocalExecutor(WORKERS, start_method="spawn")
    start = time.perf_counter()
    await executor.start()
    started = time.perf_counter()
    try:
        job = executor.submit(scenario)
        done = sum([len(batch.replicates) async for batch in job.batches()])
        assert done == scenario.replicates, f"{done} of {scenario.replicates} replicates"
    finally:
        await executor.close()
    return started - start, time.perf_counter() - started


def stop_at_outcome(replicates: int, default_cost: float) -> None:
    """The main case with ``stop_at_outcome`` (and with only days 7, 14, 28 sampled
    too), against the default mode's cost measured just before, in this run (issue 15
    target: <= 0.1 s CPU per simulation)."""
    stopping = case(1e9).with_changes(stop_at_outcome=True)
    sparse = stopping.with_changes(sample_days=[7.0, 14.0, 28.0])
    for label, scenario in (("stop_at_outcome", stopping), ("+ sample_days 7,14,28", sparse)):
        cost, outcome = seconds_per_replicate(scenario, replicates)
        print(
            f"main, {label}: {cost:.3f} s/replicate ({outcome}); "
            f"default/this = {default_cost / cost:.1f}x"
        )


def main() -> None:
    """Run the cases and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replicates", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="main case only")
    parser.add_argument("--reference", metavar="REV", help="also time git revision REV")
    parser.add_argument("--rounds", type=int, default=3,
                        help="with --reference: alternate the engines this many times")  # fmt: skip
    parser.add_argument("--ensemble", type=int, default=0, metavar="N",
                        help="also run N replicates of the main case on 2 workers")  # fmt: skip
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    start = time.perf_counter()
    simulate(case(1e9, horizon=1.0), 0)
    print(f"compiled code loaded (or compiled) in {time.perf_counter() - start:.1f} s")
    main_cost, outcome = seconds_per_replicate(case(1e9), args.replicates)
    print(
        f"main (all mechanisms, ~1e9 cells, 365 d, daily): {main_cost:.3f} s/replicate "
        f"({outcome}); 1000 replicates on 2 cores ≈ {main_cost * 1000 / 2 / 60:.1f} min"
    )
    print(step_report(case(1e9)))
    stop_at_outcome(args.replicates, main_cost)
    if args.reference:
        compare(args.reference, args.replicates, args.rounds)
    if args.ensemble:
        scenario = Scenario.build(**arguments(1e9), replicates=args.ensemble)
        started, wall = asyncio.run(ensemble_wall_seconds(scenario))
        print(
            f"ensemble: {args.ensemble} replicates on {WORKERS} spawned workers in "
            f"{wall:.1f} s = {wall / 60:.2f} min (workers started in {started:.1f} s)"
        )
    if args.quick:
        return
    for size in (1e6, 1e8, 1e10):
        cost, outcome = seconds_per_replicate(case(size), args.replicates)
        print(f"tumour size {size:.0e}: {cost:.3f} s/replicate ({outcome})")
    for clones in (1, 4, 8, 32):
        cost, outcome = seconds_per_replicate(case(1e9, clones), args.replicates)
        print(f"{clones:2d} founder clones: {cost:.3f} s/replicate ({outcome})")


if __name__ == "__main__":
    main()
