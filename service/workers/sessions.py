"""Where interactive sessions simulate: each session's episode steps on a worker thread.

An :class:`~escapesim.engine.episode.Episode` lives in the server process for as long as
its session: a step (one decision interval) runs on a thread of a pool of one thread per
allowed session, never on the event loop. Threads rather than processes because the
kernel's compiled loops release the GIL (``nogil``), a step is short (a decision interval
of one replicate) and the episode, checkpoint included, then never crosses a pipe:
the round trip of a decision is the step itself.

A session that ends while its step runs (client cancelled, deadline) gives its slot back
at once; the step it started finishes in the background (one decision interval at most)
and its result is dropped. A step still queued when its session ends never starts.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from escapesim.engine.episode import Action, Episode, Observation

T = TypeVar("T")


class SessionThreads:
    """The pool the episodes of every session step on (see the module doc)."""

    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(threads, "escapesim-session")

    async def call(self, work: Callable[..., T], *args: object) -> T:
        """``work(*args)`` on a session thread; cancelling the await drops a step that has
        not started (asyncio cancels the pool's future with it)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(work, *args))

    def close(self) -> None:
        """Stop the threads once their steps end; queued steps never start."""
        self._pool.shutdown(wait=False, cancel_futures=True)


class LiveEpisode:
    """One session's episode, stepped on :class:`SessionThreads`."""

    def __init__(self, episode: Episode, threads: SessionThreads) -> None:
        self.episode = episode
        self._threads = threads

    @classmethod
    async def open(
        cls,
        threads: SessionThreads,
        build: Callable[[], Episode],
    ) -> LiveEpisode:
        """The episode ``build`` makes (run to its first decision on a session thread)."""
        return cls(await threads.call(build), threads)

    @property
    def observation(self) -> Observation | None:
        """The current decision's observation (the horizon's once done)."""
        return self.episode.observation

    async def act(self, action: Action) -> None:
        """Apply ``action`` and run to the next decision (raises the episode's
        :class:`~escapesim.engine.errors.ScenarioError` for a bad action, and stays)."""
        await self._threads.call(self.episode.act, action)

    async def token(self) -> bytes:
        """This decision's token."""
        return await self._threads.call(self.episode.token)
