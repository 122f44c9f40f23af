"""The run lifecycle on a real SQLite store and a real spawn process pool."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from escapesim.service.jobs.runs import (
    InvalidArgument,
    NoResults,
    QueueFull,
    RequestConflict,
    RunFinished,
    RunNotFound,
)
from escapesim.service.store.run_record import RunState
from tests.runs_support import (
    events_until_end,
    finished,
    first_event,
    lifecycle,
    long_scenario,
    reference_tables,
    scenario,
)


def test_a_run_goes_queued_running_persisting_succeeded_with_its_results(tmp_path: Path) -> None:
    wanted = scenario(replicates=6)

    async def body() -> None:
        async with lifecycle(tmp_path) as runs:
            created = await runs.create(wanted, request_id=None)
            events = await events_until_end(runs, created.run_id)
            files = runs.result_files(created.run_id)
            run = runs.get(created.run_id)

        assert created.state is RunState.QUEUED
        states = [e.run.state for e in events]
        assert [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]] == [
            RunState.QUEUED,
            RunState.RUNNING,
            RunState.PERSISTING,
            RunState.SUCCEEDED,
        ]
        sequences = [e.sequence for e in events]
        assert sequences == sorted(set(sequences))
        assert sequences[0] == 1
        assert (run.replicates_done, run.replicates_total) == (6, 6)
        assert run.simulated_day == 20
        assert not run.partial
        assert run.error is None
        trajectories, replicates = reference_tables(wanted, range(6))
        assert pq.read_table(files[0]).equals(trajectories)
        assert pq.read_table(files[1]).equals(replicates)

    asyncio.run(body())


def test_create_is_idempotent_on_request_id(tmp_path: Path) -> None:
    async def body() -> None:
        async with lifecycle(tmp_path) as runs:
            first = await runs.create(scenario(), request_id="req-1")
            again = await runs.create(scenario(), request_id="req-1")
            other = await runs.create(scenario(), request_id=None)
            with pytest.raises(RequestConflict, match=first.run_id) as conflict:
                await runs.create(scenario(seed=99), request_id="req-1")
            done = await finished(runs, first.run_id)
            after_done = await runs.create(scenario(), request_id="req-1")
            listed, _ = runs.list(10, "", None)

        assert again.run_id == first.run_id
        assert other.run_id != first.run_id
        assert conflict.value.violations[0].field == "request_id"
        assert after_done.run_id == first.run_id
        assert after_done.state is done.state
        assert sorted(r.run_id for r in listed) == sorted([first.run_id, other.run_id])

    asyncio.run(body())


def test_list_pages_newest_first_with_a_state_filter(tmp_path: Path) -> None:
    async def body() -> None:
        async with lifecycle(tmp_path, max_concurrent=1) as runs:
            ids = [(await runs.create(long_scenario(seed=i), None)).run_id for i in range(5)]
            for cancelled in (ids[1], ids[3]):  # both still waiting behind ids[0]
                assert (await runs.cancel(cancelled)).state is RunState.CANCELLED

            page1, token1 = runs.list(2, "", None)
            newer = await runs.create(long_scenario(seed=9), None)  # must not shift pages
            page2, token2 = runs.list(2, token1, None)
            page3, token3 = runs.list(2, token2, None)
            only_cancelled, end = runs.list(0, "", RunState.CANCELLED)
            newest, _ = runs.list(1, "", None)
            with pytest.raises(InvalidArgument) as wrong_filter:
                runs.list(2, token1, RunState.CANCELLED)
            with pytest.raises(InvalidArgument) as garbage:
                runs.list(2, "not-a-token", None)
            with pytest.raises(InvalidArgument) as negative:
                runs.list(-1, "", None)

        assert [r.run_id for r in page1 + page2 + page3] == ids[::-1]
        assert token3 == ""
        assert token1
        assert token2
        assert [r.run_id for r in only_cancelled] == [ids[3], ids[1]]
        assert end == ""
        assert newest[0].run_id == newer.run_id
        assert [e.value.violations[0].field for e in (wrong_filter, garbage, negative)] == [
            "page_token",
            "page_token",
            "page_size",
        ]

    asyncio.run(body())


def test_cancelling_a_running_run_keeps_its_finished_replicates_as_partial(
    tmp_path: Path,
) -> None:
    wanted = long_scenario()

    async def body() -> None:
        async with lifecycle(tmp_path) as runs:
            run_id = (await runs.create(wanted, None)).run_id
            await first_event(runs, run_id, lambda r: r.replicates_done >= 2)
            cancelled = await runs.cancel(run_id)
            files = runs.result_files(run_id)
            with pytest.raises(RunFinished):
                await runs.cancel(run_id)

        assert cancelled.state is RunState.CANCELLED
        assert cancelled.partial
        assert 2 <= cancelled.replicates_done < wanted.replicates
        summary = pq.read_table(files[1])
        assert summary.column("replicate").to_pylist() == list(range(cancelled.replicates_done))
        assert summary.schema.metadata[b"escapesim.partial"] == b"true"
        trajectories, replicates = reference_tables(wanted, range(2))
        assert pq.read_table(files[0]).slice(0, trajectories.num_rows).equals(trajectories)
        assert summary.slice(0, 2).select(replicates.column_names).equals(replicates)

    asyncio.run(body())


def test_a_watcher_leaves_and_resumes_after_the_last_sequence_it_saw(tmp_path: Path) -> None:
    async def body() -> None:
        async with lifecycle(tmp_path) as runs:
            run_id = (await runs.create(scenario(replicates=40), None)).run_id
            seen = await first_event(runs, run_id, lambda r: r.state is RunState.RUNNING)
            assert not runs.get(run_id).state.terminal  # the watcher leaving changed nothing
            resumed = await events_until_end(runs, run_id, after=seen.sequence)
            replay = await events_until_end(runs, run_id, after=0)
            nothing_new = await events_until_end(runs, run_id, after=resumed[-1].sequence)

        assert resumed[0].sequence == seen.sequence + 1
        assert all(e.sequence > seen.sequence for e in resumed)
        assert resumed[-1].run.state is RunState.SUCCEEDED
        assert resumed[-1].run.replicates_done == 40
        # Once finished, a watcher from the start gets the final snapshot only.
        assert [e.sequence for e in replay] == [resumed[-1].sequence]
        assert nothing_new == []

    asyncio.run(body())


def test_a_full_queue_refuses_runs_and_a_cancelled_waiting_run_frees_its_place(
    tmp_path: Path,
) -> None:
    async def body() -> None:
        async with lifecycle(tmp_path, max_concurrent=1, max_queued=1) as runs:
            await runs.create(long_scenario(), None)
            waiting = await runs.create(long_scenario(seed=6), None)
            with pytest.raises(QueueFull):
                await runs.create(scenario(), None)
            cancelled = await runs.cancel(waiting.run_id)
            accepted = await runs.create(scenario(), None)
            with pytest.raises(NoResults, match="cancelled before"):
                runs.result_files(waiting.run_id)
            with pytest.raises(RunNotFound):
                runs.get("no-such-run")
            with pytest.raises(RunNotFound):
                runs.watch("no-such-run")

        assert cancelled.state is RunState.CANCELLED
        assert not cancelled.partial
        assert accepted.state is RunState.QUEUED

    asyncio.run(body())
