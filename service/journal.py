"""The event journal of one active run: what watchers read and wait on.

Every event carries a whole :class:`~service.run.Run` snapshot, so a watcher that misses
intermediate progress loses nothing: the journal keeps every state change but only the
latest progress event after it (progress is coalesced, memory stays a few events per
run). Sequences grow by one per event recorded, coalesced or not, so a watcher resumes
with "everything after the last sequence I saw".
"""

from __future__ import annotations

import asyncio

from service.run import Run, RunEvent


class Journal:
    """Events of one run while it is active in this process (single event loop)."""

    def __init__(self, run: Run, sequence: int) -> None:
        self._events: list[RunEvent] = [RunEvent(sequence, run)]
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

    def record(self, run: Run, *, progress: bool) -> RunEvent:
        """Append an event; a progress event replaces a progress event just before it."""
        event = RunEvent(self.sequence + 1, run)
        if progress and self._last_is_progress:
            self._events[-1] = event
        else:
            self._events.append(event)
        self._last_is_progress = progress
        self._wake()
        return event

    def after(self, sequence: int) -> list[RunEvent]:
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
