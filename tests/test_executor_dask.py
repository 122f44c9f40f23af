"""The Dask executor on a real ``distributed.LocalCluster``: same results as the local pool,
a killed worker costs only its tasks, cancellation stops running tasks."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from distributed import Event, LocalCluster

from escapesim.engine import Scenario
from escapesim.service.store.run_record import RunState
from escapesim.service.testing import SMALL_SETTINGS, ServerProcess
from escapesim.service.workers.batches import Batch, combine
from escapesim.service.workers.choice import executor_from_env
from escapesim.service.workers.dask_cluster import BATCH_TOPIC, DaskExecutor, _stop_name
from escapesim.service.workers.local import Executor, LocalExecutor
from escapesim.service.workers.scenarios import simulate_here, simulate_scenarios

#: ~0.15 s a replicate: enough batches to cut the work several ways, quick to run.
SCENARIO = Scenario.build(preset="kuznetsov1994", seed=20040901, replicates=16, horizon_days=120)


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two single-threaded worker processes, shared by the tests of this module."""
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local


@pytest.fixture(scope="module")
def reference() -> tuple[pa.Table, pa.Table]:
    """``SCENARIO`` through the embedded local process pool."""
    return asyncio.run(_run_all(LocalExecutor(2), SCENARIO))


async def _run_all(executor: Executor, scenario: Scenario) -> tuple[pa.Table, pa.Table]:
    await executor.start()
    try:
        batches = [b async for b in executor.submit(scenario).batches()]
    finally:
        await executor.close()
    return combine(batches, scenario, partial=False)


def _replicates(batches: list[Batch]) -> list[int]:
    return sorted(r for b in batches for r in b.replicates)


def _assert_same(got: tuple[pa.Table, pa.Table], want: tuple[pa.Table, pa.Table]) -> None:
    for ours, theirs in zip(got, want, strict=True):
        assert ours.equals(theirs, check_metadata=True)


async def _idle(executor: DaskExecutor, within: float) -> bool:
    """Whether every worker is idle (no task processing) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any((await executor.client.processing()).values()):
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.mark.timeout(120)
def test_same_tables_as_the_local_pool_however_batched(
    cluster: LocalCluster, reference: tuple[pa.Table, pa.Table]
) -> None:
    async def scenario() -> tuple[tuple[pa.Table, pa.Table], list[Batch], set[str]]:
        executor = DaskExecutor(cluster.scheduler_address, batch_seconds=2.0)
        await executor.start()
        try:
            job = executor.submit(SCENARIO)
            batches = [b async for b in job.batches()]
        finally:
            await executor.close()
        return combine(batches, SCENARIO, partial=False), batches, job.workers_used

    tables, batches, workers = asyncio.run(scenario())
    assert _replicates(batches) == list(range(SCENARIO.replicates))
    sizes = [len(b.replicates) for b in batches]
    assert max(sizes) > 1, f"batches grow once timed: {sizes}"
    assert len(workers) == 2, "both workers took part"
    _assert_same(tables, reference)


@pytest.mark.timeout(120)
def test_whole_scenarios_from_any_first_replicate_match_the_local_executor(
    cluster: LocalCluster,
) -> None:
    scenarios = [
        Scenario.build(preset="kuznetsov1994", seed=3, replicates=4, horizon_days=30),
        Scenario.build(preset="kirschner_panetta1998", seed=4, replicates=3, horizon_days=20),
    ]

    async def on_dask() -> list[tuple[pa.Table, pa.Table]]:
        executor = DaskExecutor(cluster.scheduler_address)
        await executor.start()
        try:
            return await simulate_scenarios(executor, scenarios, first=5)
        finally:
            await executor.close()

    found = asyncio.run(on_dask())
    assert [r.column("replicate").to_pylist() for _, r in found] == [[5, 6, 7, 8], [5, 6, 7]]
    for got, want in zip(found, simulate_here(scenarios, first=5), strict=True):
        _assert_same(got, want)


@pytest.mark.timeout(120)
def test_a_killed_worker_costs_only_its_tasks(
    cluster: LocalCluster, reference: tuple[pa.Table, pa.Table]
) -> None:
    async def scenario() -> tuple[list[Batch], str, list[str], list[dict[str, object]]]:
        executor = DaskExecutor(cluster.scheduler_address, batch_seconds=0.4)
        await executor.start()
        try:
            pids = await executor.client.run(os.getpid)
            job = executor.submit(SCENARIO)
            batches: list[Batch] = []
            victim, lost = "", []
            async for batch in job.batches():
                batches.append(batch)
                if not victim:
                    # Between two batches the scheduler may briefly hold no task on any
                    # worker (on a loaded machine): then try again at the next batch.
                    processing = await executor.client.processing()
                    busy = [w for w, keys in processing.items() if keys]
                    if busy:
                        victim = busy[0]
                        lost = [str(k) for k in processing[victim]]
                        os.kill(pids[victim], signal.SIGKILL)
            events = [m for _, m in await executor.client.get_events(BATCH_TOPIC)]
        finally:
            await executor.close()
        return batches, victim, lost, [e for e in events if e["job"] == job.job_id]

    batches, victim, lost, events = asyncio.run(scenario())
    assert lost, "the worker was killed while it held tasks"
    assert _replicates(batches) == list(range(SCENARIO.replicates)), "every replicate once"
    # The last worker that finished each task (a task the victim finished in the instant
    # before the kill may legitimately show the victim).
    finished_on = {
        f"escapesim-batch-{e['job']}-{e['start']}-{e['stop']}": e["worker"] for e in events
    }
    assert set(lost) <= set(finished_on)
    assert any(finished_on[key] != victim for key in lost), "lost tasks ran on another worker"
    _assert_same(combine(batches, SCENARIO, partial=False), reference)


@pytest.mark.timeout(120)
def test_cancel_stops_running_tasks_and_keeps_finished_replicates(
    cluster: LocalCluster,
) -> None:
    # ~0.35 s a replicate: progress reports arrive, and cancelling mid-task is visible.
    long = SCENARIO.with_changes(horizon_days=20_000.0, replicates=200)

    async def scenario() -> tuple[list[Batch], float, float, bool, bool]:
        executor = DaskExecutor(cluster.scheduler_address, batch_seconds=1.0)
        await executor.start()
        try:
            job = executor.submit(long)
            batches: list[Batch] = []
            day, stopped_in = 0.0, 0.0
            async for batch in job.batches():
                batches.append(batch)
                if stopped_in == 0.0:
                    day = job.simulated_day()
                    job.cancel()
                    stopped_in = time.monotonic()
            stopped_in = time.monotonic() - stopped_in
            idle = await _idle(executor, within=5.0)
            await asyncio.sleep(0.5)  # the stop flag is cleared once the tasks settled
            flag = await Event(_stop_name(job.job_id), client=executor.client).is_set()
        finally:
            await executor.close()
        return batches, day, stopped_in, idle, flag

    batches, day, stopped_in, idle, flag = asyncio.run(scenario())
    done = _replicates(batches)
    seen = f"replicates {done}, day {day}, stopped in {stopped_in:.2f} s, idle {idle}"
    assert 0 < len(done) < long.replicates, seen
    assert len(done) == len(set(done)), seen
    assert day > 0.0, f"tasks report the simulated day while they run: {seen}"
    assert stopped_in < 5.0, f"running tasks stop at their next poll: {seen}"
    assert idle, seen
    assert not flag, "the job's stop flag is removed from the scheduler"


@pytest.mark.timeout(120)
def test_closing_the_iterator_early_cancels_the_job(cluster: LocalCluster) -> None:
    async def scenario() -> tuple[int, bool]:
        executor = DaskExecutor(cluster.scheduler_address, batch_seconds=1.0)
        await executor.start()
        try:
            job = executor.submit(SCENARIO.with_changes(horizon_days=2000.0, replicates=40))
            iterator = job.batches()
            first = await anext(iterator)
            await iterator.aclose()  # type: ignore[attr-defined]
            return len(first.replicates), await _idle(executor, within=5.0)
        finally:
            await executor.close()

    simulated, idle = asyncio.run(scenario())
    assert simulated >= 1
    assert idle


@pytest.mark.timeout(120)
def test_without_an_address_it_runs_a_local_cluster() -> None:
    small = SCENARIO.with_changes(replicates=3)
    executor = executor_from_env(1, {"ESCAPESIM_EXECUTOR": "dask"})
    assert isinstance(executor, DaskExecutor)
    assert executor.address is None
    tables = asyncio.run(_run_all(executor, small))
    assert tables[1].column("replicate").to_pylist() == [0, 1, 2]


def test_executor_choice_from_the_environment() -> None:
    assert isinstance(executor_from_env(2, {}), LocalExecutor)
    dask = executor_from_env(
        3,
        {
            "ESCAPESIM_EXECUTOR": "Dask",
            "ESCAPESIM_DASK_SCHEDULER": " tcp://scheduler:8786 ",
            "ESCAPESIM_BATCH_SECONDS": "2.5",
        },
    )
    assert isinstance(dask, DaskExecutor)
    assert (dask.address, dask.workers, dask.batch_seconds) == ("tcp://scheduler:8786", 3, 2.5)
    with pytest.raises(ValueError, match="ESCAPESIM_EXECUTOR"):
        executor_from_env(1, {"ESCAPESIM_EXECUTOR": "ray"})
    with pytest.raises(ValueError, match="ESCAPESIM_BATCH_SECONDS"):
        executor_from_env(1, {"ESCAPESIM_EXECUTOR": "dask", "ESCAPESIM_BATCH_SECONDS": "soon"})


def test_batch_sizes_aim_at_batch_seconds_without_starving_the_tail() -> None:
    job = DaskExecutor(batch_seconds=1.0).submit(SCENARIO.with_changes(replicates=100))
    assert job._next_size(100, 2) == 1, "one replicate until a batch is timed"
    job._simulated, job._seconds = 10, 1.0  # 0.1 s a replicate
    assert job._next_size(100, 2) == 10
    assert job._next_size(6, 2) == 3, "the tail is spread over the workers"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_server_on_dask_stores_the_same_tables(
    tmp_path: Path, reference: tuple[pa.Table, pa.Table]
) -> None:
    """``ESCAPESIM_EXECUTOR=dask`` end to end: a real server, its LocalCluster, the API."""
    env = {**SMALL_SETTINGS, "ESCAPESIM_EXECUTOR": "dask", "ESCAPESIM_WORKERS": "2"}
    with ServerProcess(tmp_path / "data", env=env) as server, server.client() as client:
        run = client.create_run(SCENARIO.to_dict())
        final = client.wait(run.run_id, timeout=240)
        assert final.state is RunState.SUCCEEDED
        tables = client.result_tables(run.run_id)
        assert "Dask executor on a LocalCluster of 2" in server.log_text()
    assert tables["trajectories"].equals(reference[0], check_metadata=False)
    assert tables["replicates"].equals(reference[1], check_metadata=False)
