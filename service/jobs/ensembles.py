"""The ensemble lifecycle: queue, simulate cell by cell, summarise, cancel, watch, recover.

It follows the run lifecycle's rules (:mod:`escapesim.service.jobs.runs`) and shares its parts: the
store's database, the executor (one job per cell: each cell is an ordinary scenario),
the watch journal and the error types. What is particular to ensembles:

* **Cells are the unit of durability.** A finished cell's tables are written to disk
  at once (:class:`~escapesim.service.store.ensembles.EnsembleStore`); the ensemble's own progress
  lives in memory and in the store at state changes.
* **Recovery resumes.** :meth:`EnsembleLifecycle.start` re-queues every unfinished
  ensemble; cells whose files are in place are not simulated again. Because replicate k
  of a cell is the same wherever and whenever it runs, the resumed ensemble ends with
  exactly the results of an uninterrupted one.
* **Summaries come from stored cells.** Once every cell is stored, the cells are read
  back and summarised with :mod:`service.results.ensemble_tables`: the same tables and document
  as ``escapesim ensemble`` writes locally.
* **Cancellation keeps finished cells.** A cancelled ensemble summarises the cells that
  finished (those whose control cell finished too, since arms are compared with it) and
  is marked partial; cells in progress are dropped, as a run drops a replicate.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from escapesim.engine import ScenarioError
from escapesim.engine.branching import cell_branch
from escapesim.engine.ensemble import Cell, Ensemble
from escapesim.service.jobs.lifecycle import Lifecycle
from escapesim.service.jobs.refusals import NoResults
from escapesim.service.results import ensemble_tables
from escapesim.service.results.attribution_table import attribution_table
from escapesim.service.store.ensemble_record import CellProgress, EnsembleEvent, EnsembleRun
from escapesim.service.store.ensembles import EnsembleStore, spec_json
from escapesim.service.store.run_record import RunState
from escapesim.service.workers.batches import Batch, combine
from escapesim.service.workers.local import Executor, ExecutorFailure

__all__ = ["EnsembleFinished", "EnsembleLifecycle", "EnsembleNotFound"]

log = logging.getLogger(__name__)


class EnsembleNotFound(LookupError):  # noqa: N818 - named like runs.RunNotFound
    """No ensemble has this id."""


class EnsembleFinished(Exception):  # noqa: N818 - named like runs.RunFinished
    """The ensemble is already in a terminal state (it cannot be cancelled)."""


class EnsembleLifecycle(Lifecycle[EnsembleRun, EnsembleEvent, EnsembleStore]):
    """Ensembles of one server, used from one event loop (see the module doc).

    At most ``max_concurrent`` ensembles simulate at once, each with at most
    ``cells_at_once`` cells (executor jobs) in flight; at most ``max_queued`` wait.
    The executor is shared with the run lifecycle, which starts and closes it.
    """

    noun = "ensemble"
    specification = "ensemble"
    not_found = EnsembleNotFound
    already_finished = EnsembleFinished

    def __init__(
        self,
        records: EnsembleStore,
        executor: Executor,
        *,
        max_concurrent: int,
        max_queued: int,
        cells_at_once: int = 2,
        progress_interval: float = 0.25,
        cancel_wait: float = 10.0,
    ) -> None:
        if cells_at_once < 1:
            raise ValueError(f"cells_at_once must be >= 1, got {cells_at_once}")
        super().__init__(
            records,
            executor,
            max_concurrent=max_concurrent,
            max_queued=max_queued,
            progress_interval=progress_interval,
            cancel_wait=cancel_wait,
        )
        self._cells_at_once = cells_at_once

    async def create(self, ensemble: Ensemble, request_id: str | None) -> EnsembleRun:
        """Queue ``ensemble``; the same ``request_id`` and ensemble return the same one.

        Raises :class:`~escapesim.service.jobs.lifecycle.RequestConflict`,
        :class:`~service.jobs.lifecycle.ServiceDraining` or
        :class:`~service.jobs.lifecycle.QueueFull`.
        """
        return await self._create(
            lambda ensemble_id: EnsembleRun.queued(ensemble_id, request_id or None, ensemble),
            request_id,
            spec_json(ensemble),
            lambda run: spec_json(run.ensemble),
        )

    def result_files(self, ensemble_id: str) -> dict[str, Path]:
        """The summarised files (``trajectories`` … ``bands``, ``summary``) by part.

        Raises :class:`EnsembleNotFound` or :class:`~escapesim.service.jobs.lifecycle.NoResults`.
        """
        record = self._with_results(ensemble_id, "before any cell (with its control) finished")
        files = self._records.result_files(ensemble_id)
        if not files["attribution"].is_file() and not record.ensemble.knocked_out:
            # Stored before the table existed: without knock-out arms it has no rows.
            empty = attribution_table(record.ensemble, [])
            self._records.write_table(ensemble_id, "attribution", empty)
        if not all(path.is_file() for path in files.values()):
            log.error("result files of ensemble %s are missing", ensemble_id)
            raise NoResults(f"ensemble {ensemble_id} has no results: its files are missing")
        return files

    def _id(self, record: EnsembleRun) -> str:
        return record.ensemble_id

    def _event(self, sequence: int, record: EnsembleRun) -> EnsembleEvent:
        return EnsembleEvent(sequence, record)

    def _record_of(self, event: EnsembleEvent) -> EnsembleRun:
        return event.ensemble

    # -- the life of one ensemble --------------------------------------------------------

    async def _execute_job(self, ensemble_id: str) -> None:
        run = await self._move(ensemble_id, RunState.RUNNING)
        cells = run.ensemble.points()
        pending = [i for i, c in enumerate(run.cells) if c.state is not RunState.SUCCEEDED]
        reporter = asyncio.create_task(self._report_progress(ensemble_id))
        try:
            await self._simulate(ensemble_id, cells, pending)
        finally:
            reporter.cancel()
        if ensemble_id in self._interrupting:
            await self._requeue(ensemble_id)
        else:
            await self._conclude(ensemble_id, cancelled=ensemble_id in self._cancelling)

    async def _conclude_unstarted(self, ensemble_id: str) -> None:
        # Cells finished before a restart are kept: it may have results after all.
        await self._conclude(ensemble_id, cancelled=True)

    async def _simulate(
        self, ensemble_id: str, cells: Sequence[Cell], pending: builtins.list[int]
    ) -> None:
        """Run the pending cells, ``cells_at_once`` at a time, in cell order."""
        queue: Iterator[int] = iter(pending)
        self._jobs[ensemble_id] = {}

        async def worker() -> None:
            for index in queue:  # one shared iterator: each cell is taken once
                if self._stopping(ensemble_id):
                    return
                await self._run_cell(ensemble_id, index, cells[index])

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(self._cells_at_once, len(pending))):
                    group.create_task(worker())
        except BaseExceptionGroup as failed:
            # One cell failing stops the others (the TaskGroup cancelled them): report it.
            raise failed.exceptions[0] from None

    async def _run_cell(self, ensemble_id: str, index: int, cell: Cell) -> None:
        self._set_cell(ensemble_id, index, state=RunState.RUNNING, replicates_done=0)
        branch = cell_branch(self._active[ensemble_id].ensemble, cell)
        job = self._executor.submit(cell.scenario, branch=branch)
        self._jobs[ensemble_id][index] = job
        batches: builtins.list[Batch] = []
        try:
            async for batch in job.batches():
                batches.append(batch)
                done = self._active[ensemble_id].cells[index].replicates_done
                self._set_cell(ensemble_id, index, replicates_done=done + len(batch.replicates))
        finally:
            self._jobs[ensemble_id].pop(index, None)
        done = sum(len(b.replicates) for b in batches)
        if done < cell.scenario.replicates:
            if not self._stopping(ensemble_id):
                raise ExecutorFailure(f"cell {index} ended with {done} replicates")
            # Stopped: a cell is only meaningful whole, so its replicates are dropped.
            left = RunState.QUEUED if ensemble_id in self._interrupting else RunState.CANCELLED
            self._set_cell(ensemble_id, index, state=left, replicates_done=0)
            return
        trajectories, replicates = combine(batches, cell.scenario, partial=False)
        await asyncio.to_thread(
            self._records.write_cell, ensemble_id, index, trajectories, replicates
        )
        self._set_cell(ensemble_id, index, state=RunState.SUCCEEDED)

    async def _conclude(self, ensemble_id: str, *, cancelled: bool) -> None:
        run = self._active[ensemble_id]
        if cancelled:
            cells = tuple(c if c.state is RunState.SUCCEEDED else _cancelled(c) for c in run.cells)
            self._active[ensemble_id] = run = replace(run, cells=cells)
        done = [i for i, c in enumerate(run.cells) if c.state is RunState.SUCCEEDED]
        usable = _usable(run.ensemble, done)
        if not usable:
            await self._finish(ensemble_id, RunState.CANCELLED)
            return
        await self._move(ensemble_id, RunState.PERSISTING)
        await asyncio.to_thread(self._persist, ensemble_id, run.ensemble, usable, cancelled)
        final = RunState.CANCELLED if cancelled else RunState.SUCCEEDED
        await self._finish(ensemble_id, final, partial=cancelled)

    def _persist(
        self, ensemble_id: str, ensemble: Ensemble, usable: Sequence[int], partial: bool
    ) -> None:
        # In a thread: reading cells, the statistics and Parquet must not stall the loop.
        cells = ensemble.points()
        chosen = [cells[i] for i in usable]
        found = [self._records.read_cell(ensemble_id, i) for i in usable]
        finished = ensemble_tables.summarise_cells(ensemble, chosen, found)
        built = ensemble_tables.result_tables(ensemble, finished)
        document = ensemble_tables.summary_document(ensemble, finished)
        if partial:
            document["partial"] = True
        self._records.write_results(ensemble_id, built, document)

    async def _report_progress(self, ensemble_id: str) -> None:
        # Progress events are coalesced: at most one per interval, only when changed.
        reported = self._active[ensemble_id]
        while True:
            await asyncio.sleep(self._progress_interval)
            run = self._active[ensemble_id]
            if run.cells != reported.cells:
                self._journals[ensemble_id].record(run, progress=True)
                reported = run

    # -- state changes -------------------------------------------------------------------

    def _set_cell(self, ensemble_id: str, index: int, **changes: object) -> None:
        self._active[ensemble_id] = self._active[ensemble_id].with_cell(index, **changes)

    async def _requeue(self, ensemble_id: str) -> None:
        """Record an interrupted ensemble as QUEUED (the next start resumes it)."""
        run = self._active[ensemble_id]
        cells = tuple(c if c.state is RunState.SUCCEEDED else _queued(c) for c in run.cells)
        await self._move(ensemble_id, RunState.QUEUED, cells=cells)
        self._release(ensemble_id)

    def _recover(self, ensemble_id: str, raw: str) -> None:
        try:
            Ensemble.from_dict(json.loads(raw))
        except (ScenarioError, ValueError) as error:
            reason = f"cannot run again after a restart: {error}"
            log.warning("ensemble %s %s", ensemble_id, reason)
            self._records.force_failed(ensemble_id, reason)
            return
        self._records.remove_results(ensemble_id)  # summarised again from the cells
        stored = self._records.get(ensemble_id)
        assert stored is not None, "an unfinished ensemble was just listed"
        cells = tuple(
            _stored(c) if self._records.cell_done(ensemble_id, i) else _queued(c)
            for i, c in enumerate(stored.cells)
        )
        sequence = self._records.sequence(ensemble_id) + 1
        run = stored.moved(RunState.QUEUED, cells=cells, error=None, partial=False)
        self._records.update(run, sequence)
        self._admit(run, sequence)
        log.info(
            "ensemble %s queued again after a restart (%d of %d cells kept)",
            ensemble_id, run.cells_done, len(cells),
        )  # fmt: skip


def _usable(ensemble: Ensemble, done: Sequence[int]) -> list[int]:
    """Finished cells that can be summarised: controls, and arms whose control finished."""
    cells = ensemble.points()
    finished = set(done)
    controls = {cells[i].point for i in finished if cells[i].arm == ensemble.control}
    return [i for i in sorted(finished) if cells[i].point in controls]


def _queued(cell: CellProgress) -> CellProgress:
    return replace(cell, state=RunState.QUEUED, replicates_done=0)


def _cancelled(cell: CellProgress) -> CellProgress:
    return replace(cell, state=RunState.CANCELLED, replicates_done=0)


def _stored(cell: CellProgress) -> CellProgress:
    return replace(cell, state=RunState.SUCCEEDED, replicates_done=cell.replicates_total)
