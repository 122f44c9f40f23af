"""Live simulations for the ``Simulate`` RPC: frames streamed from worker processes.

A ``Simulate`` call runs a short scenario and streams its frames as they are produced, so
the simulation cannot run in the event loop (it would stall every other call) and cannot
go through the run executor (which returns whole batches). Each call borrows one of a few
long-lived spawned worker processes, talks to it over a pipe, and gives it back when the
scenario ends. When the call ends early (deadline, cancellation, client gone) the worker
is told to stop at its next sample; a worker that does not stop promptly is killed and
replaced, so an abandoned call never keeps a CPU busy.

Protocol on the pipe (pickled tuples):

* parent -> worker: ``("run", scenario)``, ``("stop",)``, or ``None`` to exit;
* worker -> parent: ``("names", [...])`` once per scenario, ``("frames", [(replicate, t,
  values...), ...])`` in batches, ``("result", Result)`` after each replicate,
  ``("error", message)``, and ``("end",)`` last.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Protocol

from escapesim.engine import Frame, Result, Scenario
from escapesim.service.workers.batches import replicate_results

log = logging.getLogger(__name__)

#: A worker sends what it has after this many frames or this many seconds, whichever first.
FLUSH_FRAMES = 256
FLUSH_SECONDS = 0.02
#: How long a worker may take to acknowledge a stop before it is killed.
STOP_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class LiveFrame:
    """One sampled state of one replicate."""

    replicate: int
    t: float
    values: dict[str, float]


class SimulationError(Exception):
    """The worker could not simulate the scenario (the message is safe for clients)."""


class ScenarioFailure(SimulationError):  # noqa: N818 - named like the engine's errors
    """The scenario itself cannot be simulated (a population past what the kernel counts)."""


class LiveStream(Protocol):
    """Where ``Simulate`` calls run: these local workers, or the Dask workers
    (``service/workers/dask_live.py``) when Dask is the executor."""

    def warm(self) -> None:
        """Ready the workers so the first calls do not pay the start-up."""

    def stream(self, scenario: Scenario) -> AsyncIterator[LiveFrame | Result]:
        """Frames of every replicate in order, each replicate's result after its frames."""
        ...

    async def close(self) -> None:
        """Stop: running calls end with :class:`SimulationError`."""


class LiveSimulations:
    """A small pool of spawned workers that stream frames (see the module doc)."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self._size = workers
        self._context = multiprocessing.get_context("spawn")
        self._idle: list[_Worker] = []
        self._slots = asyncio.Semaphore(workers)
        self._closed = False
        self._recycling: set[asyncio.Task[None]] = set()

    def warm(self) -> None:
        """Spawn every worker now so the first calls do not pay the start-up."""
        while len(self._idle) < self._size:
            self._idle.append(_Worker.spawn(self._context))

    async def stream(self, scenario: Scenario) -> AsyncIterator[LiveFrame | Result]:
        """Frames of every replicate in order, each replicate's result after its frames.

        Raises :class:`SimulationError` if the worker fails or dies.
        """
        async with self._slots:
            if self._closed:
                raise SimulationError("the server is shutting down")
            worker = self._idle.pop() if self._idle else _Worker.spawn(self._context)
            finished = False
            try:
                async for item in worker.run(scenario):
                    yield item
                finished = True
            finally:
                self._give_back(worker, finished)

    async def close(self) -> None:
        """Stop every worker (running calls end with :class:`SimulationError`)."""
        self._closed = True
        if self._recycling:
            await asyncio.wait(self._recycling, timeout=STOP_SECONDS + 1)
        idle, self._idle = self._idle, []
        await asyncio.gather(*(asyncio.to_thread(w.exit) for w in idle))

    def _give_back(self, worker: _Worker, finished: bool) -> None:
        if finished and worker.alive and not self._closed:
            self._idle.append(worker)
            return
        task = asyncio.get_running_loop().create_task(self._recycle(worker))
        self._recycling.add(task)
        task.add_done_callback(self._recycling.discard)

    async def _recycle(self, worker: _Worker) -> None:
        # The call ended early: stop the scenario, then reuse the worker if it obeyed.
        if await worker.stop() and not self._closed:
            self._idle.append(worker)
        else:
            await asyncio.to_thread(worker.exit)


class _Worker:
    """One spawned process and the parent's end of its pipe."""

    def __init__(self, process: Any, conn: Connection) -> None:
        self._process = process
        self._conn = conn
        self._busy = False

    @classmethod
    def spawn(cls, context: Any) -> _Worker:
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child,), daemon=True, name="escapesim-live")
        process.start()
        child.close()
        return cls(process, parent)

    @property
    def alive(self) -> bool:
        return bool(self._process.is_alive())

    async def run(self, scenario: Scenario) -> AsyncIterator[LiveFrame | Result]:
        self._busy = True
        try:
            self._conn.send(("run", scenario))
        except OSError:
            raise SimulationError("the simulation worker is gone") from None
        names: list[str] = []
        while True:
            message = await self._receive()
            kind = message[0]
            if kind == "frames":
                for replicate, t, *values in message[1]:
                    yield LiveFrame(replicate, t, dict(zip(names, values, strict=True)))
            elif kind == "names":
                names = message[1]
            elif kind == "result":
                yield message[1]
            elif kind == "error":
                self._busy = False
                raise SimulationError(message[1])
            elif kind == "refused":
                self._busy = False
                raise ScenarioFailure(message[1])
            elif kind == "end":
                self._busy = False
                return

    async def stop(self) -> bool:
        """Stop the scenario in progress; True once the worker is idle again."""
        if not self._busy:
            return self.alive
        with contextlib.suppress(OSError):
            self._conn.send(("stop",))
        try:
            async with asyncio.timeout(STOP_SECONDS):
                while (await self._receive())[0] not in ("end", "error", "refused"):
                    pass
        except (TimeoutError, SimulationError):
            return False
        self._busy = False
        return self.alive

    def exit(self) -> None:
        """Ask the process to exit; kill it if it does not (blocking: run in a thread)."""
        with contextlib.suppress(OSError):
            self._conn.send(None)
        self._process.join(1.0)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(1.0)
        self._conn.close()

    async def _receive(self) -> Any:
        # Wait for readability in the event loop, then read: a cancelled wait consumes
        # nothing, so the pipe never loses its place in the protocol.
        loop = asyncio.get_running_loop()
        while not self._conn.poll():
            readable: asyncio.Future[None] = loop.create_future()
            fd = self._conn.fileno()
            loop.add_reader(fd, _settle, readable)
            try:
                await readable
            finally:
                loop.remove_reader(fd)
            if not self.alive and not self._conn.poll():
                raise SimulationError("the simulation worker died")
        try:
            return self._conn.recv()
        except (EOFError, OSError):
            raise SimulationError("the simulation worker died") from None


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


# -- the worker process --------------------------------------------------------------------


def _serve(conn: Connection) -> None:
    """Worker main loop: one scenario at a time until told to exit."""
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        if message[0] != "run":
            continue  # a stop that arrived after its scenario ended
        try:
            _simulate(conn, message[1])
        except _StopRequestedError:
            pass
        except ArithmeticError as error:  # caused by the scenario: the engine says why
            conn.send(("refused", str(error)))
            continue
        except Exception as error:  # reported to the parent, which owns the logging
            conn.send(("error", f"simulation failed: {type(error).__name__}: {error}"))
            continue
        conn.send(("end",))


class _StopRequestedError(Exception):
    """The parent asked the scenario in progress to stop."""


def _simulate(conn: Connection, scenario: Scenario) -> None:
    network = scenario.network()
    names = [s.name for s in (*network.species, *network.levels)]
    conn.send(("names", names))
    batch: list[tuple[Any, ...]] = []
    flushed = time.monotonic()

    def send(frame: Frame) -> None:
        nonlocal batch, flushed
        batch.append((frame.replicate, frame.t, *(frame.values[n] for n in names)))
        now = time.monotonic()
        if len(batch) >= FLUSH_FRAMES or now - flushed >= FLUSH_SECONDS:
            _flush(conn, batch)
            batch, flushed = [], now

    for result in replicate_results(scenario, range(scenario.replicates), on_frame=send):
        _flush(conn, batch)
        batch, flushed = [], time.monotonic()
        conn.send(("result", result))


def _flush(conn: Connection, batch: list[tuple[Any, ...]]) -> None:
    if conn.poll():
        if conn.recv() is None:
            raise SystemExit(0)  # the server is exiting
        raise _StopRequestedError
    if batch:
        conn.send(("frames", batch))
