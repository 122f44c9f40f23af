"""The ensemble lifecycle: queue, simulate cell by cell, summarise, cancel, watch, recover.

It follows the run lifecycle's rules (:mod:`service.runs`) and shares its parts: the
store's database, the executor (one job per cell: each cell is an ordinary scenario),
the watch journal and the error types. What is particular to ensembles:

* **Cells are the unit of durability.** A finished cell's tables are written to disk
  at once (:class:`~service.ensemble_store.EnsembleStore`); the ensemble's own progress
  lives in memory and in the store at state changes.
* **Recovery resumes.** :meth:`EnsembleLifecycle.start` re-queues every unfinished
  ensemble; cells whose files are in place are not simulated again. Because replicate k
  of a cell is the same wherever and whenever it runs, the resumed ensemble ends with
  exactly the results of an uninterrupted one.
* **Summaries come from stored cells.** Once every cell is stored, the cells are read
  back and summarised with :mod:`service.ensemble_tables`: the same tables and document
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
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from engine import ScenarioError
from engine.ensemble import Cell, Ensemble
from service import ensemble_tables
from service.batches import Batch, combine
from service.ensemble_run import CellProgress, EnsembleEvent, EnsembleRun
from service.ensemble_store import EnsembleStore, spec_json
from service.executors import Executor, ExecutorFailure, Job
from service.journal import Journal
from service.run import RunState
from service.runs import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    InvalidArgument,
    NoResults,
    QueueFull,
    RequestConflict,
    ServiceDraining,
    checked_request_id,
    decode_page_token,
    encode_page_token,
)

__all__ = ["EnsembleFinished", "EnsembleLifecycle", "EnsembleNotFound"]

log = logging.getLogger(__name__)

_STOP_WAIT_SECONDS = 10.0


class EnsembleNotFound(LookupError):  # noqa: N818 - named like runs.RunNotFound
    """No ensemble has this id."""


class EnsembleFinished(Exception):  # noqa: N818 - named like runs.RunFinished
    """The ensemble is already in a terminal state (it cannot be cancelled)."""


class EnsembleLifecycle:
    """Ensembles of one server, used from one event loop (see the module doc).

    At most ``max_concurrent`` ensembles simulate at once, each with at most
    ``cells_at_once`` cells (executor jobs) in flight; at most ``max_queued`` wait.
    The executor is shared with the run lifecycle, which starts and closes it.
    """

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
        if max_concurrent < 1 or cells_at_once < 1 or max_queued < 0:
            raise ValueError("max_concurrent and cells_at_once must be >= 1, max_queued >= 0")
        self._records = records
        self._executor = executor
        self._max_concurrent = max_concurrent
        self._max_queued = max_queued
        self._cells_at_once = cells_at_once
        self._progress_interval = progress_interval
        self._cancel_wait = cancel_wait
        self._active: dict[str, EnsembleRun] = {}
        self._journals: dict[str, Journal[EnsembleEvent]] = {}
        self._waiting: deque[str] = deque()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._jobs: dict[str, dict[int, Job]] = {}
        self._cancelling: set[str] = set()
        self._interrupting: set[str] = set()
        self._started = False
        self._draining = False

    # -- start and stop ------------------------------------------------------------------

    async def start(self) -> None:
        """Clean up after a crash and re-queue unfinished ensembles (executor started)."""
        for path in self._records.clean_temporary():
            log.info("removed a temporary file left by a crash: %s", path.name)
        for ensemble_id, raw in self._records.unfinished():
            self._recover(ensemble_id, raw)
        self._started = True
        self._pump()

    async def drain(self, grace_seconds: float) -> None:
        """Refuse new ensembles, give running ones ``grace_seconds``, then interrupt them.

        Interrupted ensembles are left QUEUED with their finished cells on disk; the next
        :meth:`start` resumes them. The executor is not closed (the run lifecycle owns it).
        """
        self._draining = True
        while self._waiting:
            self._release(self._waiting.popleft())
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks, timeout=max(grace_seconds, 0.0))
        for ensemble_id, jobs in list(self._jobs.items()):
            self._interrupting.add(ensemble_id)
            for job in jobs.values():
                job.cancel()
        if tasks:
            _, stuck = await asyncio.wait(tasks, timeout=_STOP_WAIT_SECONDS)
            for task in stuck:
                task.cancel()
        for ensemble_id in list(self._active):
            self._release(ensemble_id)

    # -- the API -------------------------------------------------------------------------

    async def create(self, ensemble: Ensemble, request_id: str | None) -> EnsembleRun:
        """Queue ``ensemble``; the same ``request_id`` and ensemble return the same one.

        Raises :class:`~service.runs.RequestConflict`, :class:`~service.runs.ServiceDraining`
        or :class:`~service.runs.QueueFull`.
        """
        if not self._started:
            raise RuntimeError("call start() before creating ensembles")
        request_id = checked_request_id(request_id)
        if request_id is not None:
            existing = self._records.find_request(request_id)
            if existing is not None:
                if spec_json(existing.ensemble) != spec_json(ensemble):
                    raise RequestConflict(
                        "request_id",
                        f"was already used to create ensemble {existing.ensemble_id} "
                        "with a different ensemble",
                    )
                return self.get(existing.ensemble_id)
        if self._draining:
            raise ServiceDraining("the service is shutting down")
        if len(self._waiting) >= self._max_queued and len(self._tasks) >= self._max_concurrent:
            raise QueueFull(f"{len(self._waiting)} ensembles are already waiting")
        run = EnsembleRun.queued(uuid.uuid4().hex, request_id, ensemble)
        self._records.insert(run, sequence=1)
        self._admit(run, sequence=1)
        self._pump()
        return run

    def get(self, ensemble_id: str) -> EnsembleRun:
        """The ensemble now (live progress if active); raises :class:`EnsembleNotFound`."""
        run = self._active.get(ensemble_id) or self._records.get(ensemble_id)
        if run is None:
            raise EnsembleNotFound(ensemble_id)
        return run

    async def cancel(self, ensemble_id: str) -> EnsembleRun:
        """Cancel an ensemble; returns it once it stopped (or after ``cancel_wait``).

        Raises :class:`EnsembleFinished` if it is already in a terminal state.
        """
        run = self.get(ensemble_id)
        if run.state.terminal:
            raise EnsembleFinished(f"ensemble {ensemble_id} is already {run.state.value}")
        if ensemble_id in self._waiting:
            self._waiting.remove(ensemble_id)
            self._tasks[ensemble_id] = asyncio.create_task(
                self._conclude_cancelled(ensemble_id), name=ensemble_id
            )
        self._cancelling.add(ensemble_id)
        for job in self._jobs.get(ensemble_id, {}).values():
            job.cancel()
        task = self._tasks.get(ensemble_id)
        if task is not None:
            # asyncio.wait never cancels the task: the caller leaving must not affect it.
            await asyncio.wait({task}, timeout=self._cancel_wait)
        return self.get(ensemble_id)

    def watch(self, ensemble_id: str, after: int = 0) -> AsyncIterator[EnsembleEvent]:
        """Events with a sequence greater than ``after``, ending at a terminal state.

        Raises :class:`EnsembleNotFound` at once. Closing the iterator never affects the
        ensemble.
        """
        self.get(ensemble_id)
        return self._watch(ensemble_id, after)

    def result_files(self, ensemble_id: str) -> dict[str, Path]:
        """The summarised files (``trajectories`` … ``bands``, ``summary``) by part.

        Raises :class:`EnsembleNotFound` or :class:`~service.runs.NoResults`.
        """
        run = self.get(ensemble_id)
        if not run.has_results:
            reason = (
                "was cancelled before any cell (with its control) finished"
                if run.state is RunState.CANCELLED
                else f"is {run.state.value}"
            )
            raise NoResults(f"ensemble {ensemble_id} has no results: it {reason}")
        files = self._records.result_files(ensemble_id)
        if not all(path.is_file() for path in files.values()):
            log.error("result files of ensemble %s are missing", ensemble_id)
            raise NoResults(f"ensemble {ensemble_id} has no results: its files are missing")
        return files

    def list(
        self, page_size: int, page_token: str, state: RunState | None
    ) -> tuple[builtins.list[EnsembleRun], str]:
        """A page of ensembles, newest first (paging as :meth:`RunLifecycle.list`)."""
        if page_size < 0:
            raise InvalidArgument("page_size", f"must be >= 0, got {page_size}")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        before = decode_page_token(page_token, state)
        rows = self._records.page(size + 1, before, state)
        found = [self._active.get(run.ensemble_id, run) for _, run in rows[:size]]
        token = encode_page_token(rows[size - 1][0], state) if len(rows) > size else ""
        return found, token

    # -- the life of one ensemble --------------------------------------------------------

    async def _execute(self, ensemble_id: str) -> None:
        try:
            if ensemble_id in self._cancelling:
                await self._conclude(ensemble_id, cancelled=True)
                return
            if self._draining:
                self._release(ensemble_id)
                return
            run = self._move(ensemble_id, RunState.RUNNING)
            cells = run.ensemble.points()
            pending = [i for i, c in enumerate(run.cells) if c.state is not RunState.SUCCEEDED]
            reporter = asyncio.create_task(self._report_progress(ensemble_id))
            try:
                await self._simulate(ensemble_id, cells, pending)
            finally:
                reporter.cancel()
            if ensemble_id in self._interrupting:
                self._requeue(ensemble_id)
            else:
                await self._conclude(ensemble_id, cancelled=ensemble_id in self._cancelling)
        except ExecutorFailure as error:
            self._finish(ensemble_id, RunState.FAILED, error=str(error))
        except Exception:
            log.exception("ensemble %s failed", ensemble_id)
            self._finish(ensemble_id, RunState.FAILED, error="internal error in the service")
        finally:
            self._jobs.pop(ensemble_id, None)
            self._tasks.pop(ensemble_id, None)
            self._cancelling.discard(ensemble_id)
            self._interrupting.discard(ensemble_id)
            self._pump()

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
        job = self._executor.submit(cell.scenario)
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

    async def _conclude_cancelled(self, ensemble_id: str) -> None:
        """Conclude an ensemble cancelled while waiting (it may have cells from before)."""
        try:
            await self._conclude(ensemble_id, cancelled=True)
        except Exception:
            log.exception("ensemble %s failed", ensemble_id)
            self._finish(ensemble_id, RunState.FAILED, error="internal error in the service")
        finally:
            self._tasks.pop(ensemble_id, None)
            self._cancelling.discard(ensemble_id)
            self._pump()

    async def _conclude(self, ensemble_id: str, *, cancelled: bool) -> None:
        run = self._active[ensemble_id]
        if cancelled:
            cells = tuple(c if c.state is RunState.SUCCEEDED else _cancelled(c) for c in run.cells)
            self._active[ensemble_id] = run = replace(run, cells=cells)
        done = [i for i, c in enumerate(run.cells) if c.state is RunState.SUCCEEDED]
        usable = _usable(run.ensemble, done)
        if not usable:
            self._finish(ensemble_id, RunState.CANCELLED)
            return
        self._move(ensemble_id, RunState.PERSISTING)
        await asyncio.to_thread(self._persist, ensemble_id, run.ensemble, usable, cancelled)
        final = RunState.CANCELLED if cancelled else RunState.SUCCEEDED
        self._finish(ensemble_id, final, partial=cancelled)

    def _persist(
        self, ensemble_id: str, ensemble: Ensemble, usable: Sequence[int], partial: bool
    ) -> None:
        # In a thread: reading cells, the statistics and Parquet must not stall the loop.
        cells = ensemble.points()
        chosen = [cells[i] for i in usable]
        found = [self._records.read_cell(ensemble_id, i) for i in usable]
        finished = ensemble_tables.summarise_cells(ensemble, chosen, found)
        built = {
            "trajectories": ensemble_tables.trajectory_table(finished),
            "replicates": ensemble_tables.replicate_table(finished),
            "outcomes": ensemble_tables.outcome_table(ensemble, finished),
            "bands": ensemble_tables.band_table(finished),
        }
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

    def _stopping(self, ensemble_id: str) -> bool:
        return ensemble_id in self._cancelling or ensemble_id in self._interrupting

    # -- state changes -------------------------------------------------------------------

    def _set_cell(self, ensemble_id: str, index: int, **changes: object) -> None:
        self._active[ensemble_id] = self._active[ensemble_id].with_cell(index, **changes)

    def _admit(self, run: EnsembleRun, sequence: int) -> None:
        self._active[run.ensemble_id] = run
        self._journals[run.ensemble_id] = Journal(run, sequence, EnsembleEvent)
        self._waiting.append(run.ensemble_id)

    def _pump(self) -> None:
        """Start waiting ensembles while there is room."""
        if not self._started or self._draining:
            return
        while self._waiting and len(self._tasks) < self._max_concurrent:
            ensemble_id = self._waiting.popleft()
            self._tasks[ensemble_id] = asyncio.create_task(
                self._execute(ensemble_id), name=ensemble_id
            )

    def _move(self, ensemble_id: str, state: RunState, **changes: object) -> EnsembleRun:
        """Commit a state change, then tell the watchers."""
        run = self._active[ensemble_id].moved(state, **changes)
        journal = self._journals[ensemble_id]
        self._records.update(run, journal.sequence + 1)
        self._active[ensemble_id] = run
        journal.record(run, progress=False)
        return run

    def _finish(self, ensemble_id: str, state: RunState, **changes: object) -> None:
        self._move(ensemble_id, state, **changes)
        self._release(ensemble_id)

    def _requeue(self, ensemble_id: str) -> None:
        """Record an interrupted ensemble as QUEUED (the next start resumes it)."""
        run = self._active[ensemble_id]
        cells = tuple(c if c.state is RunState.SUCCEEDED else _queued(c) for c in run.cells)
        self._move(ensemble_id, RunState.QUEUED, cells=cells)
        self._release(ensemble_id)

    def _release(self, ensemble_id: str) -> None:
        """Forget an active ensemble in memory (the store keeps it); ends its watchers."""
        self._active.pop(ensemble_id, None)
        journal = self._journals.pop(ensemble_id, None)
        if journal is not None:
            journal.close()

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

    # -- watching ------------------------------------------------------------------------

    async def _watch(self, ensemble_id: str, after: int) -> AsyncIterator[EnsembleEvent]:
        while True:
            journal = self._journals.get(ensemble_id)
            if journal is None:
                run = self._records.get(ensemble_id)
                sequence = self._records.sequence(ensemble_id)
                if run is not None and sequence > after:
                    yield EnsembleEvent(sequence, run)
                return
            for event in journal.after(after):
                yield event
                after = event.sequence
                if event.ensemble.state.terminal:
                    return
            if journal.closed:
                return
            await journal.wait(after)


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
