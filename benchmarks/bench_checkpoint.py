"""Checkpoint, serialise and restore one escape2004 replicate at ~1e9 tumour cells.

The replicate starts at 1e9 tumour cells (escape threshold raised to 1e11 so it keeps
running) under anti-PD-1, and pauses at ``--day``. One round times, alternately,

* the fork path: ``checkpoint()`` + ``to_bytes()`` + ``from_bytes()`` + ``restore()``
  (each part also timed alone), and
* the reference: building a fresh ``Simulation`` of the same replicate (what a run pays
  before its first step), and running the whole replicate from day 0 to the day;

so load on the shared machine hits both alike. Prints medians over ``--rounds`` and the
ratios to the references. Target (issue 14): fork path < 5 ms.

    .venv/bin/python benchmarks/bench_checkpoint.py [--rounds 40] [--day 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from escapesim import engine
from escapesim.engine.checkpoint import Checkpoint


def _scenario(horizon: float) -> engine.Scenario:
    return engine.Scenario.build(
        preset="escape2004", horizon_days=horizon, seed=1, initial={"T": 1e9},
        escape_threshold=1e11,
        therapies=[engine.Therapy(kind="anti_pd1", at_days=tuple(range(0, int(horizon), 7)))],
    )  # fmt: skip


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    """Print median times (ms) of each step and the ratios to the references."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--day", type=float, default=3.0)
    parser.add_argument("--horizon", type=float, default=60.0)
    args = parser.parse_args()
    scenario = _scenario(args.horizon)
    paused = engine.Simulation(scenario, 0)
    paused.run_until(args.day)
    checkpoint = paused.checkpoint()
    data = checkpoint.to_bytes()
    engine.Simulation.restore(Checkpoint.from_bytes(data)).run()  # compile, warm caches
    tumour = sum(float(checkpoint.counts[i]) for i, s in enumerate(scenario.network().species)
                 if s.name in scenario.network().tumour)  # fmt: skip
    laps: dict[str, list[float]] = {k: [] for k in
                                    ("checkpoint", "to_bytes", "from_bytes", "restore", "fork path",
                                     "fresh Simulation", f"run to day {args.day:g}")}  # fmt: skip

    def to_day() -> None:
        engine.Simulation(scenario, 0).run_until(args.day)

    for _ in range(args.rounds):
        marks = [time.perf_counter()]
        taken = paused.checkpoint()
        marks.append(time.perf_counter())
        written = taken.to_bytes()
        marks.append(time.perf_counter())
        read = Checkpoint.from_bytes(written)
        marks.append(time.perf_counter())
        engine.Simulation.restore(read)
        marks.append(time.perf_counter())
        for name, begin, end in zip(list(laps)[:4], marks[:-1], marks[1:], strict=True):
            laps[name].append(end - begin)
        laps["fork path"].append(marks[-1] - marks[0])
        laps["fresh Simulation"].append(_timed(lambda: engine.Simulation(scenario, 0)))
        laps[f"run to day {args.day:g}"].append(_timed(to_day))
    median = {k: statistics.median(v) * 1e3 for k, v in laps.items()}
    print(f"escape2004, tumour {tumour:.3g} cells on day {args.day:g}, checkpoint "
          f"{len(data) / 1024:.1f} KiB, {args.rounds} alternating rounds (median ms)")  # fmt: skip
    for name, ms in median.items():
        print(f"  {name:<20} {ms:9.3f}")
    fork = median["fork path"]
    print(f"  fork path / fresh Simulation: {fork / median['fresh Simulation']:.2f}")
    print(f"  fork path / run to day {args.day:g}: {fork / median[f'run to day {args.day:g}']:.4f}")


if __name__ == "__main__":
    main()
