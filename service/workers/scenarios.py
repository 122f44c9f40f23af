"""Whole scenarios on an executor: one job each, a few at a time, combined into tables.

This is how the command line simulates (``escapesim simulate`` and ``escapesim ensemble``
without ``--server``): on the server's own :class:`~escapesim.service.workers.local.LocalExecutor`,
through the one batch runner (:func:`~escapesim.service.workers.batches.simulate_batch`),
ending with the tables of :func:`~escapesim.service.workers.batches.combine`, the very
tables a server run stores. The lifecycles of :mod:`escapesim.service.jobs` drive the same
executor with durability, cancellation and progress events around it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pyarrow as pa

from escapesim.engine import Scenario
from escapesim.engine.branching import Branch
from escapesim.service.workers.batches import Batch, combine
from escapesim.service.workers.local import Executor, ExecutorFailure, LocalExecutor

#: The (trajectories, replicates) tables of one scenario.
Tables = tuple[pa.Table, pa.Table]
#: Called with a scenario's index and each of its batches as it arrives.
OnBatch = Callable[[int, Batch], None]


def _ignore(_index: int, _batch: Batch) -> None:
    return None


async def simulate_scenarios(
    executor: Executor,
    scenarios: Sequence[Scenario],
    *,
    at_once: int = 2,
    first: int = 0,
    on_batch: OnBatch = _ignore,
    branches: Sequence[Branch | None] = (),
) -> list[Tables]:
    """Every replicate of each of ``scenarios`` (numbered from ``first``) on a started
    ``executor``, ``at_once`` jobs at a time in order, so the next scenario's batches are
    queued while the last ones of the previous finish and no worker waits. ``branches``
    (one per scenario, if given) are the shared pasts of an ensemble's branching arms.

    Returns each scenario's combined tables, in the order given (identical however the
    replicates were batched). Raises
    :class:`~escapesim.service.workers.local.ExecutorFailure` if a batch fails.
    """
    found: dict[int, list[Batch]] = {}
    queue = iter(range(len(scenarios)))

    async def take() -> None:
        for index in queue:  # one shared iterator: each scenario is taken once
            batches = found[index] = []
            branch = branches[index] if branches else None
            job = executor.submit(scenarios[index], first=first, branch=branch)
            async for batch in job.batches():
                batches.append(batch)
                on_batch(index, batch)
            done = sum(len(b.replicates) for b in batches)
            if done < scenarios[index].replicates:
                raise ExecutorFailure(f"scenario {index} ended with {done} replicates")

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(at_once, len(scenarios))):
                group.create_task(take())
    except BaseExceptionGroup as failed:
        # One job failing stops the others (the TaskGroup cancelled them): report it.
        raise failed.exceptions[0] from None
    return [combine(found[i], s, partial=False) for i, s in enumerate(scenarios)]


def simulate_here(
    scenarios: Sequence[Scenario],
    *,
    workers: int = 1,
    first: int = 0,
    on_batch: OnBatch = _ignore,
    branches: Sequence[Branch | None] = (),
) -> list[Tables]:
    """:func:`simulate_scenarios` on a :class:`LocalExecutor` of this machine, from a
    caller without an event loop (the command line).

    One worker is a thread of this process: a spawned process would take longer to start
    (~1 s) than most command-line runs take to simulate. More are spawned processes,
    with ``max(2, workers)`` scenarios in flight so no worker waits between two.
    """

    async def run() -> list[Tables]:
        executor = LocalExecutor(workers, start_method="thread" if workers == 1 else "spawn")
        await executor.start(warm=False)  # warming every preset costs more than it saves
        try:
            return await simulate_scenarios(
                executor, scenarios, at_once=max(2, workers), first=first, on_batch=on_batch,
                branches=branches,
            )  # fmt: skip
        finally:
            await executor.close()

    return asyncio.run(run())
