"""The run lifecycle: queue, run, persist, cancel, watch, recover and drain runs.

One :class:`RunLifecycle` per server, used from one event loop. Besides the rules every
job follows (:mod:`escapesim.service.jobs.lifecycle`: durable first, bounded, watchable, drainable):

* **Results before success.** SUCCEEDED is committed only after the result files are
  durably in place. Progress stays in memory (it is cheap to lose: an unfinished run is
  simulated again from scratch).
* **Recovery.** :meth:`RunLifecycle.start` re-queues every run that was QUEUED, RUNNING
  or PERSISTING when the previous server stopped (same scenario and seed, hence the same
  result), or marks it FAILED with the reason if its scenario no longer builds.
* **Drain.** :meth:`RunLifecycle.drain` refuses new runs, gives running ones a grace
  period, then records the rest as QUEUED again so the next start re-runs them.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from escapesim.engine import Scenario, ScenarioError
from escapesim.engine.branching import StoredBranch
from escapesim.engine.checkpoint import Checkpoint
from escapesim.service.jobs.lifecycle import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Lifecycle
from escapesim.service.jobs.refusals import (
    MAX_REQUEST_ID,
    InvalidArgument,
    NoCheckpoint,
    NoResults,
    QueueFull,
    RequestConflict,
    ServiceDraining,
)
from escapesim.service.results import checkpoints as checkpoint_tables
from escapesim.service.store.database import Store, scenario_json
from escapesim.service.store.run_record import (
    Run,
    RunEvent,
    RunFork,
    RunState,
    no_outcomes,
    tally,
)
from escapesim.service.workers.batches import Batch, combine
from escapesim.service.workers.local import ExecutorFailure, Job

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "MAX_REQUEST_ID",
    "InvalidArgument",
    "NoCheckpoint",
    "NoResults",
    "QueueFull",
    "RequestConflict",
    "Run",
    "RunEvent",
    "RunFinished",
    "RunLifecycle",
    "RunNotFound",
    "RunState",
    "ServiceDraining",
]

log = logging.getLogger(__name__)


class RunNotFound(LookupError):  # noqa: N818 - the agreed interface names
    """No run has this id."""


class RunFinished(Exception):  # noqa: N818 - the agreed interface names
    """The run is already in a terminal state (it cannot be cancelled)."""


class RunLifecycle(Lifecycle[Run, RunEvent, Store]):
    """Runs of one server: the store, an executor and the bounds (see the module doc).

    The run lifecycle owns the executor: :meth:`start` starts it, :meth:`drain` closes it.
    """

    noun = "run"
    specification = "scenario"
    not_found = RunNotFound
    already_finished = RunFinished

    async def start(self) -> None:
        """Start the executor, clean up after a crash and re-queue unfinished runs."""
        await self._executor.start()
        await super().start()

    async def drain(self, grace_seconds: float) -> None:
        """Drain (see :meth:`Lifecycle.drain`), then close the executor."""
        await super().drain(grace_seconds)
        await self._executor.close()

    async def create(
        self,
        scenario: Scenario,
        request_id: str | None,
        first_replicate: int = 0,
        forked_from: RunFork | None = None,
    ) -> Run:
        """Queue replicates ``first_replicate`` … ``first_replicate + replicates − 1`` of
        ``scenario``; the same ``request_id``, scenario and first replicate return the same
        run. With ``forked_from``, the replicate continues that run's kept checkpoint
        (:mod:`escapesim.service.jobs.forks` makes such runs).

        Raises :class:`RequestConflict` if ``request_id`` was used for another request,
        :class:`ServiceDraining` while shutting down, :class:`QueueFull` at the limit.
        """
        return await self._create(
            lambda run_id: Run.queued(
                run_id, request_id or None, scenario, first_replicate, forked_from
            ),
            request_id,
            _specification(scenario, first_replicate, forked_from),
            lambda run: _specification(run.scenario, run.first_replicate, run.forked_from),
        )

    def result_files(self, run_id: str) -> tuple[Path, Path]:
        """The (trajectories, replicates) Parquet files of a run that has results.

        Raises :class:`RunNotFound` or :class:`NoResults`.
        """
        run = self._with_results(run_id, "before any replicate finished")
        files = self._records.result_files(run_id)
        if not all(path.is_file() for path in files):
            log.error("result files of %s run %s are missing", run.state.value, run_id)
            raise NoResults(f"run {run_id} has no results: its files are missing")
        return files

    def checkpoint(self, run_id: str, replicate: int, day: float) -> Checkpoint:
        """Replicate ``replicate``'s checkpoint at ``day`` of a run with results.

        Raises :class:`RunNotFound`, :class:`NoResults`, or :class:`NoCheckpoint`
        naming ``replicate`` or ``day`` when the run kept no such checkpoint.
        """
        return Checkpoint.from_bytes(self.checkpoint_bytes(run_id, replicate, day))

    def checkpoint_bytes(self, run_id: str, replicate: int, day: float) -> bytes:
        """The stored form of :meth:`checkpoint` (what a fork's workers continue)."""
        run = self._with_results(run_id, "before any replicate finished")
        if day not in run.scenario.checkpoint_days:
            kept = ", ".join(f"{d:g}" for d in run.scenario.checkpoint_days) or "none"
            raise NoCheckpoint("day", f"run {run_id} keeps checkpoints on days: {kept}")
        found = checkpoint_tables.read_one(self._records.checkpoint_file(run_id), replicate, day)
        if found is None:
            last = run.first_replicate + run.replicates_total - 1
            raise NoCheckpoint(
                "replicate",
                f"run {run_id} has no replicate {replicate} (it simulated replicates "
                f"{run.first_replicate} to {last}{', partly' if run.partial else ''})",
            )
        return found

    def _id(self, record: Run) -> str:
        return record.run_id

    def _event(self, sequence: int, record: Run) -> RunEvent:
        return RunEvent(sequence, record)

    def _record_of(self, event: RunEvent) -> Run:
        return event.run

    # -- the life of one run -------------------------------------------------------------

    async def _execute_job(self, run_id: str) -> None:
        run = await self._move(run_id, RunState.RUNNING)
        origin = run.forked_from  # reading its checkpoint is file I/O: off the event loop
        branch = None if origin is None else await asyncio.to_thread(self._stored_past, origin)
        job = self._executor.submit(run.scenario, first=run.first_replicate, branch=branch)
        self._jobs[run_id] = {0: job}
        batches = await self._simulate(run_id, job)
        if run_id in self._interrupting:
            await self._requeue(run_id)
        else:
            await self._conclude(run_id, batches, cancelled=run_id in self._cancelling)

    def _stored_past(self, origin: RunFork) -> StoredBranch:
        """The kept checkpoint a forked run continues (a parent gone is the run's failure)."""
        try:
            stored = self.checkpoint_bytes(origin.run_id, origin.replicate, origin.day)
        except (RunNotFound, NoResults, InvalidArgument) as error:
            raise ExecutorFailure(f"cannot continue the forked checkpoint: {error}") from None
        parent = self.get(origin.run_id).scenario
        return StoredBranch(parent, origin.day, ((origin.replicate, stored),))

    async def _conclude_unstarted(self, run_id: str) -> None:
        await self._finish(run_id, RunState.CANCELLED)

    async def _simulate(self, run_id: str, job: Job) -> builtins.list[Batch]:
        batches: builtins.list[Batch] = []
        reporter = asyncio.create_task(self._report_progress(run_id, job))
        try:
            async for batch in job.batches():
                batches.append(batch)
                run = self._active[run_id]
                seen = Counter(batch.summaries.column("outcome").to_pylist())
                self._active[run_id] = replace(
                    _with_progress(run, done=run.replicates_done + len(batch.replicates)),
                    outcomes=tally(run.outcomes, seen),
                )
        finally:
            reporter.cancel()
        return batches

    async def _conclude(self, run_id: str, batches: Sequence[Batch], *, cancelled: bool) -> None:
        done = sum(len(b.replicates) for b in batches)
        if cancelled and done == 0:
            await self._finish(run_id, RunState.CANCELLED)
            return
        run = self._active[run_id]
        day = run.scenario.horizon_days if not cancelled else run.simulated_day
        await self._move(run_id, RunState.PERSISTING, replicates_done=done, simulated_day=day)
        await asyncio.to_thread(self._persist, run_id, run.scenario, batches, cancelled)
        final = RunState.CANCELLED if cancelled else RunState.SUCCEEDED
        await self._finish(run_id, final, partial=cancelled)

    def _persist(
        self, run_id: str, scenario: Scenario, batches: Sequence[Batch], partial: bool
    ) -> None:
        # In a thread: concatenating and writing Parquet must not stall the event loop.
        trajectories, replicates = combine(batches, scenario, partial=partial)
        kept = checkpoint_tables.combined([b.checkpoints for b in batches])
        self._records.write_results(run_id, trajectories, replicates, kept)

    async def _report_progress(self, run_id: str, job: Job) -> None:
        # Progress events are coalesced: at most one per interval, only when changed.
        reported = self._active[run_id]
        while True:
            await asyncio.sleep(self._progress_interval)
            run = _with_progress(self._active[run_id], day=job.simulated_day())
            self._active[run_id] = run
            if (run.replicates_done, run.simulated_day) != (
                reported.replicates_done,
                reported.simulated_day,
            ):
                self._journals[run_id].record(run, progress=True)
                reported = run

    # -- state changes -------------------------------------------------------------------

    async def _requeue(self, run_id: str) -> None:
        """Record an interrupted run as QUEUED (it runs again from scratch on next start)."""
        await self._move(
            run_id, RunState.QUEUED, replicates_done=0, simulated_day=0.0, outcomes=no_outcomes()
        )
        self._release(run_id)

    def _recover(self, run_id: str, raw: str) -> None:
        try:
            Scenario.from_dict(json.loads(raw))
        except (ScenarioError, ValueError) as error:
            reason = f"cannot run again after a restart: {error}"
            log.warning("run %s %s", run_id, reason)
            self._records.force_state(run_id, RunState.FAILED, reason)
            return
        self._records.remove_results(run_id)  # from scratch: nothing half-done survives
        stored = self._records.get(run_id)
        assert stored is not None, "an unfinished run was just listed"
        sequence = self._records.sequence(run_id) + 1
        run = stored.moved(
            RunState.QUEUED, replicates_done=0, simulated_day=0.0, error=None, partial=False,
            outcomes=no_outcomes(),
        )  # fmt: skip
        self._records.update(run, sequence)
        self._admit(run, sequence)
        log.info("run %s queued again after a restart", run_id)


def _with_progress(run: Run, *, done: int | None = None, day: float | None = None) -> Run:
    """A copy with new progress; not a state change, so ``updated_at`` is unchanged."""
    return replace(
        run,
        replicates_done=run.replicates_done if done is None else done,
        simulated_day=run.simulated_day if day is None else day,
    )


def _specification(scenario: Scenario, first_replicate: int, origin: RunFork | None) -> str:
    """What a retried CreateRun (or ForkRun) must repeat: the scenario, if not 0 the first
    replicate (so a run from replicate 0 compares as it always did), and a fork's origin."""
    stored = scenario_json(scenario)
    stored = stored if first_replicate == 0 else f"{stored} from replicate {first_replicate}"
    return stored if origin is None else f"{stored} forked from {origin}"
