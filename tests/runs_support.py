"""Shared helpers of the run-lifecycle tests: a real store, a real spawn pool, small runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pyarrow as pa

from escapesim import engine
from escapesim.service.jobs.runs import RunLifecycle
from escapesim.service.results.tables import replicate_table, trajectory_table
from escapesim.service.store.database import Store
from escapesim.service.store.run_record import Run, RunEvent
from escapesim.service.workers.local import LocalExecutor

#: Generous: the machine may be shared with other test suites.
TIMEOUT = 90.0


def scenario(*, replicates: int = 4, horizon_days: float = 20, seed: int = 3) -> engine.Scenario:
    """A small Kuznetsov (1994) scenario (tens of milliseconds per replicate)."""
    return engine.Scenario.build(
        preset="kuznetsov1994", horizon_days=horizon_days, seed=seed, replicates=replicates
    )


def long_scenario(seed: int = 5) -> engine.Scenario:
    """A run that takes minutes unless cancelled or interrupted (~20 ms per replicate)."""
    return scenario(replicates=10_000, horizon_days=1000, seed=seed)


@asynccontextmanager
async def lifecycle(
    data_dir: Path, *, workers: int = 1, max_concurrent: int = 2, max_queued: int = 8
) -> AsyncIterator[RunLifecycle]:
    """A started lifecycle on ``data_dir``; drained and its store closed on exit."""
    store = Store(data_dir)
    runs = RunLifecycle(
        store,
        LocalExecutor(workers, batch_seconds=0.2),
        max_concurrent=max_concurrent,
        max_queued=max_queued,
        progress_interval=0.05,
    )
    try:
        await runs.start()
        yield runs
    finally:
        await runs.drain(0.0)
        store.close()


async def events_until_end(runs: RunLifecycle, run_id: str, after: int = 0) -> list[RunEvent]:
    """Every event a watcher sees from ``after`` to the end."""

    async def collect() -> list[RunEvent]:
        return [event async for event in runs.watch(run_id, after)]

    return await asyncio.wait_for(collect(), TIMEOUT)


async def finished(runs: RunLifecycle, run_id: str) -> Run:
    """The run once it is in a terminal state."""
    events = await events_until_end(runs, run_id)
    return events[-1].run if events else runs.get(run_id)


async def first_event(
    runs: RunLifecycle, run_id: str, condition: Callable[[Run], bool]
) -> RunEvent:
    """The first event whose run satisfies ``condition`` (the watcher then leaves)."""

    async def seek() -> RunEvent:
        async for event in runs.watch(run_id):
            if condition(event.run):
                return event
        raise AssertionError(f"run {run_id} ended without the awaited event")

    return await asyncio.wait_for(seek(), TIMEOUT)


def reference_tables(scenario: engine.Scenario, replicates: range) -> tuple[pa.Table, pa.Table]:
    """The tables of a clean in-process run, computed straight from the engine."""
    results = [engine.simulate(scenario, k) for k in replicates]
    return trajectory_table(results), replicate_table(results)
