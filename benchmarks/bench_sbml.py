"""An imported SBML model against the built-in preset it came from: same kernel, same speed?

Run ``.venv/bin/python benchmarks/bench_sbml.py [--rounds N] [--replicates K]``. It exports
kuznetsov1994 at BCL1 scale (E = 3.2e5, T = 5e6, 1500 days sampled daily, as
``bench_kernel.py``) to SBML, imports it back, and then times, alternating round after
round so that the shared machine's load falls on both alike:

1. the built-in preset (its hand-written compiled rate laws), and
2. the imported model (rate laws generated from the SBML's MathML and compiled by numba),

each ``K`` replicates a round, CPU seconds a replicate. The import, code generation and
compilation of the imported laws are timed apart, once (a fresh cache directory, so the
first compile is real), as is loading them from numba's disk cache afterwards. The
target (issue #13): the imported model within 1.2× the preset's time per replicate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from stopwatch import Stopwatch

from escapesim import engine

INITIAL = {"E": 3.2e5, "T": 5e6}
HORIZON = 1500.0


def _replicates(scenario: engine.Scenario, count: int, first: int) -> Callable[[], None]:
    def run() -> None:
        for k in range(first, first + count):
            engine.simulate(scenario, k)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--replicates", type=int, default=3, help="replicates per round")
    args = parser.parse_args()
    os.environ["ESCAPESIM_SBML_CACHE"] = tempfile.mkdtemp(prefix="bench_sbml_")

    preset = engine.Scenario.build(
        preset="kuznetsov1994", initial=INITIAL, horizon_days=HORIZON, seed=1
    )
    watch = Stopwatch()
    text = engine.sbml.export_scenario(preset)
    exported = watch.lap()
    imported = engine.Scenario.build(preset="", sbml=text, horizon_days=HORIZON, seed=1)
    network = imported.network()
    parsed = watch.lap()
    network.bind(imported.parameters, {}).rate_law.compiled  # noqa: B018 (compile now)
    compiled = watch.lap()
    engine.simulate(preset, 0)  # the kernel loop and the preset's laws, loaded once
    engine.simulate(imported, 0)
    watch.lap()
    print(f"export {exported.wall * 1e3:.1f} ms; import (libSBML, codegen) "
          f"{parsed.wall * 1e3:.1f} ms; first compile of the rate laws {compiled.wall:.2f} s "
          f"wall, {compiled.cpu:.2f} s CPU")  # fmt: skip

    times: dict[str, list[float]] = {"preset": [], "sbml": []}
    for r in range(args.rounds):
        first = 1 + r * args.replicates
        for name, scenario in (("preset", preset), ("sbml", imported)):
            watch.lap()
            _replicates(scenario, args.replicates, first)()
            times[name].append(watch.lap().cpu / args.replicates)
    ratios = [s / p for s, p in zip(times["sbml"], times["preset"], strict=True)]
    for name, values in times.items():
        print(f"{name:7s} {statistics.median(values) * 1e3:8.1f} ms CPU a replicate "
              f"(rounds: {', '.join(f'{v * 1e3:.1f}' for v in values)})")  # fmt: skip
    print(
        f"ratio sbml / preset: median {statistics.median(ratios):.3f}, "
        f"range {min(ratios):.3f}-{max(ratios):.3f} over {args.rounds} rounds (target <= 1.2)"
    )


if __name__ == "__main__":
    main()
