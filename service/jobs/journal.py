"""The event journal of one active run (or ensemble): what watchers read and wait on.

Every event carries a whole snapshot (a :class:`~service.store.run_record.Run`, or an
ensemble), so a watcher that misses intermediate progress loses nothing: the journal keeps
every state change but only the latest progress event after it (progress is coalesced, memory stays
a few events per run). Sequences grow by one per event recorded, coalesced or not, so a
watcher resumes with "everything after the last sequence I saw".
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from escapesim.service.store.run_record import RunEvent


class _Event(Protocol):
    @property
    def sequence(self) -> int: ...


E = TypeVar("E", bound=_Event)


class Journal(Generic[E]):
    """Events of one run while it is active in this process (single event loop).

    ``make`` builds an event from (sequence, snapshot): :class:`~service.store.run_record.RunEvent`
    for runs; the ensemble lifecycle passes its own event type.
    """

    def __init__(
        self,
        run: Any,
        sequence: int,
        make: Callable[[int, Any], E] = RunEvent,  # type: ignore[assignment]
    ) -> None:
        self._make = make
        self._events: list[E] = [make(sequence, run)]
        self._last_is_progress = False
        self._closed = False
        self._changed = asyncio.Event()

    @property
    def sequence(self) -> int:
        """The sequence of the latest event."""
        return self._events[-1].sequence

    @property
    def closed(self) -> bool:
        """Whether the run has left this journal (finished, or the service is draining)."""
        return self._closed

    def record(self, run: Any, *, progress: bool) -> E:
        """Append an event; a progress event replaces a progress event just before it."""
        event = self._make(self.sequence + 1, run)
        if progress and self._last_is_progress:
            self._events[-1] = event
        else:
            self._events.append(event)
        self._last_is_progress = progress
        self._wake()
        return event

    def after(self, sequence: int) -> list[E]:
        """The kept events with a sequence greater than ``sequence``."""
        return [e for e in self._events if e.sequence > sequence]

    def close(self) -> None:
        """Wake every waiter for the last time; later waits return at once."""
        self._closed = True
        self._wake()

    async def wait(self, sequence: int) -> None:
        """Return once an event after ``sequence`` exists or the journal is closed."""
        while self.sequence <= sequence and not self._closed:
            await self._changed.wait()

    def _wake(self) -> None:
        # A fresh Event per generation: waiters of the old one wake, new waiters block.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
