"""Runs keep their replicates' checkpoints with their results, durably across restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from escapesim import engine
from escapesim.service.jobs.runs import InvalidArgument
from escapesim.service.results.tables import results_from_tables
from escapesim.service.store.run_record import RunState
from tests.runs_support import finished, lifecycle, scenario


def test_checkpoints_are_stored_and_continue_the_stored_replicates_after_a_restart(
    tmp_path: Path,
) -> None:
    wanted = scenario(replicates=3).with_changes(checkpoint_days=[5, 12])

    async def first_server() -> str:
        async with lifecycle(tmp_path, workers=2) as runs:
            created = await runs.create(wanted, request_id=None)
            assert (await finished(runs, created.run_id)).state is RunState.SUCCEEDED
            return created.run_id

    run_id = asyncio.run(first_server())

    async def second_server() -> tuple[list[engine.Checkpoint], list[engine.Result]]:
        async with lifecycle(tmp_path) as runs:
            kept = [runs.checkpoint(run_id, k, 12.0) for k in range(3)]
            with pytest.raises(InvalidArgument) as caught:
                runs.checkpoint(run_id, 0, 6.0)
            assert caught.value.violations[0].field == "day"
            with pytest.raises(InvalidArgument, match="no replicate 3"):
                runs.checkpoint(run_id, 3, 12.0)
            files = runs.result_files(run_id)
            stored = results_from_tables(wanted, pq.read_table(files[0]), pq.read_table(files[1]))
            return kept, stored

    kept, stored = asyncio.run(second_server())
    for k, (checkpoint, result) in enumerate(zip(kept, stored, strict=True)):
        assert (checkpoint.replicate, checkpoint.day) == (k, 12.0)
        continued = engine.Simulation.restore(checkpoint).run()
        for name in result.trajectory:
            assert np.array_equal(continued.trajectory[name], result.trajectory[name]), name
        assert continued.outcome == result.outcome
