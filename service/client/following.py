"""Following a listing page after page, and a run or an ensemble until it is final."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

import grpc

from escapesim.service.client.replies import EnsembleInfo, RunInfo, ServiceError

if TYPE_CHECKING:
    from escapesim.service.client.analyses import AnalysisInfo
from escapesim.service.store.run_record import RunState

#: A run, an ensemble or an analysis: what :func:`wait_final` and :func:`pages` work on.
Info = TypeVar("Info", RunInfo, EnsembleInfo, "AnalysisInfo")


def pages(
    listing: Callable[..., tuple[list[Info], str]], state: RunState | None, page_size: int
) -> Iterator[Info]:
    """Every item of a listing (``list_runs``, ``list_ensembles``), page after page."""
    token = ""
    while True:
        items, token = listing(page_size=page_size, page_token=token, state=state)
        yield from items
        if not token:
            return


def wait_final(
    look: Callable[[], Info],
    follow: Callable[[int, float | None], Iterable[tuple[int, Info]]],
    name: str,
    timeout: float | None,
    on_update: Callable[[Info], None] | None,
) -> Info:
    """Watch a run or an ensemble until it is final: ``look`` gets it now, ``follow(after,
    remaining)`` yields (sequence, state) events after ``after`` for ``remaining`` seconds.
    A watch that ends before the end (a server restarting) is looked at again and resumed;
    past ``timeout`` seconds, :class:`ServiceError` DEADLINE_EXCEEDED."""
    deadline = None if timeout is None else time.monotonic() + timeout
    found, after = look(), 0
    while not found.terminal:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise ServiceError(grpc.StatusCode.DEADLINE_EXCEEDED, f"{name} still {found.state}")
        for sequence, found in follow(after, remaining):
            after = sequence
            if on_update is not None:
                on_update(found)
        if not found.terminal:
            time.sleep(0.1)  # the stream ended before the end: look again, then resume
            found = look()
    return found
