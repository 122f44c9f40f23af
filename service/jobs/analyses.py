"""The analysis lifecycle: calibrations and sensitivity analyses as durable jobs.

It follows the run and ensemble lifecycles' rules (:class:`~escapesim.service.jobs.lifecycle.
Lifecycle`: durable first, bounded, watchable, drainable) and shares their executor. What
is particular to analyses:

* **The driver computes in a thread.** pyABC's ABC-SMC loop (and SALib's analysis) is
  blocking code: it runs in a thread of the server, its simulations on the executor's
  workers (:mod:`escapesim.service.jobs.analysis_work`), never on the event loop.
* **No partial results.** A cancelled analysis ends CANCELLED with none: a stopped ABC-SMC
  has no posterior to speak of, a design missing sets no indices.
* **Recovery re-runs.** An analysis a restart (or a SIGKILL) left unfinished is queued
  again and computed from its start, visibly (its ``updated_at`` and event sequence move
  on): the same seed gives the same results, so the re-run ends where an uninterrupted
  one would have. One whose spec no longer validates is failed, saying why.
"""

from __future__ import annotations

import asyncio
import builtins
import concurrent.futures
import logging
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from escapesim.engine import ScenarioError
from escapesim.service.fitting import sensitivity_outputs
from escapesim.service.fitting.sensitivity_analysis import SensitivityResult, analyse
from escapesim.service.fitting.sensitivity_spec import SensitivitySpec
from escapesim.service.jobs import analysis_work as work
from escapesim.service.jobs.lifecycle import Lifecycle
from escapesim.service.jobs.refusals import NoResults
from escapesim.service.store.analyses import AnalysisStore
from escapesim.service.store.analysis_record import (
    CALIBRATION,
    AnalysisEvent,
    AnalysisRequest,
    AnalysisRun,
)
from escapesim.service.store.run_record import RunState
from escapesim.service.workers.batches import Batch
from escapesim.service.workers.local import Executor, ExecutorFailure, Job
from escapesim.service.workers.pools import DaskPool, Halted, StoppablePool

__all__ = ["AnalysisFinished", "AnalysisLifecycle", "AnalysisNotFound"]

log = logging.getLogger(__name__)

#: Parameter sets of a sensitivity analysis in flight at once (executor jobs), at least;
#: two per worker slot where the executor has more (a set's batches then keep every
#: worker busy while the next set starts).
SETS_AT_ONCE = 4


class AnalysisNotFound(LookupError):  # noqa: N818 - named like runs.RunNotFound
    """No analysis has this id."""


class AnalysisFinished(Exception):  # noqa: N818 - named like runs.RunFinished
    """The analysis is already in a terminal state (it cannot be cancelled)."""


class _Halt:
    """The lifecycle's handle on a driver thread: ``cancel`` (a cancel or a drain) sets
    the event its pool checks. It has the shape of an executor job so the lifecycle
    stops it like any other."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.simulated_day = 0.0

    def cancel(self) -> None:
        self.event.set()

    async def batches(self) -> AsyncIterator[Batch]:  # never iterated: no batches of its own
        return
        yield


class AnalysisLifecycle(Lifecycle[AnalysisRun, AnalysisEvent, AnalysisStore]):
    """Analyses of one server, used from one event loop (see the module doc)."""

    noun = "analysis"
    specification = "analysis"
    not_found = AnalysisNotFound
    already_finished = AnalysisFinished

    def __init__(
        self, records: AnalysisStore, executor: Executor, *, max_concurrent: int,
        max_queued: int, progress_interval: float = 0.25, cancel_wait: float = 10.0,
    ) -> None:  # fmt: skip
        super().__init__(
            records, executor, max_concurrent=max_concurrent, max_queued=max_queued,
            progress_interval=progress_interval, cancel_wait=cancel_wait,
        )  # fmt: skip

    async def create(
        self, request: AnalysisRequest, request_id: str | None, total: int
    ) -> AnalysisRun:
        """Queue ``request``, validated by the caller off the event loop (``total``: what
        :func:`analysis_work.validate` returned); the same ``request_id`` and request
        return the same analysis."""
        return await self._create(
            lambda analysis_id: AnalysisRun.queued(analysis_id, request_id or None, request,
                                                   total),
            request_id, request.to_json(), lambda run: run.request.to_json(),
        )  # fmt: skip

    def result_files(self, analysis_id: str) -> dict[str, Path]:
        """The result files by part; raises :class:`AnalysisNotFound` or ``NoResults``."""
        run = self._with_results(analysis_id, "before it finished")
        files = self._records.result_files(analysis_id, run.kind)
        if not all(path.is_file() for path in files.values()):
            log.error("result files of analysis %s are missing", analysis_id)
            raise NoResults(f"analysis {analysis_id} has no results: its files are missing")
        return files

    def _id(self, record: AnalysisRun) -> str:
        return record.analysis_id

    def _event(self, sequence: int, record: AnalysisRun) -> AnalysisEvent:
        return AnalysisEvent(sequence, record)

    def _record_of(self, event: AnalysisEvent) -> AnalysisRun:
        return event.analysis

    # -- the life of one analysis --------------------------------------------------------

    async def _execute_job(self, analysis_id: str) -> None:
        run = await self._move(analysis_id, RunState.RUNNING, generations_done=0,
                               evaluations_done=0)  # fmt: skip
        halt = _Halt()
        self._jobs[analysis_id] = {0: halt}  # type: ignore[dict-item]
        folder = await asyncio.to_thread(self._records.work_folder, analysis_id)
        reporter = asyncio.create_task(self._report_progress(analysis_id))
        try:
            if run.kind == CALIBRATION:
                found = await self._calibrate(analysis_id, run.request, folder, halt)
            else:
                found = await self._sensitivity(analysis_id, run.request, folder, halt)
        except Halted:
            if analysis_id in self._interrupting:
                await self._move(analysis_id, RunState.QUEUED)
                self._release(analysis_id)  # the next start computes it again
            else:
                await self._finish(analysis_id, RunState.CANCELLED)
            return
        finally:
            reporter.cancel()
        await self._move(analysis_id, RunState.PERSISTING)
        await asyncio.to_thread(self._records.keep_results, analysis_id, run.kind, found)
        await self._finish(analysis_id, RunState.SUCCEEDED)

    async def _calibrate(
        self, analysis_id: str, request: AnalysisRequest, folder: Path, halt: _Halt
    ) -> dict[str, Path]:
        loop = asyncio.get_running_loop()
        spec = work.calibration_spec(request)

        def on_generation(generation: int, evaluations: int, accepted: int) -> None:
            del accepted
            loop.call_soon_threadsafe(self._generation_done, analysis_id, generation,
                                      evaluations)  # fmt: skip

        pool, workers = self._pool(loop)
        try:
            return await asyncio.to_thread(
                work.calibrate_into, spec, folder, StoppablePool(pool, halt.event), workers,
                on_generation,
            )  # fmt: skip
        except Halted:
            raise
        except BrokenProcessPool:
            # A killed worker breaks the whole pool: replace it now, or the next job on
            # this server would find it broken too. The calibration fails; it is seeded,
            # so creating it again gives the same posterior.
            renew = getattr(self._executor, "renew", None)
            if renew is not None:
                renew(pool)
            log.error("calibration %s failed: a worker process died", analysis_id)
            raise ExecutorFailure("a worker process died (killed or out of memory)") from None
        except Exception as error:  # pyABC's own failures: shown as the job's error
            log.exception("calibration %s failed", analysis_id)
            raise work.failure(error) from error

    def _pool(self, loop: asyncio.AbstractEventLoop) -> tuple[concurrent.futures.Executor, int]:
        """The executor's pool and its worker count. At least 2 workers: with 1 the
        sampler would simulate in this (the server's) process; the posterior does not
        depend on the count."""
        executor = self._executor
        workers = max(int(getattr(executor, "workers", 1)), 2)
        pool = getattr(executor, "pool", None)
        if pool is not None:
            found: concurrent.futures.Executor = pool()
            return found, workers
        return DaskPool(getattr(executor, "client"), loop), workers  # noqa: B009

    def _generation_done(self, analysis_id: str, generation: int, evaluations: int) -> None:
        run = self._active.get(analysis_id)
        if run is not None and generation >= 0:
            self._active[analysis_id] = run.progressed(
                generations_done=generation + 1,
                evaluations_done=run.evaluations_done + evaluations,
            )

    async def _sensitivity(
        self, analysis_id: str, request: AnalysisRequest, folder: Path, halt: _Halt
    ) -> dict[str, Path]:
        loop = asyncio.get_running_loop()
        spec = work.sensitivity_spec(request)
        started = time.perf_counter()

        def evaluate(sets: builtins.list[dict[str, float]]) -> list[list[float]]:
            # SALib's side runs in a thread; the sets run as executor jobs on the loop.
            running = self._evaluate_sets(analysis_id, spec, sets, halt)
            return asyncio.run_coroutine_threadsafe(running, loop).result()

        result: SensitivityResult = await asyncio.to_thread(analyse, spec, evaluate)  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        return await asyncio.to_thread(sensitivity_outputs.write, result, spec, folder, seconds)

    async def _evaluate_sets(
        self, analysis_id: str, spec: SensitivitySpec, sets: builtins.list[dict[str, float]],
        halt: _Halt,
    ) -> list[list[float]]:  # fmt: skip
        found: list[list[float]] = [[] for _ in sets]
        pending = iter(range(len(sets)))
        jobs = self._jobs[analysis_id]

        async def worker() -> None:
            for index in pending:  # one shared iterator: each set is taken once
                if halt.event.is_set():
                    raise Halted("stopped on request")

                def register(job: Job | None, slot: int = index + 1) -> None:
                    if job is None:
                        jobs.pop(slot, None)
                    else:
                        jobs[slot] = job

                found[index] = await work.evaluate_set(self._executor, spec, sets[index],
                                                       register)  # fmt: skip
                run = self._active[analysis_id]
                done = run.evaluations_done + 1
                self._active[analysis_id] = run.progressed(evaluations_done=done)

        slots = getattr(self._executor, "slots", None)
        workers = await slots() if slots is not None else getattr(self._executor, "workers", 1)
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(max(SETS_AT_ONCE, 2 * int(workers)), len(sets))):
                    group.create_task(worker())
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return found

    async def _report_progress(self, analysis_id: str) -> None:
        # Progress events are coalesced: at most one per interval, only when changed.
        reported = self._active[analysis_id]
        while True:
            await asyncio.sleep(self._progress_interval)
            run = self._active.get(analysis_id)
            if run is None:
                return
            if run != reported:
                self._journals[analysis_id].record(run, progress=True)
                reported = run

    async def _conclude_unstarted(self, analysis_id: str) -> None:
        await self._finish(analysis_id, RunState.CANCELLED)

    def _recover(self, analysis_id: str, raw: str) -> None:
        try:
            work.validate(AnalysisRequest.from_json(raw))
        except (ScenarioError, ValueError, KeyError) as error:
            reason = f"cannot run again after a restart: {error}"
            log.warning("analysis %s %s", analysis_id, reason)
            self._records.force_failed(analysis_id, reason)
            return
        self._records.remove_files(analysis_id)  # computed again from the start
        stored = self._records.get(analysis_id)
        assert stored is not None, "an unfinished analysis was just listed"
        sequence = self._records.sequence(analysis_id) + 1
        run = stored.moved(RunState.QUEUED, error=None, generations_done=0, evaluations_done=0)
        self._records.update(run, sequence)
        self._admit(run, sequence)
        log.info("analysis %s queued again after a restart (computed from its start)",
                 analysis_id)  # fmt: skip
