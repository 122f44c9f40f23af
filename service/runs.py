"""The run lifecycle: queue, run, persist, cancel, watch, recover and drain runs.

One :class:`RunLifecycle` per server, used from one event loop. Its rules:

* **Durable first.** A run is in the store (QUEUED) before :meth:`RunLifecycle.create`
  returns; every state change is committed before watchers hear of it; SUCCEEDED is
  committed only after the result files are durably in place. Progress stays in memory
  (it is cheap to lose: an unfinished run is simulated again from scratch).
* **Bounded.** At most ``max_concurrent`` runs simulate at once and at most
  ``max_queued`` wait; one more gets :class:`QueueFull`.
* **Recovery.** :meth:`RunLifecycle.start` re-queues every run that was QUEUED, RUNNING
  or PERSISTING when the previous server stopped (same scenario and seed, hence the same
  result), or marks it FAILED with the reason if its scenario no longer builds.
* **Drain.** :meth:`RunLifecycle.drain` refuses new runs, gives running ones a grace
  period, then records the rest as QUEUED again so the next start re-runs them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import builtins
import json
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path

from engine import FieldViolation, Scenario, ScenarioError
from service.batches import Batch, combine
from service.executors import Executor, ExecutorFailure, Job
from service.journal import Journal
from service.run import Run, RunEvent, RunState
from service.store import Store, scenario_json

__all__ = [
    "InvalidArgument",
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

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_REQUEST_ID = 128
#: How long :meth:`RunLifecycle.drain` waits for interrupted batches to stop.
_STOP_WAIT_SECONDS = 10.0


class QueueFull(Exception):  # noqa: N818 - the agreed interface names
    """Every worker slot is busy and the queue is at its limit."""


class RunNotFound(LookupError):  # noqa: N818 - the agreed interface names
    """No run has this id."""


class RunFinished(Exception):  # noqa: N818 - the agreed interface names
    """The run is already in a terminal state (it cannot be cancelled)."""


class ServiceDraining(Exception):  # noqa: N818 - the agreed interface names
    """The service is shutting down and accepts no new runs."""


class NoResults(Exception):  # noqa: N818 - the agreed interface names
    """The run has no result files (not SUCCEEDED, nor CANCELLED with partial results)."""


class InvalidArgument(ValueError):  # noqa: N818 - the agreed interface names
    """A request field is wrong; like :class:`engine.ScenarioError`, it lists violations."""

    def __init__(self, field: str, message: str) -> None:
        self.violations: tuple[FieldViolation, ...] = (FieldViolation(field, message),)
        super().__init__(f"{field}: {message}")


class RequestConflict(InvalidArgument):
    """A ``request_id`` already created a run with a different scenario."""


class RunLifecycle:
    """Runs of one server: the store, an executor and the bounds (see the module doc)."""

    def __init__(
        self,
        store: Store,
        executor: Executor,
        *,
        max_concurrent: int,
        max_queued: int,
        progress_interval: float = 0.25,
        cancel_wait: float = 10.0,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be >= 1, got {max_concurrent}")
        if max_queued < 0:
            raise ValueError(f"max_queued must be >= 0, got {max_queued}")
        self._store = store
        self._executor = executor
        self._max_concurrent = max_concurrent
        self._max_queued = max_queued
        self._progress_interval = progress_interval
        self._cancel_wait = cancel_wait
        self._active: dict[str, Run] = {}  # every run not terminal in this process
        self._journals: dict[str, Journal[RunEvent]] = {}
        self._waiting: deque[str] = deque()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._jobs: dict[str, Job] = {}
        self._cancelling: set[str] = set()
        self._interrupting: set[str] = set()
        self._started = False
        self._draining = False

    # -- start and stop ------------------------------------------------------------------

    async def start(self) -> None:
        """Start the executor, clean up after a crash and re-queue unfinished runs."""
        if self._started:
            raise RuntimeError("the lifecycle is already started")
        await self._executor.start()
        for path in self._store.clean_temporary():
            log.info("removed a temporary file left by a crash: %s", path.name)
        for run_id, raw in self._store.unfinished():
            self._recover(run_id, raw)
        self._started = True
        self._pump()

    async def drain(self, grace_seconds: float) -> None:
        """Refuse new runs, let running ones finish for ``grace_seconds``, then stop.

        Runs still simulating after the grace period, and runs still waiting, are left
        QUEUED in the store so the next :meth:`start` runs them again; runs already
        persisting are allowed to finish. Watchers of unfinished runs are ended.
        """
        self._draining = True
        while self._waiting:
            self._release(self._waiting.popleft())
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks, timeout=max(grace_seconds, 0.0))
        for run_id, job in list(self._jobs.items()):
            if self._active[run_id].state is RunState.RUNNING:
                self._interrupting.add(run_id)
                job.cancel()
        if tasks:
            _, stuck = await asyncio.wait(tasks, timeout=_STOP_WAIT_SECONDS)
            for task in stuck:  # left RUNNING in the store: the next start re-runs it
                task.cancel()
        await self._executor.close()
        for run_id in list(self._active):
            self._release(run_id)

    # -- the API -------------------------------------------------------------------------

    async def create(self, scenario: Scenario, request_id: str | None) -> Run:
        """Queue ``scenario``; the same ``request_id`` and scenario return the same run.

        Raises :class:`RequestConflict` if ``request_id`` was used for another scenario,
        :class:`ServiceDraining` while shutting down, :class:`QueueFull` at the limit.
        """
        self._require_started()
        request_id = checked_request_id(request_id)
        if request_id is not None:
            existing = self._store.find_request(request_id)
            if existing is not None:
                if scenario_json(existing.scenario) != scenario_json(scenario):
                    raise RequestConflict(
                        "request_id",
                        f"was already used to create run {existing.run_id} "
                        "with a different scenario",
                    )
                return self.get(existing.run_id)
        if self._draining:
            raise ServiceDraining("the service is shutting down")
        if len(self._waiting) >= self._max_queued and len(self._tasks) >= self._max_concurrent:
            raise QueueFull(f"{len(self._waiting)} runs are already waiting")
        run = Run.queued(uuid.uuid4().hex, request_id, scenario)
        self._store.insert(run, sequence=1)
        self._admit(run, sequence=1)
        self._pump()
        return run

    def get(self, run_id: str) -> Run:
        """The run now (with live progress if it is active); raises :class:`RunNotFound`."""
        run = self._active.get(run_id) or self._store.get(run_id)
        if run is None:
            raise RunNotFound(run_id)
        return run

    async def cancel(self, run_id: str) -> Run:
        """Cancel a run and return it once it has stopped (or after ``cancel_wait``).

        A waiting run ends CANCELLED at once. A simulating run stops at its next sample
        and ends CANCELLED, its finished replicates stored and marked partial. A run
        already persisting has finished simulating and ends SUCCEEDED. Raises
        :class:`RunFinished` for a run already in a terminal state.
        """
        run = self.get(run_id)
        if run.state.terminal:
            raise RunFinished(f"run {run_id} is already {run.state.value}")
        if run_id in self._waiting:
            self._waiting.remove(run_id)
            self._finish(run_id, RunState.CANCELLED)
            return self.get(run_id)
        self._cancelling.add(run_id)
        job = self._jobs.get(run_id)
        if job is not None:
            job.cancel()
        task = self._tasks.get(run_id)
        if task is not None:
            # asyncio.wait never cancels the task: the caller leaving must not affect it.
            await asyncio.wait({task}, timeout=self._cancel_wait)
        return self.get(run_id)

    def watch(self, run_id: str, after: int = 0) -> AsyncIterator[RunEvent]:
        """Events of a run with a sequence greater than ``after``, ending at a terminal state.

        Raises :class:`RunNotFound` at once (not on the first iteration). Closing the
        iterator never affects the run. A run that finished before this process started
        yields just its terminal event (if the watcher has not seen it).
        """
        self.get(run_id)
        return self._watch(run_id, after)

    def result_files(self, run_id: str) -> tuple[Path, Path]:
        """The (trajectories, replicates) Parquet files of a run that has results.

        Raises :class:`RunNotFound` or :class:`NoResults`.
        """
        run = self.get(run_id)
        if not run.has_results:
            reason = "was cancelled before any replicate finished" if (
                run.state is RunState.CANCELLED
            ) else f"is {run.state.value}"
            raise NoResults(f"run {run_id} has no results: it {reason}")
        files = self._store.result_files(run_id)
        if not all(path.is_file() for path in files):
            log.error("result files of %s run %s are missing", run.state.value, run_id)
            raise NoResults(f"run {run_id} has no results: its files are missing")
        return files

    def list(
        self, page_size: int, page_token: str, state: RunState | None
    ) -> tuple[builtins.list[Run], str]:
        """A page of runs, newest first, optionally only those in ``state``.

        ``page_size`` 0 means the default (50); larger than 1000 is capped. The returned
        token ("" on the last page) fetches the next page with the same ``state``; pages
        stay consistent while new runs are created (they appear on page one only).
        Raises :class:`InvalidArgument` for a negative size or a bad token.
        """
        if page_size < 0:
            raise InvalidArgument("page_size", f"must be >= 0, got {page_size}")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        before = decode_page_token(page_token, state)
        rows = self._store.page(size + 1, before, state)
        runs = [self._active.get(run.run_id, run) for _, run in rows[:size]]
        token = encode_page_token(rows[size - 1][0], state) if len(rows) > size else ""
        return runs, token

    # -- the life of one run -------------------------------------------------------------

    async def _execute(self, run_id: str) -> None:
        try:
            if run_id in self._cancelling:
                self._finish(run_id, RunState.CANCELLED)
                return
            if self._draining:
                self._release(run_id)
                return
            run = self._move(run_id, RunState.RUNNING)
            job = self._executor.submit(run.scenario)
            self._jobs[run_id] = job
            batches = await self._simulate(run_id, job)
            if run_id in self._interrupting:
                self._requeue(run_id)
            else:
                await self._conclude(run_id, batches, cancelled=run_id in self._cancelling)
        except ExecutorFailure as error:
            self._finish(run_id, RunState.FAILED, error=str(error))
        except Exception:
            log.exception("run %s failed", run_id)
            self._finish(run_id, RunState.FAILED, error="internal error in the service")
        finally:
            self._jobs.pop(run_id, None)
            self._tasks.pop(run_id, None)
            self._cancelling.discard(run_id)
            self._interrupting.discard(run_id)
            self._pump()

    async def _simulate(self, run_id: str, job: Job) -> builtins.list[Batch]:
        batches: builtins.list[Batch] = []
        reporter = asyncio.create_task(self._report_progress(run_id, job))
        try:
            async for batch in job.batches():
                batches.append(batch)
                done = self._active[run_id].replicates_done + len(batch.replicates)
                self._active[run_id] = _with_progress(self._active[run_id], done=done)
        finally:
            reporter.cancel()
        return batches

    async def _conclude(self, run_id: str, batches: Sequence[Batch], *, cancelled: bool) -> None:
        done = sum(len(b.replicates) for b in batches)
        if cancelled and done == 0:
            self._finish(run_id, RunState.CANCELLED)
            return
        run = self._active[run_id]
        day = run.scenario.horizon_days if not cancelled else run.simulated_day
        self._move(run_id, RunState.PERSISTING, replicates_done=done, simulated_day=day)
        await asyncio.to_thread(self._persist, run_id, run.scenario, batches, cancelled)
        final = RunState.CANCELLED if cancelled else RunState.SUCCEEDED
        self._finish(run_id, final, partial=cancelled)

    def _persist(
        self, run_id: str, scenario: Scenario, batches: Sequence[Batch], partial: bool
    ) -> None:
        # In a thread: concatenating and writing Parquet must not stall the event loop.
        trajectories, replicates = combine(batches, scenario, partial=partial)
        self._store.write_results(run_id, trajectories, replicates)

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

    def _admit(self, run: Run, sequence: int) -> None:
        self._active[run.run_id] = run
        self._journals[run.run_id] = Journal(run, sequence)
        self._waiting.append(run.run_id)

    def _pump(self) -> None:
        """Start waiting runs while there is room."""
        if not self._started or self._draining:
            return
        while self._waiting and len(self._tasks) < self._max_concurrent:
            run_id = self._waiting.popleft()
            self._tasks[run_id] = asyncio.create_task(self._execute(run_id), name=run_id)

    def _move(self, run_id: str, state: RunState, **changes: object) -> Run:
        """Commit a state change, then tell the watchers."""
        run = self._active[run_id].moved(state, **changes)
        journal = self._journals[run_id]
        self._store.update(run, journal.sequence + 1)
        self._active[run_id] = run
        journal.record(run, progress=False)
        return run

    def _finish(self, run_id: str, state: RunState, **changes: object) -> None:
        self._move(run_id, state, **changes)
        self._release(run_id)

    def _requeue(self, run_id: str) -> None:
        """Record an interrupted run as QUEUED (it runs again from scratch on next start)."""
        self._move(run_id, RunState.QUEUED, replicates_done=0, simulated_day=0.0)
        self._release(run_id)

    def _release(self, run_id: str) -> None:
        """Forget an active run in memory (the store keeps it); ends its watchers."""
        self._active.pop(run_id, None)
        journal = self._journals.pop(run_id, None)
        if journal is not None:
            journal.close()

    def _recover(self, run_id: str, raw: str) -> None:
        try:
            Scenario.from_dict(json.loads(raw))
        except (ScenarioError, ValueError) as error:
            reason = f"cannot run again after a restart: {error}"
            log.warning("run %s %s", run_id, reason)
            self._store.force_state(run_id, RunState.FAILED, reason)
            return
        self._store.remove_results(run_id)  # from scratch: nothing half-done survives
        stored = self._store.get(run_id)
        assert stored is not None, "an unfinished run was just listed"
        sequence = self._store.sequence(run_id) + 1
        run = stored.moved(
            RunState.QUEUED, replicates_done=0, simulated_day=0.0, error=None, partial=False
        )
        self._store.update(run, sequence)
        self._admit(run, sequence)
        log.info("run %s queued again after a restart", run_id)

    # -- watching ------------------------------------------------------------------------

    async def _watch(self, run_id: str, after: int) -> AsyncIterator[RunEvent]:
        while True:
            journal = self._journals.get(run_id)
            if journal is None:
                # Not active here: finished, or left QUEUED by a drain. Its last event
                # is in the store.
                run, sequence = self._store.get(run_id), self._store.sequence(run_id)
                if run is not None and sequence > after:
                    yield RunEvent(sequence, run)
                return
            for event in journal.after(after):
                yield event
                after = event.sequence
                if event.run.state.terminal:
                    return
            if journal.closed:
                return
            await journal.wait(after)

    def _require_started(self) -> None:
        if not self._started:
            raise RuntimeError("call start() before creating runs")


def _with_progress(run: Run, *, done: int | None = None, day: float | None = None) -> Run:
    """A copy with new progress; not a state change, so ``updated_at`` is unchanged."""
    return replace(
        run,
        replicates_done=run.replicates_done if done is None else done,
        simulated_day=run.simulated_day if day is None else day,
    )


def checked_request_id(request_id: str | None) -> str | None:
    """``request_id`` or ``None`` if empty; raises :class:`InvalidArgument` if too long."""
    # proto3 has no "unset" string: an empty request_id means none was given.
    if not request_id:
        return None
    if len(request_id) > MAX_REQUEST_ID:
        raise InvalidArgument("request_id", f"must be at most {MAX_REQUEST_ID} characters")
    return request_id


def encode_page_token(position: int, state: RunState | None) -> str:
    """A page token: list again from before ``position`` with the same state filter."""
    payload = json.dumps({"before": position, "state": state.value if state else ""})
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_page_token(token: str, state: RunState | None) -> int | None:
    """The position a page token lists from (``None``: the first page); raises
    :class:`InvalidArgument` for a bad token or one issued for another filter."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        before, filtered = payload["before"], payload["state"]
        if not isinstance(before, int) or not isinstance(filtered, str):
            raise TypeError
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise InvalidArgument("page_token", "is not a token from a previous call") from None
    if filtered != (state.value if state else ""):
        raise InvalidArgument("page_token", "was issued for a different state filter")
    return before
