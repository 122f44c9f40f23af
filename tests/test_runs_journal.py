"""The event journal of a run: state changes kept, progress coalesced, waiters woken."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from escapesim import engine
from escapesim.service.jobs.journal import Journal
from escapesim.service.store.run_record import Run, RunState


def _run() -> Run:
    scenario = engine.Scenario.build(preset="kuznetsov1994", horizon_days=20, replicates=3)
    return Run.queued("r1", None, scenario)


def test_progress_is_coalesced_but_state_changes_are_kept() -> None:
    queued = _run()
    journal = Journal(queued, sequence=1)
    running = queued.moved(RunState.RUNNING)
    journal.record(running, progress=False)
    for day in (1.0, 2.0, 3.0):
        journal.record(replace(running, simulated_day=day), progress=True)
    persisting = running.moved(RunState.PERSISTING)
    journal.record(persisting, progress=False)

    kept = journal.after(0)
    assert [e.sequence for e in kept] == [1, 2, 5, 6]
    assert [e.run.state for e in kept] == [
        RunState.QUEUED,
        RunState.RUNNING,
        RunState.RUNNING,
        RunState.PERSISTING,
    ]
    assert kept[2].run.simulated_day == 3.0  # only the latest progress survives
    assert [e.sequence for e in journal.after(3)] == [5, 6]


def test_waiters_wake_on_a_new_event_and_on_close() -> None:
    async def body() -> None:
        journal = Journal(_run(), sequence=7)
        waiter = asyncio.create_task(journal.wait(7))
        await asyncio.sleep(0.01)
        assert not waiter.done()
        journal.record(_run().moved(RunState.RUNNING), progress=False)
        await asyncio.wait_for(waiter, 1)

        closing = asyncio.create_task(journal.wait(8))
        await asyncio.sleep(0.01)
        assert not closing.done()
        journal.close()
        await asyncio.wait_for(closing, 1)
        await asyncio.wait_for(journal.wait(100), 1)  # closed: returns at once
        assert journal.closed

    asyncio.run(body())
