"""Where replicates are simulated: the :class:`Executor` protocol and a local process pool.

The run lifecycle (:mod:`escapesim.service.jobs.runs`) hands an executor one scenario at a time and
reads back finished batches of replicates. Everything it needs from an executor is the
two protocols below; :class:`LocalExecutor` is the embedded default, and the Dask
executor (scale-out) implements the same protocols.

Contract every executor keeps:

* **Determinism.** Replicate ``k`` of a scenario is simulated by
  ``escapesim.service.workers.batches.simulate_batch`` (or anything equivalent); the engine makes it
  identical whatever process, batch or order runs it, so results never depend on the
  executor or on the number of workers.
* **Nothing in the event loop.** Simulations run in other processes; what comes back
  is a :class:`~escapesim.service.workers.batches.Batch` of Arrow tables built in the worker.
* **Cooperative cancellation.** :meth:`Job.cancel` drops batches not started and asks
  running ones to stop at their next sample; :meth:`Job.batches` then yields what still
  finishes (possibly partial batches) and ends without an error.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import AsyncIterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import Any, Protocol

from escapesim.engine import Scenario
from escapesim.engine.branching import Branch
from escapesim.service.workers.batches import Batch, simulate_batch, warm_up

#: How a :class:`LocalExecutor` starts its workers.
START_METHODS = ("spawn", "forkserver", "thread")


class ExecutorFailure(Exception):  # noqa: N818 - the agreed interface names
    """A batch could not be simulated; the message is safe to show to a client."""


class Job(Protocol):
    """One scenario's replicates being simulated. Iterate :meth:`batches` exactly once."""

    def batches(self) -> AsyncIterator[Batch]:
        """Yield each batch as it finishes (any order; every replicate exactly once).

        Ends when all ``scenario.replicates`` replicates are done, or after
        :meth:`cancel` once the batches still running have stopped. Raises
        :class:`ExecutorFailure` if a batch fails or a worker dies; closing the iterator
        early cancels the job.
        """
        ...

    def simulated_day(self) -> float:
        """The simulated day a replicate of this job reported last (cheap, never blocks)."""
        ...

    def cancel(self) -> None:
        """Ask the job to stop (idempotent, returns at once; see :meth:`batches`)."""
        ...


class Executor(Protocol):
    """Runs jobs. The lifecycle calls :meth:`start` once, then :meth:`submit` per run
    (never more jobs at once than its own concurrency bound), then :meth:`close`."""

    async def start(self) -> None:
        """Acquire workers (processes, a cluster connection); may take a few seconds."""
        ...

    def submit(self, scenario: Scenario, *, first: int = 0, branch: Branch | None = None) -> Job:
        """Start simulating replicates ``first`` … ``first + scenario.replicates - 1`` of
        ``scenario`` (all of them, by default; each continuing ``branch``'s shared past,
        if given); returns at once."""
        ...

    async def close(self) -> None:
        """Stop every job and release the workers."""
        ...


#: Worker-side view of the executor's shared board. A pool worker receives the shared
#: arrays once, at spawn (the only moment multiprocessing lets them be passed), through
#: the pool initializer; every batch the worker runs then reads its job's slot.
_worker_board: tuple[Any, Any] | None = None


def _attach_board(stop_flags: Any, days: Any) -> None:
    global _worker_board  # a per-process binding, set once by the pool initializer
    _worker_board = (stop_flags, days)
    _exit_with_parent()


def _exit_with_parent() -> None:
    """End this worker as soon as the server process dies, even by SIGKILL.

    A pool worker waits on a pipe whose write end it holds itself, so it never sees
    end-of-file when the server dies; without this it would linger as an orphan
    (finishing a batch nobody will read, holding memory) after a crash.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _worker_ready() -> None:
    """Submitted once per worker at start: spawn now and pay every import up front."""
    warm_up()


def _run_batch(
    scenario: Scenario, start: int, stop: int, slot: int, branch: Branch | None
) -> Batch:
    """A batch in a pool worker, on the board its initializer attached."""
    assert _worker_board is not None, "the pool initializer attaches the board"
    return _run_batch_on(_worker_board, scenario, start, stop, slot, branch)


def _run_batch_on(
    board: tuple[Any, Any],
    scenario: Scenario,
    start: int,
    stop: int,
    slot: int,
    branch: Branch | None,
) -> Batch:
    stop_flags, days = board

    def on_day(day: float) -> None:
        days[slot] = day

    return simulate_batch(
        scenario, range(start, stop), on_day=on_day, should_stop=lambda: bool(stop_flags[slot]),
        branch=branch,
    )  # fmt: skip


class LocalExecutor:
    """A process pool on this machine (spawn or forkserver, never fork: gRPC is not
    fork-safe), or threads of this process (``start_method="thread"``: the command line's
    one-worker runs, which would spend longer spawning and warming a process than
    simulating; a thread shares the GIL, so more than one buys nothing).

    Each job gets a slot on a shared-memory board: a stop flag the workers poll after
    every sample (cooperative cancellation without any message passing) and the last
    simulated day they reached (progress without any message passing). Batches start
    at one replicate and grow to about ``batch_seconds`` of measured work, so progress
    arrives often and the per-batch overhead stays small.
    """

    def __init__(
        self,
        workers: int,
        *,
        batch_seconds: float = 1.0,
        max_jobs: int = 256,
        start_method: str = "spawn",
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if not batch_seconds > 0:
            raise ValueError(f"batch_seconds must be > 0, got {batch_seconds}")
        if max_jobs < 1:
            raise ValueError(f"max_jobs must be >= 1, got {max_jobs}")
        if start_method not in START_METHODS:
            raise ValueError(
                f"start_method must be one of {', '.join(START_METHODS)}, got {start_method!r}"
            )
        self.workers = workers
        self.batch_seconds = batch_seconds
        self._threads = start_method == "thread"
        self._context: BaseContext = multiprocessing.get_context(
            "spawn" if self._threads else start_method
        )
        self._stop_flags: Any = self._context.RawArray("b", max_jobs)
        self._days: Any = self._context.RawArray("d", max_jobs)
        self._free_slots = list(range(max_jobs - 1, -1, -1))
        self._pool: concurrent.futures.Executor | None = None
        self._in_flight = 0  # batches submitted and not yet finished (utilisation)

    async def start(self, *, warm: bool = True) -> None:
        """Spawn the workers and wait until each has warmed up (imports, every preset's
        compiled code). Without ``warm``, and always for threads, a worker loads only
        what its first batch needs, when it runs it (a one-off command's choice)."""
        pool = self._new_pool()
        if self._threads or not warm:
            return
        await asyncio.gather(
            *(asyncio.wrap_future(pool.submit(_worker_ready)) for _ in range(self.workers))
        )

    def submit(
        self, scenario: Scenario, *, first: int = 0, branch: Branch | None = None
    ) -> LocalJob:
        """Start a job (see :meth:`Executor.submit`); raises ``RuntimeError`` if more
        than ``max_jobs`` are running."""
        if not self._free_slots:
            raise RuntimeError("every job slot is in use")
        slot = self._free_slots.pop()
        self._stop_flags[slot] = 0
        self._days[slot] = 0.0
        return LocalJob(self, scenario, slot, first, branch)

    async def close(self) -> None:
        """Stop every job and shut the pool down (running batches stop at their next sample)."""
        for slot in range(len(self._stop_flags)):
            self._stop_flags[slot] = 1
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    # -- used by LocalJob ----------------------------------------------------------------

    def pool(self) -> concurrent.futures.Executor:
        """The live pool (a new one if a worker died and broke the previous one)."""
        return self._pool or self._new_pool()

    def run_batch(
        self,
        pool: concurrent.futures.Executor,
        scenario: Scenario,
        span: range,
        slot: int,
        branch: Branch | None = None,
    ) -> Future[Batch]:
        """Submit the replicates ``span`` of ``scenario`` to ``pool``."""
        work = (scenario, span.start, span.stop, slot, branch)
        if self._threads:  # the board is right here: no initializer, no process global
            future = pool.submit(_run_batch_on, (self._stop_flags, self._days), *work)
        else:
            future = pool.submit(_run_batch, *work)
        self._in_flight += 1
        future.add_done_callback(self._batch_done)
        return future

    def utilisation(self) -> float:
        """The fraction of workers running a batch now (batches in flight, at most one
        per worker, over the workers)."""
        return min(self._in_flight, self.workers) / self.workers

    def _batch_done(self, _future: Future[Batch]) -> None:
        self._in_flight -= 1  # an int decrement under the GIL: safe from a pool thread

    def renew(self, broken: concurrent.futures.Executor) -> None:
        """Replace ``broken`` (once, whichever job noticed first)."""
        if self._pool is broken:
            self._pool = None
            broken.shutdown(wait=False, cancel_futures=True)

    def stop(self, slot: int) -> None:
        """Raise the stop flag of ``slot``."""
        self._stop_flags[slot] = 1

    def day(self, slot: int) -> float:
        """The last simulated day reported in ``slot``."""
        return float(self._days[slot])

    def release(self, slot: int) -> None:
        """Return ``slot`` for reuse (only once no batch of its job can still run)."""
        self._free_slots.append(slot)

    def _new_pool(self) -> concurrent.futures.Executor:
        if self._threads:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="escapesim-batch")
            return self._pool
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=self._context,
            initializer=_attach_board,
            initargs=(self._stop_flags, self._days),
        )
        return self._pool


class LocalJob:
    """One scenario on a :class:`LocalExecutor` (see :class:`Job`)."""

    def __init__(
        self,
        executor: LocalExecutor,
        scenario: Scenario,
        slot: int,
        first: int,
        branch: Branch | None = None,
    ) -> None:
        self._executor = executor
        self._scenario = scenario
        self._branch = branch
        self._slot = slot
        self._first = first
        self._stopped = False
        self._running: dict[asyncio.Future[Batch], Future[Batch]] = {}
        self._seconds_per_replicate: float | None = None

    def simulated_day(self) -> float:
        """See :meth:`Job.simulated_day`."""
        return self._executor.day(self._slot)

    def cancel(self) -> None:
        """See :meth:`Job.cancel`."""
        self._stopped = True
        self._executor.stop(self._slot)
        for future in self._running.values():
            future.cancel()  # only batches not yet started; running ones see the flag

    async def batches(self) -> AsyncIterator[Batch]:
        """See :meth:`Job.batches`."""
        running = self._running
        pool = self._executor.pool()
        submitted = 0
        try:
            while True:
                while (
                    not self._stopped
                    and submitted < self._scenario.replicates
                    and (len(running) < self._executor.workers)
                ):
                    size = self._next_size(self._scenario.replicates - submitted)
                    future = self._submit(pool, submitted, submitted + size)
                    running[asyncio.wrap_future(future)] = future
                    submitted += size
                if not running:
                    return
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for finished in done:
                    del running[finished]
                    if not finished.cancelled():
                        batch = self._collect(pool, finished)
                        yield batch
        finally:
            self._stop_all(running.values())

    def _submit(self, pool: concurrent.futures.Executor, start: int, stop: int) -> Future[Batch]:
        span = range(self._first + start, self._first + stop)
        try:
            return self._executor.run_batch(pool, self._scenario, span, self._slot, self._branch)
        except BrokenProcessPool:
            self._executor.renew(pool)
            raise ExecutorFailure("a worker process died (killed or out of memory)") from None

    def _collect(self, pool: concurrent.futures.Executor, finished: asyncio.Future[Batch]) -> Batch:
        try:
            batch = finished.result()
        except BrokenProcessPool:
            self._executor.renew(pool)
            raise ExecutorFailure("a worker process died (killed or out of memory)") from None
        except Exception as error:
            raise ExecutorFailure(f"simulation failed: {type(error).__name__}: {error}") from None
        if batch.replicates and batch.seconds > 0:
            # The latest batch is the best guess: the machine's load changes.
            self._seconds_per_replicate = batch.seconds / len(batch.replicates)
        return batch

    def _next_size(self, remaining: int) -> int:
        # Until a batch has been timed, one replicate; then ~batch_seconds of work, but
        # never so large that the tail leaves workers idle.
        if self._seconds_per_replicate is None:
            wanted = 1
        else:
            wanted = int(self._executor.batch_seconds / self._seconds_per_replicate)
        spread = math.ceil(remaining / self._executor.workers)
        return max(1, min(wanted, spread))

    def _stop_all(self, futures: Any) -> None:
        """Stop the job and free its slot once no batch of it can still write there."""
        self.cancel()
        outstanding = [f for f in futures if not f.cancel() and not f.done()]
        if not outstanding:
            self._executor.release(self._slot)
            return
        remaining = [len(outstanding)]
        lock = threading.Lock()

        def finished(_future: Future[Batch]) -> None:
            # Runs in the pool's manager thread (or here, if the batch just finished).
            with lock:
                remaining[0] -= 1
                last = remaining[0] == 0
            if last:
                self._executor.release(self._slot)

        for future in outstanding:
            future.add_done_callback(finished)
