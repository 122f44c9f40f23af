"""Throughput of the kernel's fully exact mode: events per CPU second on birth–death.

Run ``.venv/bin/python benchmarks/bench_exact.py [--rounds N] [--quick]`` (GillesPy2 rows
need the ``bench`` extra, ``pip install -e '.[bench]'``, as ``make bench`` installs it).
On a linear birth–death process (birth = death = 1/day from 1000 cells, 50 days sampled
daily: ~1e5 events a replicate) it times, interleaved round after round so that the
machine's load falls on every contestant alike:

1. the engine with ``KernelSettings(exact=True)`` (every channel SSA, compiled), one
   replicate after another as ``engine.Simulation`` runs them;
2. the lockstep-vectorised direct method of ``benchmarks/ssa_direct.py`` (numpy, the
   kuznetsov1994 moves with the effector moves switched off: s = p = m = d = b = 0 and
   E = 1 so that n·E·T is the death propensity);
3. GillesPy2's ``SSACSolver`` (C++, compiled once, timed apart) on the same two channels.

Events are counted, not assumed: the engine's channel counters, ssa_direct's event count;
GillesPy2 reports none, so its rows use the expected count, (birth + death)·x0·t per
replicate (exact for birth = death, whose mean stays at x0), which the other two confirm.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
from collections.abc import Callable, Sequence

import numpy as np
from stopwatch import Stopwatch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_kernel
import peer_gillespy2
import ssa_direct

from escapesim import engine

BIRTH = DEATH = 1.0
START = 1000
HORIZON = 50.0
TIMES = np.arange(0.0, HORIZON + 0.5, 1.0)
EXPECTED_EVENTS = (BIRTH + DEATH) * START * HORIZON  # per replicate

#: One round of a contestant: (events fired, CPU seconds).
Round = Callable[[int, int], tuple[float, float]]


def engine_round(replicates: int, seed: int) -> tuple[float, float]:
    """The engine, fully exact, ``replicates`` replicates one after another."""
    scenario = engine.Scenario.build(
        preset="birth_death", parameters={"birth": BIRTH, "death": DEATH},
        initial={"T": START}, horizon_days=HORIZON, interval_days=1.0, seed=seed,
        replicates=replicates, escape_threshold=1e12,
    )  # fmt: skip
    settings = engine.KernelSettings(exact=True)
    watch, events = Stopwatch(), 0
    for k in range(replicates):
        events += sum(engine.Simulation(scenario, k, settings=settings).run().counters.values())
    return float(events), watch.lap().cpu


def ssa_direct_round(replicates: int, seed: int) -> tuple[float, float]:
    """ssa_direct's lockstep direct method on the same process."""
    parameters = {"s": 0.0, "p": 0.0, "g": 1.0, "m": 0.0, "d": 0.0, "a": BIRTH, "b": 0.0,
                  "n": DEATH}  # fmt: skip
    watch = Stopwatch()
    _, _, events = ssa_direct.direct_method(parameters, (1.0, START), TIMES, replicates, seed)
    return float(events), watch.lap().cpu


def gillespy2_solver() -> Round | None:
    """A round of GillesPy2's SSACSolver, compiled now (None when it cannot run here)."""
    why = peer_gillespy2.unavailable()
    if why is not None:
        print(f"GillesPy2: {why}")
        return None
    import gillespy2

    model = gillespy2.Model(name="birth_death")
    model.add_parameter([gillespy2.Parameter(name="birth", expression=repr(BIRTH)),
                         gillespy2.Parameter(name="death", expression=repr(DEATH))])  # fmt: skip
    model.add_species([gillespy2.Species(name="T", initial_value=START, mode="discrete")])
    model.add_reaction([
        gillespy2.Reaction(name="divide", reactants={"T": 1}, products={"T": 2}, rate="birth"),
        gillespy2.Reaction(name="die", reactants={"T": 1}, products={}, rate="death"),
    ])  # fmt: skip
    model.timespan(TIMES)
    watch = Stopwatch()
    solver = gillespy2.SSACSolver(model=model)
    compiled = watch.lap()
    print(f"GillesPy2 SSACSolver compiled in {compiled.wall:.1f} s wall ({compiled.cpu:.1f} s CPU)")

    def run(replicates: int, seed: int) -> tuple[float, float]:
        watch = Stopwatch()
        solver.run(number_of_trajectories=replicates, seed=seed % 2**31)
        return EXPECTED_EVENTS * replicates, watch.lap().cpu

    return run


def main(argv: Sequence[str] | None = None) -> int:
    """Run the rounds and print events per CPU second, per contestant."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--replicates", type=int, default=20, help="engine and GillesPy2")
    parser.add_argument("--ssa-replicates", type=int, default=200, help="ssa_direct (lockstep)")
    parser.add_argument("--quick", action="store_true", help="2 rounds of 4 (40) replicates")
    parser.add_argument("--no-peer", action="store_true", help="skip GillesPy2")
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args(argv)
    rounds = 2 if args.quick else args.rounds
    replicates = 4 if args.quick else args.replicates
    ssa_replicates = 40 if args.quick else args.ssa_replicates
    print(f"# escapesim exact-mode throughput — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"# {bench_kernel.machine()}")
    print(f"# load average at start: {bench_kernel._load()}", flush=True)
    engine_round(1, args.seed)  # load the compiled code (timed apart, like GillesPy2's)
    contestants: dict[str, tuple[Round, int]] = {
        "engine exact=True": (engine_round, replicates),
        "ssa_direct (numpy lockstep)": (ssa_direct_round, ssa_replicates),
    }
    peer = None if args.no_peer else gillespy2_solver()
    if peer is not None:
        contestants["GillesPy2 SSACSolver"] = (peer, replicates)
    rates: dict[str, list[float]] = {name: [] for name in contestants}
    per_replicate: dict[str, list[float]] = {name: [] for name in contestants}
    for r in range(rounds):
        for name, (run, n) in contestants.items():
            events, cpu = run(n, args.seed + r)
            rates[name].append(events / cpu)
            per_replicate[name].append(events / n)
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1] / 1e6:.2f}" for k, v in rates.items())
              + f" M events/CPU s (load {bench_kernel._load()})", flush=True)  # fmt: skip
    print()
    print("| contestant | M events per CPU second: median [min, max] | events / replicate |")
    print("|---|---:|---:|")
    for name, values in rates.items():
        print(f"| {name} | {statistics.median(values) / 1e6:.2f} "
              f"[{min(values) / 1e6:.2f}, {max(values) / 1e6:.2f}] "
              f"| {statistics.mean(per_replicate[name]):.4g} |")  # fmt: skip
    print(f"\n# load average at end: {bench_kernel._load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
