"""Live simulations on the Dask workers: the ``Simulate`` RPC when Dask is the executor.

With ``ESCAPESIM_EXECUTOR=dask`` the runs and ensembles already run on the cluster; this
module sends ``Simulate`` calls there too, so the API container only converts and
streams (compose gives it no simulation CPU to spare). It speaks the same message
protocol as the local live workers (``service/workers/live.py``): one Dask task per call
simulates the scenario and puts the messages, pickled, on a ``distributed.Queue`` of
its own through the scheduler; the call reads them in order. The queue is bounded, so a
slow client holds the task back instead of filling the scheduler's memory.

An early end (deadline, cancellation, client gone) sets the call's stop ``Event``, which
the task reads before each flush (every 20 ms at most), and the call's queue is released.
A worker that dies mid-call fails the call with :class:`SimulationError` rather than
replaying it: Dask would re-run the task elsewhere, so every message carries the id of
the attempt that sent it, and a second attempt ends the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from distributed import Event, Queue, get_worker

from escapesim.engine import Frame, Result, Scenario
from escapesim.service.workers.batches import replicate_results
from escapesim.service.workers.dask_cluster import DaskExecutor
from escapesim.service.workers.live import (
    FLUSH_FRAMES,
    FLUSH_SECONDS,
    LiveFrame,
    ScenarioFailure,
    SimulationError,
)

#: Messages a call's queue holds before the task waits for the reader (each ≤ 256 frames).
QUEUE_MESSAGES = 64
#: Seconds between checks, while waiting for a message, that the task has not failed.
POLL_SECONDS = 1.0
#: Seconds between two reads of the stop flag in the task (each is a scheduler round trip).
STOP_POLL_SECONDS = 0.1


def _names(key: str) -> tuple[str, str]:
    return f"escapesim-live-{key}", f"escapesim-live-stop-{key}"


class DaskLiveSimulations:
    """``Simulate`` calls as Dask tasks (the interface of ``LiveSimulations``)."""

    def __init__(self, executor: DaskExecutor, calls: int) -> None:
        if calls < 1:
            raise ValueError(f"calls must be >= 1, got {calls}")
        self._executor = executor
        self._slots = asyncio.Semaphore(calls)
        self._closed = False
        #: Addresses of the workers that have run a call (for operators and tests).
        self.served_by: set[str] = set()

    def warm(self) -> None:
        """Nothing to start: the executor's workers are warmed when they join."""

    async def close(self) -> None:
        """Refuse new calls (running ones end with the executor)."""
        self._closed = True

    async def stream(self, scenario: Scenario) -> AsyncIterator[LiveFrame | Result]:
        """Frames of every replicate in order, each replicate's result after its frames.

        Raises :class:`SimulationError` if the task fails or its worker dies.
        """
        async with self._slots:
            if self._closed:
                raise SimulationError("the server is shutting down")
            client = self._executor.client
            key = uuid.uuid4().hex
            queue_name, stop_name = _names(key)
            queue = await Queue(queue_name, client=client, maxsize=QUEUE_MESSAGES)
            task = client.submit(
                _simulate_live, scenario, key, key=f"escapesim-simulate-{key}", pure=False
            )
            finished = False
            try:
                async for item in _read(queue, task, self.served_by):
                    yield item
                finished = True
            finally:
                if not finished:
                    await Event(stop_name, client=client).set()
                with contextlib.suppress(Exception):  # the queue may be gone with the client
                    queue.close()
                task.release()


async def _read(queue: Any, task: Any, served_by: set[str]) -> AsyncIterator[LiveFrame | Result]:
    names: list[str] = []
    attempt: str | None = None
    while True:
        try:
            sent, message = pickle.loads(await queue.get(timeout=POLL_SECONDS))
        except TimeoutError:
            if task.status in ("error", "cancelled", "lost"):
                raise SimulationError("the simulation worker died") from None
            continue
        if attempt is None:
            attempt = sent
        elif sent != attempt:  # Dask re-ran the task after its worker died
            raise SimulationError("the simulation worker died")
        kind = message[0]
        if kind == "names":
            names, worker = message[1], message[2]
            served_by.add(worker)
        elif kind == "frames":
            for replicate, t, *values in message[1]:
                yield LiveFrame(replicate, t, dict(zip(names, values, strict=True)))
        elif kind == "result":
            yield message[1]
        elif kind == "refused":
            raise ScenarioFailure(message[1])
        elif kind == "error":
            raise SimulationError(message[1])
        elif kind == "end":
            return


# -- worker side ---------------------------------------------------------------------------


class _StopRequestedError(Exception):
    """The call ended early."""


def _simulate_live(scenario: Scenario, key: str) -> None:
    """The task: simulate ``scenario``, putting the messages on the call's queue."""
    queue_name, stop_name = _names(key)
    queue, stop = Queue(queue_name, maxsize=QUEUE_MESSAGES), Event(stop_name)
    attempt = uuid.uuid4().hex

    def put(message: tuple[Any, ...]) -> None:
        queue.put(pickle.dumps((attempt, message)))

    try:
        _stream(scenario, put, stop)
    except _StopRequestedError:
        return
    except ArithmeticError as error:  # caused by the scenario: the engine says why
        put(("refused", str(error)))
        return
    except Exception as error:  # reported to the call, which owns the logging
        put(("error", f"simulation failed: {type(error).__name__}: {error}"))
        return
    put(("end",))


def _stream(scenario: Scenario, put: Any, stop: Any) -> None:
    network = scenario.network()
    names = [s.name for s in (*network.species, *network.levels)]
    put(("names", names, get_worker().address))
    batch: list[tuple[Any, ...]] = []
    flushed = polled = time.monotonic()

    def flush() -> None:
        nonlocal batch, flushed, polled
        if time.monotonic() - polled >= STOP_POLL_SECONDS:
            polled = time.monotonic()
            if stop.is_set():
                raise _StopRequestedError
        if batch:
            put(("frames", batch))
        batch, flushed = [], time.monotonic()

    def send(frame: Frame) -> None:
        batch.append((frame.replicate, frame.t, *(frame.values[n] for n in names)))
        if len(batch) >= FLUSH_FRAMES or time.monotonic() - flushed >= FLUSH_SECONDS:
            flush()

    for result in replicate_results(scenario, range(scenario.replicates), on_frame=send):
        flush()
        put(("result", result))
