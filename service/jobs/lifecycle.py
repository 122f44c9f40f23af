"""What the run and ensemble lifecycles share: admission, states, watching, paging, drain.

A *job* here is a run (:mod:`service.jobs.runs`) or an ensemble (:mod:`service.jobs.ensembles`):
a record with an id, a :class:`~service.store.run_record.RunState` and an event journal, kept in a
store. :class:`Lifecycle` holds the rules both follow, one event loop per server:

* **Durable first.** A job is in the store (QUEUED) before ``create`` returns; every
  state change is committed before watchers hear of it (:meth:`Lifecycle._move`).
  Commits run on one writer thread per lifecycle (in order, grouped under load:
  :mod:`~escapesim.service.jobs.committer`), never on the event loop: an fsync must not
  hold up every other call.
* **Bounded.** At most ``max_concurrent`` jobs execute at once and at most ``max_queued``
  wait; one more gets :class:`QueueFull`.
* **Watchable.** Each active job has a :class:`~service.jobs.journal.Journal`; a watcher of a
  job that is no longer active gets its last stored event.
* **Drainable.** :meth:`Lifecycle.drain` refuses new jobs, gives executing ones a grace
  period, then interrupts them; an interrupted job is left QUEUED for the next start.

A subclass says what executing a job means (:meth:`Lifecycle._execute_job`), how a job
cancelled before it started concludes, and how an unfinished job is recovered.
"""

from __future__ import annotations

import abc
import asyncio
import builtins
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar, Generic, TypeVar

from escapesim.service.jobs.committer import Committer
from escapesim.service.jobs.journal import Journal
from escapesim.service.jobs.paging import decode_page_token, encode_page_token
from escapesim.service.jobs.records import Record, Records
from escapesim.service.jobs.refusals import (
    InvalidArgument,
    NoResults,
    QueueFull,
    RequestConflict,
    ServiceDraining,
    checked_request_id,
)
from escapesim.service.store.run_record import RunState
from escapesim.service.workers.local import Executor, ExecutorFailure, Job

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
#: How long :meth:`Lifecycle.drain` waits for interrupted jobs to stop.
STOP_WAIT_SECONDS = 10.0


R = TypeVar("R", bound=Record)
E = TypeVar("E")
S = TypeVar("S", bound="Records[Any]")


class Lifecycle(abc.ABC, Generic[R, E, S]):
    """The jobs of one kind on one server (see the module doc).

    ``R`` is the job's snapshot type, ``E`` its watch event, ``S`` its store.
    """

    #: The job's name in messages ("run", "ensemble"), and what a request asks for.
    noun: ClassVar[str]
    specification: ClassVar[str]
    #: Raised for an unknown id, and for cancelling a job that already ended.
    not_found: ClassVar[type[LookupError]]
    already_finished: ClassVar[type[Exception]]

    def __init__(
        self,
        records: S,
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
        self._records = records
        self._executor = executor
        self._max_concurrent = max_concurrent
        self._max_queued = max_queued
        self._progress_interval = progress_interval
        self._cancel_wait = cancel_wait
        self._active: dict[str, R] = {}  # every job not terminal in this process
        self._journals: dict[str, Journal[Any]] = {}
        self._waiting: deque[str] = deque()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._jobs: dict[str, dict[int, Job]] = {}  # executor jobs in flight, per job
        self._cancelling: set[str] = set()
        self._interrupting: set[str] = set()
        self._started = False
        self._draining = False
        # One thread: commits of one kind of job keep their order.
        self._writer = Committer(f"escapesim-{self.noun}-store", records.transaction)
        self._requests = asyncio.Lock()  # held while a job with a request id is admitted
        self._admitting = 0  # jobs being inserted, counted against the queue

    # -- what a kind of job defines ------------------------------------------------------

    @abc.abstractmethod
    def _id(self, record: R) -> str:
        """The job's id."""

    @abc.abstractmethod
    def _event(self, sequence: int, record: R) -> E:
        """A watch event carrying ``record``."""

    @abc.abstractmethod
    def _record_of(self, event: E) -> R:
        """The snapshot an event carries."""

    @abc.abstractmethod
    async def _execute_job(self, job_id: str) -> None:
        """Take a RUNNING-bound job to its end (or leave it for :meth:`_requeue`)."""

    @abc.abstractmethod
    async def _conclude_unstarted(self, job_id: str) -> None:
        """End a job cancelled before it started executing."""

    @abc.abstractmethod
    def _recover(self, job_id: str, raw: str) -> None:
        """Queue again (or fail) a job a previous server left unfinished."""

    # -- start and stop ------------------------------------------------------------------

    async def start(self) -> None:
        """Clean up after a crash and re-queue unfinished jobs."""
        if self._started:
            raise RuntimeError(f"the {self.noun} lifecycle is already started")
        for path in self._records.clean_temporary():
            log.info("removed a temporary file left by a crash: %s", path.name)
        for job_id, raw in self._records.unfinished():
            self._recover(job_id, raw)
        self._started = True
        self._pump()

    async def drain(self, grace_seconds: float) -> None:
        """Refuse new jobs, let executing ones run for ``grace_seconds``, then stop them.

        Jobs still executing after the grace period, and jobs still waiting, are left
        QUEUED in the store for the next start; jobs already persisting may finish.
        Watchers of unfinished jobs are ended.
        """
        self._draining = True
        while self._waiting:
            self._release(self._waiting.popleft())
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks, timeout=max(grace_seconds, 0.0))
        for job_id, jobs in list(self._jobs.items()):
            if self._active[job_id].state is RunState.RUNNING:
                self._interrupting.add(job_id)
                for job in list(jobs.values()):
                    job.cancel()
        if tasks:
            _, stuck = await asyncio.wait(tasks, timeout=STOP_WAIT_SECONDS)
            for task in stuck:  # left RUNNING in the store: the next start re-runs it
                task.cancel()
        for job_id in list(self._active):
            self._release(job_id)
        self._writer.close()

    # -- the API -------------------------------------------------------------------------

    def get(self, job_id: str) -> R:
        """The job now (with live progress if it is active); raises :attr:`not_found`."""
        record = self._active.get(job_id) or self._records.get(job_id)
        if record is None:
            raise self.not_found(job_id)
        return record

    async def cancel(self, job_id: str) -> R:
        """Cancel a job and return it once it has stopped (or after ``cancel_wait``).

        Raises :attr:`already_finished` for a job already in a terminal state.
        """
        record = self.get(job_id)
        if record.state.terminal:
            raise self.already_finished(f"{self.noun} {job_id} is already {record.state.value}")
        self._cancelling.add(job_id)
        if job_id in self._waiting:
            self._waiting.remove(job_id)
            self._tasks[job_id] = asyncio.create_task(self._execute(job_id), name=job_id)
        for job in list(self._jobs.get(job_id, {}).values()):
            job.cancel()
        task = self._tasks.get(job_id)
        if task is not None:
            # asyncio.wait never cancels the task: the caller leaving must not affect it.
            await asyncio.wait({task}, timeout=self._cancel_wait)
        return self.get(job_id)

    def watch(self, job_id: str, after: int = 0) -> AsyncIterator[E]:
        """Events with a sequence greater than ``after``, ending at a terminal state.

        Raises :attr:`not_found` at once (not on the first iteration). Closing the
        iterator never affects the job. A job that finished before this process started
        yields just its terminal event (if the watcher has not seen it).
        """
        self.get(job_id)
        return self._watch(job_id, after)

    def list(
        self, page_size: int, page_token: str, state: RunState | None
    ) -> tuple[builtins.list[R], str]:
        """A page of jobs, newest first, optionally only those in ``state``.

        ``page_size`` 0 means the default (50); larger than 1000 is capped. The returned
        token ("" on the last page) fetches the next page with the same ``state``; pages
        stay consistent while new jobs are created (they appear on page one only).
        Raises :class:`InvalidArgument` for a negative size or a bad token.
        """
        if page_size < 0:
            raise InvalidArgument("page_size", f"must be >= 0, got {page_size}")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        key = self._records.page_key
        before = decode_page_token(page_token, state, key, self.noun)
        rows = self._records.page(size + 1, before, state)
        found = [self._active.get(self._id(record), record) for _, record in rows[:size]]
        last = rows[size - 1][0] if len(rows) > size else None
        token = "" if last is None else encode_page_token(last, state, key, self.noun)
        return found, token

    # -- what the metrics read ----------------------------------------------------------

    def queue_depth(self) -> int:
        """Jobs waiting for a worker (queued, not yet running)."""
        return len(self._waiting)

    # -- admission -----------------------------------------------------------------------

    async def _create(
        self,
        make: Callable[[str], R],
        request_id: str | None,
        fingerprint: str,
        fingerprint_of: Callable[[R], str],
    ) -> R:
        """Queue the job ``make(new id)`` builds, or return the one ``request_id`` made.

        ``fingerprint`` identifies what is asked for; the same request id with another
        fingerprint is a :class:`RequestConflict`. Raises :class:`ServiceDraining`
        while shutting down and :class:`QueueFull` at the limit.
        """
        if not self._started:
            raise RuntimeError(f"call start() before creating {self.noun}s")
        request_id = checked_request_id(request_id)
        if request_id is None:
            return await self._queue(make)
        # A retry racing the first call waits for it, then finds its job: without the
        # lock both would pass the lookup while the first insert is being committed.
        async with self._requests:
            existing = self._records.find_request(request_id)
            if existing is None:
                return await self._queue(make)
        if fingerprint_of(existing) != fingerprint:
            raise RequestConflict(
                "request_id",
                f"was already used to create {self.noun} {self._id(existing)} "
                f"with a different {self.specification}",
            )
        return self.get(self._id(existing))

    async def _queue(self, make: Callable[[str], R]) -> R:
        """Insert and queue a new job (see :meth:`_create`)."""
        if self._draining:
            raise ServiceDraining("the service is shutting down")
        waiting = len(self._waiting) + self._admitting
        if waiting >= self._max_queued and len(self._tasks) >= self._max_concurrent:
            raise QueueFull(f"{waiting} {self.noun}s are already waiting")
        record = make(uuid.uuid4().hex)
        self._admitting += 1
        try:
            await self._commit(self._records.insert, record, 1)
        finally:
            self._admitting -= 1
        self._admit(record, sequence=1)
        self._pump()
        return record

    async def _commit(self, write: Callable[..., None], *args: Any) -> None:
        """Run a store write on the writer thread; returns once it is committed."""
        await self._writer.commit(write, *args)

    def _with_results(self, job_id: str, cancelled_early: str) -> R:
        """The job, if it has result files; else :class:`NoResults` saying why."""
        record = self.get(job_id)
        if not record.has_results:
            reason = (
                f"was cancelled {cancelled_early}"
                if record.state is RunState.CANCELLED
                else f"is {record.state.value}"
            )
            raise NoResults(f"{self.noun} {job_id} has no results: it {reason}")
        return record

    # -- the life of one job -------------------------------------------------------------

    async def _execute(self, job_id: str) -> None:
        try:
            if job_id in self._cancelling:
                await self._conclude_unstarted(job_id)
                return
            if self._draining:
                self._release(job_id)
                return
            await self._execute_job(job_id)
        except ExecutorFailure as error:
            await self._finish(job_id, RunState.FAILED, error=str(error))
        except Exception:
            log.exception("%s %s failed", self.noun, job_id)
            await self._finish(job_id, RunState.FAILED, error="internal error in the service")
        finally:
            self._jobs.pop(job_id, None)
            self._tasks.pop(job_id, None)
            self._cancelling.discard(job_id)
            self._interrupting.discard(job_id)
            self._pump()

    def _stopping(self, job_id: str) -> bool:
        return job_id in self._cancelling or job_id in self._interrupting

    # -- state changes -------------------------------------------------------------------

    def _admit(self, record: R, sequence: int) -> None:
        job_id = self._id(record)
        self._active[job_id] = record
        self._journals[job_id] = Journal(record, sequence, self._event)
        self._waiting.append(job_id)

    def _pump(self) -> None:
        """Start waiting jobs while there is room."""
        if not self._started or self._draining:
            return
        while self._waiting and len(self._tasks) < self._max_concurrent:
            job_id = self._waiting.popleft()
            self._tasks[job_id] = asyncio.create_task(self._execute(job_id), name=job_id)

    async def _move(self, job_id: str, state: RunState, **changes: object) -> R:
        """Commit a state change, then tell the watchers."""
        record = self._active[job_id].moved(state, **changes)
        journal = self._journals[job_id]
        await self._commit(self._records.update, record, journal.sequence + 1)
        self._active[job_id] = record
        journal.record(record, progress=False)
        return record

    async def _finish(self, job_id: str, state: RunState, **changes: object) -> None:
        await self._move(job_id, state, **changes)
        self._release(job_id)

    def _release(self, job_id: str) -> None:
        """Forget an active job in memory (the store keeps it); ends its watchers."""
        self._active.pop(job_id, None)
        journal = self._journals.pop(job_id, None)
        if journal is not None:
            journal.close()

    # -- watching ------------------------------------------------------------------------

    async def _watch(self, job_id: str, after: int) -> AsyncIterator[E]:
        while True:
            journal = self._journals.get(job_id)
            if journal is None:
                # Not active here: finished, or left QUEUED by a drain. Its last event
                # is in the store.
                record = self._records.get(job_id)
                sequence = self._records.sequence(job_id)
                if record is not None and sequence > after:
                    yield self._event(sequence, record)
                return
            for event in journal.after(after):
                yield event
                after = event.sequence
                if self._record_of(event).state.terminal:
                    return
            if journal.closed:
                return
            await journal.wait(after)
