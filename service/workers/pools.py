"""``concurrent.futures`` pools over the service's executor, for the fitting drivers.

pyABC's sampler (:class:`~escapesim.service.fitting.abc_sampler.SeededSampler`) and the
posterior predictive check map functions over a ``concurrent.futures.Executor``. A
durable analysis runs them in a thread of the server and gives them:

* the local executor's process pool, the one runs and ensembles use; or
* :class:`DaskPool`, whose ``map`` runs on the Dask executor's (asynchronous) client by
  handing the work to the server's event loop, where that client lives;

each wrapped in :class:`StoppablePool`, so a cancel or a drain stops the driver at its
next map (between rounds of candidates) with :class:`Halted`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class Halted(Exception):  # noqa: N818 - a stop on request, not an error
    """The analysis was asked to stop (cancelled, or interrupted by a drain)."""


class StoppablePool(concurrent.futures.Executor):
    """``pool`` whose ``map`` refuses to start, or to hand back results, once ``stop`` is
    set (the work already handed out finishes; the driver then unwinds)."""

    def __init__(self, pool: concurrent.futures.Executor, stop: threading.Event) -> None:
        self._pool = pool
        self._stop = stop

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Submit to the wrapped pool (refused once stopped)."""
        self._check()
        return self._pool.submit(fn, *args, **kwargs)

    def map(
        self, fn: Callable[..., Any], *iterables: Iterable[Any], **kwargs: Any
    ) -> Iterator[Any]:
        """The wrapped pool's map, all results gathered, checked before and after."""
        self._check()
        found = list(self._pool.map(fn, *iterables, **kwargs))
        self._check()
        return iter(found)

    def _check(self) -> None:
        if self._stop.is_set():
            raise Halted("stopped on request")


class DaskPool(concurrent.futures.Executor):
    """``map`` and ``submit`` on an asynchronous Dask client from another thread: each
    call becomes a coroutine on ``loop`` (the client's), awaited from the calling thread.
    Results come back in input order, as ``Executor.map`` promises."""

    def __init__(self, client: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """A ``concurrent.futures.Future`` of ``fn(*args, **kwargs)`` on the cluster."""

        async def one() -> Any:
            return await self._client.submit(fn, *args, pure=False, **kwargs)

        return asyncio.run_coroutine_threadsafe(one(), self._loop)

    def map(
        self, fn: Callable[..., Any], *iterables: Iterable[Any], **kwargs: Any
    ) -> Iterator[Any]:
        """Every ``fn(*items)`` on the cluster, in input order."""
        del kwargs  # timeout / chunksize: the cluster schedules its own tasks
        columns = [list(items) for items in iterables]

        async def every() -> list[Any]:
            futures = self._client.map(fn, *columns, pure=False)
            return list(await self._client.gather(futures))

        return iter(asyncio.run_coroutine_threadsafe(every(), self._loop).result())
