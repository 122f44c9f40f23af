"""A process running the lifecycle is SIGKILLed mid-run: its workers exit with it, and the
next start finishes every run with the results of a clean run."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from escapesim.service.store.database import Store
from escapesim.service.store.run_record import RunState
from tests.runs_support import TIMEOUT, finished, lifecycle, reference_tables, scenario

ROOT = Path(__file__).resolve().parents[1]

#: The doomed process: two runs (one simulating, one waiting), then it waits to be killed.
CHILD = """
import asyncio, json, multiprocessing, sys
from pathlib import Path
from escapesim.service.workers.local import LocalExecutor
from escapesim.service.jobs.runs import RunLifecycle
from escapesim.service.store.database import Store
from tests.runs_support import scenario

async def main():
    store = Store(Path(sys.argv[1]))
    runs = RunLifecycle(store, LocalExecutor(1, batch_seconds=0.2), max_concurrent=1,
                        max_queued=4, progress_interval=0.05)
    await runs.start()
    ids = [(await runs.create(scenario(replicates=30, seed=s), None)).run_id for s in (41, 42)]
    async for event in runs.watch(ids[0]):
        if event.run.replicates_done >= 1:
            break
    workers = [p.pid for p in multiprocessing.active_children()]
    print(json.dumps({"ids": ids, "workers": workers}), flush=True)
    await asyncio.sleep(3600)

if __name__ == "__main__":
    asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited; only its entry remains


@pytest.mark.slow
def test_after_sigkill_workers_exit_and_every_run_finishes_as_a_clean_run(
    tmp_path: Path,
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        report = json.loads(child.stdout.readline())
    finally:
        child.kill()
        child.wait(timeout=TIMEOUT)
    assert report["workers"]
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in report["workers"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in report["workers"]), "orphaned pool workers"

    async def restart() -> list[RunState]:
        async with lifecycle(tmp_path) as runs:
            return [(await finished(runs, run_id)).state for run_id in report["ids"]]

    assert asyncio.run(restart()) == [RunState.SUCCEEDED, RunState.SUCCEEDED]
    store = Store(tmp_path)
    try:
        assert store.integrity_check() == ["ok"]
        for run_id, seed in zip(report["ids"], (41, 42), strict=True):
            wanted = reference_tables(scenario(replicates=30, seed=seed), range(30))
            got = [pq.read_table(p) for p in store.result_files(run_id)]
            assert got[0].equals(wanted[0])
            assert got[1].equals(wanted[1])
    finally:
        store.close()
