"""Benchmark of a calibration (issue 15, "Scale and performance"): a 3-parameter
kuznetsov1994 fit by ABC-SMC, simulations per second, and the share of time in the
simulations against pyABC's own work.

    .venv/bin/python benchmarks/bench_calibration.py [--particles 1000] [--generations 4]
        [--workers 2] [--executors local dask]

The data are the example's (examples/data/kuznetsov_measurements.tsv: 2 conditions × 3
subjects × 6 days); the fitted parameters a, n (the example's) and p (tumour-driven
recruitment, uniform on [0.01, 0.5]). First, one worker in this process, where the time
inside the model (every simulation, including building its scenarios) is measured
directly: the rest of the wall time is pyABC (proposals, kernel density, distances,
its database) and this package's outputs. Then, in the same run, on ``--workers``
processes of each of ``--executors`` (the local process pool; a Dask LocalCluster, as
the server's Dask executor runs calibrations), for the parallel speed-up (the ratio of
the wall times per simulation).
Target (issue 15): 1,000 particles per generation on 2 cores in under 10 minutes.

The worker pool is started and warmed (imports, compiled kernels) before the clock
starts, as a server's pool is; its start is reported apart. The CPU seconds the workers
spend evaluating candidates are measured in the workers and added to the driver's own:
their ratio to the one-worker run's CPU (the *work efficiency*) does not depend on what
else the machine runs, where the wall-time efficiency does (the load average is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import importlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from escapesim.engine.calibration import CalibrationSpec
from escapesim.service.fitting import (
    abc_model,
    abc_sampler,
    calibration_driver,
    calibration_outputs,
)
from escapesim.service.fitting.calibration_file import read_measurements
from escapesim.service.workers.dask_cluster import DaskExecutor
from escapesim.service.workers.local import LocalExecutor
from escapesim.service.workers.pools import DaskPool

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


def _timed_evaluate(payload: bytes, seeds: list[int]) -> tuple[list[Any], float]:
    """The sampler's evaluation in a worker, with the CPU seconds it took there."""
    started = time.process_time()
    found = abc_sampler._evaluate(payload, seeds)
    return found, time.process_time() - started


class _CountingPool(concurrent.futures.Executor):
    """A pool that adds up the CPU seconds its workers spend on the sampler's chunks."""

    def __init__(self, pool: concurrent.futures.Executor) -> None:
        self.pool = pool
        self.cpu = 0.0

    def map(self, fn: Any, *iterables: Any, **kwargs: Any) -> Iterator[Any]:
        if fn is not abc_sampler._evaluate:
            return self.pool.map(fn, *iterables, **kwargs)
        found = []
        for particles, cpu in self.pool.map(_timed_evaluate, *iterables):
            self.cpu += cpu
            found.append(particles)
        return iter(found)


def one_run(built: CalibrationSpec, folder: Path) -> tuple[float, int, float]:
    """Wall seconds, parameter sets simulated and CPU seconds (this process) of one fit in
    this process alone (outputs included), the time inside the model counted apart."""
    started, cpu = time.perf_counter(), time.process_time()
    original = abc_model.ScenarioModel
    calibration_driver.ScenarioModel = _TimedModel  # type: ignore[misc]
    try:
        found = calibration_driver.run_calibration(built, database=folder / "abc.db")
    finally:
        calibration_driver.ScenarioModel = original  # type: ignore[misc]
    calibration_outputs.write(found, folder, None)
    return time.perf_counter() - started, found.evaluations, time.process_time() - cpu


def pooled_run(
    built: CalibrationSpec, pool: concurrent.futures.Executor, workers: int, folder: Path
) -> tuple[float, int, float]:
    """Wall seconds, parameter sets and CPU seconds (this process and the workers'
    evaluations) of one fit on ``pool``'s ``workers``."""
    counting = _CountingPool(pool)
    started, cpu = time.perf_counter(), time.process_time()
    found = calibration_driver.run_calibration(
        built, database=folder / "abc.db", pool=counting, workers=workers
    )
    calibration_outputs.write(found, folder, counting)
    wall = time.perf_counter() - started
    return wall, found.evaluations, time.process_time() - cpu + counting.cpu


@contextmanager
def local_pool(workers: int) -> Iterator[concurrent.futures.Executor]:
    """The local executor's process pool, started and warmed."""
    executor = LocalExecutor(workers)
    spawning = time.perf_counter()
    asyncio.run(executor.start(warm=True))
    print(f"{workers} local workers started and warmed in "
          f"{time.perf_counter() - spawning:.1f} s (not counted: a server's pool is warm)")
    try:
        yield executor.pool()
    finally:
        asyncio.run(executor.close())


def _import_fitting() -> None:
    """Load the sampler's modules in a Dask worker (what warming does for the local pool)."""
    importlib.import_module("escapesim.service.fitting.abc_sampler")


@contextmanager
def dask_pool(workers: int) -> Iterator[concurrent.futures.Executor]:
    """A Dask LocalCluster of ``workers`` single-threaded processes, as the server's Dask
    executor starts it, seen through the pool the server's calibrations use (its
    asynchronous client on an event loop in another thread)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    executor = DaskExecutor(workers=workers)
    spawning = time.perf_counter()
    asyncio.run_coroutine_threadsafe(executor.start(), loop).result()

    async def warm() -> None:
        await executor.client.run(_import_fitting)

    asyncio.run_coroutine_threadsafe(warm(), loop).result()
    print(f"{workers} Dask workers started and warmed in "
          f"{time.perf_counter() - spawning:.1f} s (not counted)")  # fmt: skip
    try:
        yield DaskPool(executor.client, loop)
    finally:
        asyncio.run_coroutine_threadsafe(executor.close(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()


POOLS = {"local": local_pool, "dask": dask_pool}


def main() -> None:
    """Run the fits and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--particles", type=int, default=1000)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--executors", nargs="+", default=["local", "dask"], choices=list(POOLS))
    args = parser.parse_args()
    built = spec(args.particles, args.generations)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        wall, evaluations, cpu = one_run(built, Path(tmp) / "one")
        model = _TimedModel.seconds
        print(f"1 worker: {evaluations} parameter sets in {wall:.1f} s = "
              f"{evaluations / wall:.0f}/s; in the simulations {model:.1f} s "
              f"({100 * model / wall:.0f} %), pyABC and outputs {wall - model:.1f} s "
              f"({100 * (wall - model) / wall:.0f} %); CPU {cpu:.1f} s")  # fmt: skip
        for name in args.executors:
            with POOLS[name](args.workers) as pool:
                wide, counted, spent = pooled_run(built, pool, args.workers, Path(tmp) / name)
            speedup = (wall / evaluations) / (wide / counted)
            work = (cpu / evaluations) / (spent / counted)
            print(f"{name}, {args.workers} workers: {counted} parameter sets in {wide:.1f} s = "
                  f"{counted / wide:.0f}/s; speed-up {speedup:.2f}x (parallel efficiency "
                  f"{100 * speedup / args.workers:.0f} %); CPU {spent:.1f} s (work efficiency "
                  f"{100 * work:.0f} %)")  # fmt: skip
        print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
