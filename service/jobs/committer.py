"""Store writes off the event loop, in order, many per transaction (group commit).

A commit with ``synchronous=FULL`` waits for the disk (an fsync, milliseconds): done on
the event loop it holds up every call in flight. :class:`Committer` runs writes on its own
thread, in the order they were submitted; writes that queue up while a commit is in
progress are committed together in the next transaction, so under load one fsync serves
many of them. ``await commit(...)`` returns only once its write is committed: durable
before acknowledged. If a batch fails, its writes are retried one by one, so a write
fails only for its own reason.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

#: Most writes in one transaction.
MAX_BATCH = 256

#: A queued write: the function, its arguments, and the loop and future of its caller.
_Write = tuple[
    Callable[..., None], tuple[Any, ...], asyncio.AbstractEventLoop, asyncio.Future[None]
]


class Committer:
    """A writer thread over ``transaction`` (a context manager whose writes commit together)."""

    def __init__(self, name: str, transaction: Callable[[], AbstractContextManager[Any]]) -> None:
        self._name = name
        self._transaction = transaction
        self._queue: queue.SimpleQueue[_Write | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False

    async def commit(self, write: Callable[..., None], *args: Any) -> None:
        """Run ``write(*args)`` on the writer thread; returns once it is committed."""
        if self._closed:
            raise RuntimeError(f"{self._name} is closed")
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put((write, args, loop, done))
        # Shielded: a caller cancelled meanwhile does not undo a write already queued.
        await asyncio.shield(done)

    def close(self) -> None:
        """Commit what is queued, then stop the thread (blocks until it has)."""
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Write]) -> None:
        try:
            with self._transaction():
                for write, args, _, _ in batch:
                    write(*args)
            outcomes: list[BaseException | None] = [None] * len(batch)
        except Exception:
            outcomes = [self._alone(write, args) for write, args, _, _ in batch]
        for (_, _, loop, done), outcome in zip(batch, outcomes, strict=True):
            loop.call_soon_threadsafe(_settle, done, outcome)

    def _alone(self, write: Callable[..., None], args: tuple[Any, ...]) -> BaseException | None:
        try:
            with self._transaction():
                write(*args)
        except Exception as error:
            return error
        return None


def _settle(done: asyncio.Future[None], outcome: BaseException | None) -> None:
    if done.done():
        return
    if outcome is None:
        done.set_result(None)
    else:
        done.set_exception(outcome)
