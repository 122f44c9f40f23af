"""Benchmark of a calibration (issue 15, "Scale and performance"): a 3-parameter
kuznetsov1994 fit by ABC-SMC, simulations per second, and the share of time in the
simulations against pyABC's own work.

    .venv/bin/python benchmarks/bench_calibration.py [--particles 1000] [--generations 4]
        [--workers 2]

The data are the example's (examples/data/kuznetsov_measurements.tsv: 2 conditions × 3
subjects × 6 days); the fitted parameters a, n (the example's) and p (tumour-driven
recruitment, uniform on [0.01, 0.5]). First, one worker in this process, where the time
inside the model (every simulation, including building its scenarios) is measured
directly: the rest of the wall time is pyABC (proposals, kernel density, distances,
its database) and this package's outputs. Then ``--workers`` processes, in the same
run, for the parallel speed-up (the ratio of the two wall times per simulation).
Target (issue 15): 1,000 particles per generation on 2 cores in under 10 minutes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from escapesim.engine.calibration import CalibrationSpec
from escapesim.service.fitting import abc_model, calibration_driver, calibration_outputs
from escapesim.service.fitting.calibration_file import read_measurements

DATA = Path(__file__).resolve().parent.parent / "examples" / "data" / "kuznetsov_measurements.tsv"


class _TimedModel(abc_model.ScenarioModel):
    """The model, timing itself (only meaningful in this process: one worker)."""

    seconds = 0.0

    def __call__(self, sampled: Mapping[str, float]) -> dict[str, float]:
        started = time.perf_counter()
        try:
            return super().__call__(sampled)
        finally:
            _TimedModel.seconds += time.perf_counter() - started


def spec(particles: int, generations: int) -> CalibrationSpec:
    """The benchmark's calibration."""
    data: dict[str, Any] = {
        "scenario": {"preset": "kuznetsov1994"},
        "conditions": {"standard_start": {}, "small_start": {"initial": {"T": 1e6}}},
        "priors": {
            "a": {"kind": "uniform", "low": 0.05, "high": 0.5},
            "n": {"kind": "log_uniform", "low": 1e-8, "high": 1e-6},
            "p": {"kind": "uniform", "low": 0.01, "high": 0.5},
        },
        "population": particles, "seed": 15, "predictive_draws": 50,
        "stopping": {"generations": generations},
    }  # fmt: skip
    return CalibrationSpec.from_dict(data, read_measurements(DATA))


def one_run(built: CalibrationSpec, workers: int, folder: Path) -> tuple[float, int]:
    """Wall seconds and parameter sets simulated of one fit (outputs included)."""
    started = time.perf_counter()
    if workers == 1:
        original = abc_model.ScenarioModel
        calibration_driver.ScenarioModel = _TimedModel  # type: ignore[misc]
        try:
            found = calibration_driver.run_calibration(built, database=folder / "abc.db")
        finally:
            calibration_driver.ScenarioModel = original  # type: ignore[misc]
        calibration_outputs.write(found, folder, None)
    else:
        from escapesim.service.fitting.calibration_local import calibrate_here

        document = calibrate_here(built, folder, workers=workers)
        return time.perf_counter() - started, int(document["evaluations"])
    return time.perf_counter() - started, found.evaluations


def main() -> None:
    """Run the two fits and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--particles", type=int, default=1000)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    built = spec(args.particles, args.generations)
    with tempfile.TemporaryDirectory() as tmp:
        wall, evaluations = one_run(built, 1, Path(tmp) / "one")
        model = _TimedModel.seconds
        print(f"1 worker: {evaluations} parameter sets in {wall:.1f} s = "
              f"{evaluations / wall:.0f}/s; in the simulations {model:.1f} s "
              f"({100 * model / wall:.0f} %), pyABC and outputs {wall - model:.1f} s "
              f"({100 * (wall - model) / wall:.0f} %)")  # fmt: skip
        wide, counted = one_run(built, args.workers, Path(tmp) / "many")
        speedup = (wall / evaluations) / (wide / counted)
        print(f"{args.workers} workers: {counted} parameter sets in {wide:.1f} s = "
              f"{counted / wide:.0f}/s; speed-up {speedup:.2f}x "
              f"(parallel efficiency {100 * speedup / args.workers:.0f} %)")  # fmt: skip


if __name__ == "__main__":
    main()
