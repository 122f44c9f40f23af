"""Scale-out: the :class:`~escapesim.service.workers.local.Executor` protocol on Dask.

``ESCAPESIM_EXECUTOR=dask`` selects it; ``ESCAPESIM_DASK_SCHEDULER=tcp://host:8786``
names the scheduler, and without an address a ``distributed.LocalCluster`` of worker
processes is started on this machine. Workers run the very function the local pool runs
(:func:`escapesim.service.workers.batches.simulate_batch`), so a replicate is identical
wherever it ran.

How the work is cut and what survives a fault:

* Replicates go out as tasks of contiguous ranges: one replicate until a batch has been
  timed, then ``batch_seconds`` of work or a little more (never so large that the tail
  leaves workers idle). At most ``depth`` tasks per worker thread are in flight; the
  rest are not even submitted yet, so a cancellation or a lost worker touches little.
* A worker that dies takes only its tasks: the scheduler runs them again elsewhere
  (``allowed-failures`` times, then the job fails with :class:`.local.ExecutorFailure`).
* Cancellation is cooperative: tasks poll their job's ``distributed.Event`` (throttled: a
  scheduler round trip) before each replicate and after samples, and stop with the
  replicates they finished. Tasks not yet submitted never are.
* Progress and provenance travel as Dask events (``Worker.log_event``): topic
  :data:`PROGRESS_TOPIC` gives each job's day, :data:`BATCH_TOPIC` who ran what.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import math
import os
import time
import uuid
from collections.abc import AsyncIterator, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

import dask.config
from distributed import Client, Event, Future, LocalCluster, WorkerPlugin, as_completed, get_worker

from escapesim.engine import Scenario
from escapesim.engine.branching import Branch
from escapesim.service.workers.batches import Batch, simulate_batch
from escapesim.service.workers.local import ExecutorFailure

logger = logging.getLogger(__name__)

#: Dask event topics this module publishes (see the module docstring).
PROGRESS_TOPIC = "escapesim.progress"
BATCH_TOPIC = "escapesim.batch"

#: Environment variables that configure the executor (see :meth:`DaskExecutor.from_env`).
SCHEDULER_ENV = "ESCAPESIM_DASK_SCHEDULER"
BATCH_SECONDS_ENV = "ESCAPESIM_BATCH_SECONDS"

#: Seconds between two polls of a job's stop flag, and between two progress reports, in
#: a task: both cost a message, and a sample can take microseconds.
STOP_POLL_SECONDS = 1.0
PROGRESS_SECONDS = 0.5


def _stop_name(job_id: str) -> str:
    return f"escapesim-stop-{job_id}"


# -- worker side ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Done:
    """What a task returns: the batch and the address of the worker that ran it."""

    batch: Batch
    worker: str


class _TaskBoard:
    """A task's view of its job: the throttled stop flag and progress reports."""

    def __init__(self, job_id: str, horizon: float) -> None:
        self._worker = get_worker()
        self._job_id = job_id
        self._horizon = horizon
        self._stop = Event(_stop_name(job_id))
        self._stopped = False
        self._polled = -math.inf
        self._reported = time.monotonic()

    def should_stop(self) -> bool:
        now = time.monotonic()
        if not self._stopped and now - self._polled >= STOP_POLL_SECONDS:
            self._polled = now
            self._stopped = bool(self._stop.is_set())
        return self._stopped

    def on_day(self, day: float) -> None:
        # Throttled, but a replicate's last sample is always reported: short replicates
        # would otherwise never report at all.
        now = time.monotonic()
        if day >= self._horizon or now - self._reported >= PROGRESS_SECONDS:
            self._reported = now
            self._worker.log_event(PROGRESS_TOPIC, {"job": self._job_id, "day": day})


class _Warmup(WorkerPlugin):
    """Readies the simulation stack when a worker joins, so the first batch is not slow: the
    imports (pyarrow pulls in pandas, 1-2 s), every preset's compiled code (~1 s cached)."""

    name = "escapesim-warmup"

    def setup(self, worker: Any) -> None:
        importlib.import_module("escapesim.service.workers.batches").warm_up()


def run_batch(scenario: Scenario, start: int, stop: int, job_id: str, past: Branch | None) -> _Done:
    """The Dask task: simulate replicates ``start``..``stop - 1`` of ``scenario``."""
    board = _TaskBoard(job_id, scenario.horizon_days)
    span, on_day, should_stop = range(start, stop), board.on_day, board.should_stop
    batch = simulate_batch(scenario, span, on_day=on_day, should_stop=should_stop, branch=past)
    worker = get_worker()
    worker.log_event(
        BATCH_TOPIC,
        {
            "job": job_id,
            "start": start,
            "stop": stop,
            "simulated": len(batch.replicates),
            "seconds": batch.seconds,
            "worker": worker.address,
        },
    )
    return _Done(batch, worker.address)


# -- client side ------------------------------------------------------------------------


class DaskExecutor:
    """Runs jobs on a Dask cluster: the one at ``address``, or a LocalCluster it starts.

    ``workers`` is the size of the LocalCluster (one single-threaded process each: the
    simulation holds the GIL); it is ignored when ``address`` is given. ``depth`` is how
    many tasks per worker thread a job keeps in flight, so a worker finds its next task
    waiting when it finishes one.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        workers: int = 2,
        batch_seconds: float = 1.0,
        depth: int = 2,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if not batch_seconds > 0:
            raise ValueError(f"batch_seconds must be > 0, got {batch_seconds}")
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        self.address = address or None
        self.workers = workers
        self.batch_seconds = batch_seconds
        self.depth = depth
        self._cluster: LocalCluster | None = None
        self._client: Client | None = None
        self._jobs: dict[str, DaskJob] = {}
        self._cleanups: set[asyncio.Task[None]] = set()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, workers: int = 2) -> DaskExecutor:
        """The executor ``ESCAPESIM_DASK_SCHEDULER`` (and ``ESCAPESIM_BATCH_SECONDS``) ask for."""
        env = os.environ if env is None else env
        raw = env.get(BATCH_SECONDS_ENV, "").strip()
        try:
            seconds = float(raw) if raw else 1.0
        except ValueError:
            seconds = math.nan
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"{BATCH_SECONDS_ENV}: must be a positive number (got {raw!r})")
        return cls(
            env.get(SCHEDULER_ENV, "").strip() or None, workers=workers, batch_seconds=seconds
        )

    @property
    def client(self) -> Client:
        """The connected client (after :meth:`start`)."""
        if self._client is None:
            raise RuntimeError("the Dask executor has not been started")
        return self._client

    async def start(self) -> None:
        """Connect to the scheduler (or start a LocalCluster) and listen for progress."""
        if self.address is None:
            # The workers' statistical profiler samples every thread every 10 ms; on a
            # small machine it takes CPU straight from the simulations (the nannies hand
            # this configuration to the worker processes).
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                self._cluster = await LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    asynchronous=True,
                )
            self._client = await Client(self._cluster, asynchronous=True)
        else:
            self._client = await Client(self.address, asynchronous=True)
        self._client.subscribe_topic(PROGRESS_TOPIC, self._on_progress)
        await self._client.register_plugin(_Warmup())
        logger.info("Dask executor on %s", self.address or f"a LocalCluster of {self.workers}")

    def submit(
        self, scenario: Scenario, *, first: int = 0, branch: Branch | None = None
    ) -> DaskJob:
        """Start a job from replicate ``first`` (its tasks go out as it is iterated)."""
        job = DaskJob(self, scenario, uuid.uuid4().hex, first)
        job.branch = branch
        self._jobs[job.job_id] = job
        return job

    async def close(self) -> None:
        """Stop every job, wait briefly for their tasks to stop, disconnect."""
        for job in list(self._jobs.values()):
            job.cancel()
        if self._cleanups:
            await asyncio.wait(self._cleanups, timeout=5.0)
        for task in self._cleanups:
            task.cancel()
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.unsubscribe_topic(PROGRESS_TOPIC)
            closing = client.close()  # an awaitable, the client being asynchronous
            if closing is not None:
                await closing
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            stopping = cluster.close()  # an awaitable too: the cluster is asynchronous
            if stopping is not None:
                await stopping

    async def slots(self) -> int:
        """Worker threads the cluster has now (at least 1: tasks wait for a worker)."""
        nthreads = await self.client.nthreads()
        return max(1, int(sum(nthreads.values())))

    # -- used by DaskJob -----------------------------------------------------------------

    def forget(
        self, job: DaskJob, outstanding: list[Future[_Done]], raised: asyncio.Task[None] | None
    ) -> None:
        """Drop ``job``; if its stop flag was ``raised``, delete the flag from the scheduler
        once the flag is up and the ``outstanding`` tasks have stopped."""
        self._jobs.pop(job.job_id, None)
        if raised is not None:
            self._track(self._clear_stop(job.job_id, outstanding, raised))

    def stop(self, job_id: str) -> asyncio.Task[None] | None:
        """Raise the stop flag of ``job_id``; returns at once with the task doing it."""
        if self._client is None:
            return None
        return self._track(self._set_stop(job_id))

    def _track(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self._cleanups.add(task)
        task.add_done_callback(self._cleanups.discard)
        return task

    async def _set_stop(self, job_id: str) -> None:
        with contextlib.suppress(Exception):
            await Event(_stop_name(job_id), client=self.client).set()

    async def _clear_stop(
        self, job_id: str, outstanding: list[Future[_Done]], raised: asyncio.Task[None]
    ) -> None:
        # Queued tasks start, see the flag at once and return empty batches; the flag is
        # cleared only after it was set (two RPCs may overtake each other).
        await asyncio.gather(raised, *(_settled(f) for f in outstanding))
        with contextlib.suppress(Exception):
            await Event(_stop_name(job_id), client=self.client).clear()

    def _on_progress(self, event: tuple[float, Any]) -> None:
        _, message = event
        job = self._jobs.get(message.get("job", ""))
        if job is not None:
            job.report_day(float(message["day"]))


async def _settled(future: Future[_Done]) -> None:
    with contextlib.suppress(BaseException):
        await future


class DaskJob:
    """A scenario on a :class:`DaskExecutor` (see :class:`escapesim.service.workers.local.Job`)."""

    def __init__(self, executor: DaskExecutor, scenario: Scenario, job_id: str, first: int) -> None:
        self.job_id = job_id
        self._first = first
        self.branch: Branch | None = None  # the shared past of a branching cell, if any
        self.workers_used: set[str] = set()
        self._executor = executor
        self._scenario = scenario
        self._stopped = False
        self._stop_raised: asyncio.Task[None] | None = None
        self._day = 0.0
        self._seconds = 0.0
        self._simulated = 0

    def simulated_day(self) -> float:
        """See :meth:`escapesim.service.workers.local.Job.simulated_day`."""
        return self._day

    def report_day(self, day: float) -> None:
        """Record a progress report from a task."""
        self._day = day

    def cancel(self) -> None:
        """See :meth:`escapesim.service.workers.local.Job.cancel`."""
        if not self._stopped:
            self._stopped = True
            self._stop_raised = self._executor.stop(self.job_id)

    async def batches(self) -> AsyncIterator[Batch]:
        """See :meth:`escapesim.service.workers.local.Job.batches`."""
        running: dict[Future[_Done], tuple[int, int]] = {}
        finished = as_completed()
        submitted = 0
        try:
            submitted = await self._fill(running, finished, submitted)
            async for future in finished:
                span = running.pop(future)
                done = await self._collect(future, span)
                self.workers_used.add(done.worker)
                yield done.batch
                submitted = await self._fill(running, finished, submitted)
        finally:
            outstanding = [f for f in running if not f.done()]
            if outstanding:  # closed early or failed: stop the tasks still running
                self.cancel()
            self._stopped = True
            self._executor.forget(self, outstanding, self._stop_raised)

    async def _fill(
        self, running: dict[Future[_Done], tuple[int, int]], finished: as_completed, submitted: int
    ) -> int:
        total = self._scenario.replicates
        if self._stopped or submitted >= total:
            return submitted
        slots = await self._executor.slots()
        limit = slots * self._executor.depth
        while not self._stopped and submitted < total and len(running) < limit:
            size = self._next_size(total - submitted, slots)
            span = (self._first + submitted, self._first + submitted + size)
            future = self._executor.client.submit(
                run_batch,
                self._scenario,
                *span,
                self.job_id,
                self.branch,
                key=f"escapesim-batch-{self.job_id}-{span[0]}-{span[1]}",
                pure=False,
            )
            running[future] = span
            finished.add(future)
            submitted += size
        return submitted

    async def _collect(self, future: Future[_Done], span: tuple[int, int]) -> _Done:
        try:
            done: _Done = await future
        except Exception as error:  # asyncio.CancelledError (our own task) passes through
            first, last = span[0], span[1] - 1
            if future.cancelled():
                raise ExecutorFailure(
                    f"replicates {first}-{last} were lost: the Dask scheduler dropped them "
                    "(connection lost or scheduler restarted)"
                ) from None
            name = type(error).__name__
            if name == "KilledWorker":
                raise ExecutorFailure(
                    f"replicates {first}-{last}: every worker that ran them died"
                ) from None
            raise ExecutorFailure(f"simulation failed: {name}: {error}") from None
        self._seconds += done.batch.seconds
        self._simulated += len(done.batch.replicates)
        return done

    def _next_size(self, remaining: int, slots: int) -> int:
        # Until a batch has been timed, one replicate; then at least batch_seconds of work
        # (rounded up: per-task overhead is what batching is for), but never so large
        # that the tail leaves workers idle.
        if self._simulated == 0 or self._seconds <= 0:
            wanted = 1
        else:
            wanted = math.ceil(self._executor.batch_seconds * self._simulated / self._seconds)
        spread = math.ceil(remaining / slots)
        return max(1, min(wanted, spread))
