"""The group committer: writes in order, off the loop, many per transaction, and a write
that fails fails alone."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from escapesim.service.jobs.committer import Committer


class _Log:
    """A stand-in store: records writes and the transactions that committed them."""

    def __init__(self) -> None:
        self.committed: list[list[int]] = []
        self._open: list[int] | None = None
        self.threads: set[str] = set()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._open is not None:  # nested: joins the outer one
            yield
            return
        self._open = []
        try:
            yield
            self.committed.append(self._open)
        finally:
            self._open = None

    def write(self, value: int) -> None:
        self.threads.add(threading.current_thread().name)
        with self.transaction():
            if value < 0:
                raise sqlite3.IntegrityError(f"bad {value}")
            assert self._open is not None
            self._open.append(value)


def test_writes_commit_in_order_grouped_off_the_loop_and_fail_alone() -> None:
    log = _Log()
    committer = Committer("test-store", log.transaction)

    async def main() -> list[BaseException | None]:
        results = await asyncio.gather(
            *(committer.commit(log.write, v) for v in [1, 2, -3, 4, 5]), return_exceptions=True
        )
        await committer.commit(log.write, 6)
        return results

    try:
        results = asyncio.run(main())
    finally:
        committer.close()
    assert [r is None for r in results] == [True, True, False, True, True]
    assert isinstance(results[2], sqlite3.IntegrityError)
    assert [v for batch in log.committed for v in batch] == [1, 2, 4, 5, 6]
    assert log.threads == {"test-store"}


def test_writes_queued_during_a_commit_share_the_next_transaction() -> None:
    log = _Log()
    committer = Committer("test-store", log.transaction)
    release = threading.Event()

    def slow(value: int) -> None:
        release.wait(10)  # a commit in progress (an fsync)
        log.write(value)

    async def main() -> None:
        first = asyncio.ensure_future(committer.commit(slow, 0))
        await asyncio.sleep(0.05)  # the writer thread is inside the first commit
        rest = [asyncio.ensure_future(committer.commit(log.write, v)) for v in range(1, 6)]
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(first, *rest)

    try:
        asyncio.run(main())
    finally:
        committer.close()
    assert log.committed == [[0], [1, 2, 3, 4, 5]]


def test_a_closed_committer_refuses_writes() -> None:
    committer = Committer("test-store", _Log().transaction)
    committer.close()
    with pytest.raises(RuntimeError):
        asyncio.run(committer.commit(print, 1))
