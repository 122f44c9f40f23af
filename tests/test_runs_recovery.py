"""Crashes, restarts, draining and dead workers: nothing finished is lost, nothing half-done
survives, and re-runs give the same results as clean runs."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from escapesim.service.jobs.runs import ServiceDraining
from escapesim.service.store.database import REPLICATES, TRAJECTORIES, Store
from escapesim.service.store.run_record import Run, RunState
from tests.runs_support import (
    finished,
    first_event,
    lifecycle,
    long_scenario,
    reference_tables,
    scenario,
)


def _files(data_dir: Path, run_id: str) -> list[Path]:
    return [data_dir / "results" / run_id / name for name in (TRAJECTORIES, REPLICATES)]


def _crashed_store(data_dir: Path) -> dict[str, Run]:
    """A data directory as a SIGKILL could leave it: unfinished rows, temporary and
    half-written files, one finished run and one run that can no longer be built."""
    store = Store(data_dir)
    runs = {
        "running": Run.queued("running", "req-running", scenario(replicates=3, seed=11)),
        "queued": Run.queued("queued", None, scenario(replicates=2, seed=12)),
        "persisting": Run.queued("persisting", None, scenario(replicates=2, seed=13)),
        "done": Run.queued("done", None, scenario(replicates=1, seed=14)),
        "unbuildable": Run.queued("unbuildable", None, scenario(replicates=1, seed=15)),
    }
    for run in runs.values():
        store.insert(run, sequence=1)
    store.update(runs["running"].moved(RunState.RUNNING, replicates_done=1), sequence=5)
    store.update(runs["persisting"].moved(RunState.PERSISTING), sequence=7)
    store.update(runs["unbuildable"].moved(RunState.RUNNING), sequence=2)
    trajectories, replicates = reference_tables(runs["done"].scenario, range(1))
    store.write_results("done", trajectories, replicates)
    store.update(runs["done"].moved(RunState.SUCCEEDED, replicates_done=1), sequence=4)
    store.close()

    folder = data_dir / "results"
    (folder / "running").mkdir()
    (folder / "running" / ".trajectories.parquet.x1y2.tmp").write_bytes(b"PAR1 half")
    (folder / "persisting").mkdir()
    (folder / "persisting" / "trajectories.parquet").write_bytes(b"PAR1 not a whole file")
    (folder / "done" / ".replicates.parquet.zz.tmp").write_bytes(b"PAR1 leftover")
    with sqlite3.connect(data_dir / "runs.sqlite3") as db:  # a preset that no longer exists
        db.execute(
            "UPDATE runs SET scenario = replace(scenario, 'kuznetsov1994', 'retired') "
            "WHERE run_id = 'unbuildable'"
        )
    return runs


def test_start_reruns_unfinished_runs_and_keeps_finished_ones(tmp_path: Path) -> None:
    crashed = _crashed_store(tmp_path)
    done_files = [p.read_bytes() for p in _files(tmp_path, "done")]

    async def body() -> dict[str, Run]:
        async with lifecycle(tmp_path, max_concurrent=2) as runs:
            recovered = runs.get("running")
            assert recovered.state is RunState.QUEUED
            assert recovered.replicates_done == 0
            return {run_id: await finished(runs, run_id) for run_id in crashed}

    ended = asyncio.run(body())

    for run_id in ("running", "queued", "persisting"):
        assert ended[run_id].state is RunState.SUCCEEDED, ended[run_id].error
        wanted = reference_tables(crashed[run_id].scenario, range(crashed[run_id].replicates_total))
        got = [pq.read_table(p) for p in _files(tmp_path, run_id)]
        assert got[0].equals(wanted[0])
        assert got[1].equals(wanted[1])
    assert ended["done"].state is RunState.SUCCEEDED
    assert [p.read_bytes() for p in _files(tmp_path, "done")] == done_files
    assert ended["unbuildable"].state is RunState.FAILED
    assert "cannot run again after a restart" in (ended["unbuildable"].error or "")
    assert "preset" in (ended["unbuildable"].error or "")
    assert not list((tmp_path / "results").rglob("*.tmp"))
    store = Store(tmp_path)
    try:
        assert store.integrity_check() == ["ok"]
        assert store.sequence("running") > 5  # sequences continue past the crash
        assert store.find_request("req-running") == store.get("running")
    finally:
        store.close()


def test_results_are_identical_with_one_or_two_workers(tmp_path: Path) -> None:
    wanted = scenario(replicates=12, seed=21)

    async def run_with(workers: int) -> list[bytes]:
        async with lifecycle(tmp_path / str(workers), workers=workers) as runs:
            run_id = (await runs.create(wanted, None)).run_id
            assert (await finished(runs, run_id)).state is RunState.SUCCEEDED
            return [p.read_bytes() for p in runs.result_files(run_id)]

    assert asyncio.run(run_with(1)) == asyncio.run(run_with(2))


def test_drain_refuses_new_runs_and_requeues_interrupted_ones(tmp_path: Path) -> None:
    # Long enough (~200 × 20 ms on one worker) to be still running when the drain starts.
    interrupted = scenario(replicates=200, horizon_days=1000, seed=31)

    async def first_life() -> str:
        async with lifecycle(tmp_path) as runs:
            run_id = (await runs.create(interrupted, None)).run_id
            await first_event(runs, run_id, lambda r: r.replicates_done >= 1)
            draining = asyncio.create_task(runs.drain(0.0))
            await asyncio.sleep(0)
            with pytest.raises(ServiceDraining):
                await runs.create(scenario(), None)
            await draining
            return run_id

    async def second_life(run_id: str) -> Run:
        async with lifecycle(tmp_path, workers=2) as runs:
            return await finished(runs, run_id)

    run_id = asyncio.run(first_life())
    store = Store(tmp_path)
    left = store.get(run_id)
    store.close()
    assert left is not None
    assert left.state is RunState.QUEUED
    assert left.replicates_done == 0

    rerun = asyncio.run(second_life(run_id))
    assert rerun.state is RunState.SUCCEEDED
    assert rerun.replicates_done == 200


def test_a_dead_worker_fails_its_run_and_the_next_run_succeeds(tmp_path: Path) -> None:
    async def body() -> tuple[Run, Run]:
        async with lifecycle(tmp_path) as runs:
            doomed = (await runs.create(long_scenario(), None)).run_id
            await first_event(runs, doomed, lambda r: r.replicates_done >= 1)
            for worker in multiprocessing.active_children():
                os.kill(worker.pid or 0, signal.SIGKILL)
            failed = await finished(runs, doomed)
            after = (await runs.create(scenario(), None)).run_id
            return failed, await finished(runs, after)

    failed, after = asyncio.run(body())
    assert failed.state is RunState.FAILED
    assert failed.error == "a worker process died (killed or out of memory)"
    assert after.state is RunState.SUCCEEDED
