"""The replicate's calendar: SimPy timeouts that say what they are, so they can be saved.

SimPy's queue holds events whose callbacks are closures, which cannot be pickled or
rebuilt. Every event a simulation schedules therefore goes through a :class:`Calendar`,
which keeps, for each pending event, its exact due time and an :class:`Entry` naming
what it will do (a sample, a delivery, the kinetics resuming, a dose). A checkpoint
stores the entries; a restored simulation schedules them again, in the same order.

Order is what makes a restored run bitwise identical: SimPy processes events by (time,
priority, insertion order), and every entry here is a NORMAL-priority timeout, so
scheduling the saved entries in their saved processing order reproduces it exactly.
Due times are kept as the floats SimPy computed (``now + delay``, which may differ from
the intended time by a rounding), and rescheduled at exactly those floats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import simpy

#: Entry kinds: a sample (``index``), a delivery of delayed products (``channel``,
#: ``due``), the kinetics resuming, a therapy's action (``index`` in the dose list), a
#: model's own time-triggered event (``index`` in the network's events).
SAMPLE, DELIVERY, KINETICS, DOSE = "sample", "delivery", "kinetics", "dose"
MODEL_EVENT = "model_event"


@dataclass(frozen=True, slots=True)
class Entry:
    """A pending calendar event: when it fires and what it does."""

    time: float
    kind: str
    index: int = 0
    due: float = 0.0


#: A pending entry's fields (an :class:`Entry`'s, in order) and its action.
_Pending = tuple[float, str, int, float, Callable[[], None]]


class Calendar:
    """Schedules a simulation's timed callbacks and remembers the pending ones.

    An entry due at the same time as the entry scheduled just before it, still pending,
    joins that entry's SimPy event instead of getting its own: SimPy would process the two
    one after the other with nothing between (nothing else was scheduled in between), so
    running them from one event is the same order for one heap push and pop fewer. That
    is the daily case: a sample, then the kinetics resuming at the same time.
    """

    def __init__(self, env: simpy.Environment) -> None:
        self._env = env
        # Each pending event's entries as plain tuples, events in the order they were
        # scheduled (a dict keeps it): only a checkpoint needs Entries (~1 µs each).
        self._pending: dict[simpy.Event, list[_Pending]] = {}
        self._last: simpy.Event | None = None  # the event scheduled most recently

    def after(
        self, delay: float, kind: str, action: Callable[[], None], index: int = 0,
        due: float = 0.0,
    ) -> None:  # fmt: skip
        """Run ``action`` after ``delay`` days, described by an :class:`Entry` of ``kind``,
        ``index`` and ``due`` whose time is the due time as SimPy computes it
        (``now + delay``)."""
        self._schedule(delay, (self._env.now + delay, kind, index, due, action))

    def at_exactly(self, entry: Entry, action: Callable[[], None]) -> None:
        """Run ``action`` at the float ``entry.time`` exactly (not before now)."""
        delay = _delay_to(self._env.now, entry.time)
        self._schedule(delay, (entry.time, entry.kind, entry.index, entry.due, action))

    def pending(self) -> list[Entry]:
        """The pending entries in the order SimPy will process them: by due time, then by
        the order they were scheduled (``sorted`` is stable)."""
        ordered = sorted(self._pending.values(), key=lambda entries: entries[0][0])
        return [Entry(*fields[:4]) for entries in ordered for fields in entries]

    def _schedule(self, delay: float, pending: _Pending) -> None:
        last = self._last
        if last is not None:
            joined = self._pending.get(last)
            if joined is not None and joined[-1][0] == pending[0]:
                joined.append(pending)
                return
        event = self._env.timeout(delay)
        self._pending[event] = [pending]
        self._last = event
        event.callbacks.append(self._fire)

    def _fire(self, event: simpy.Event) -> None:
        entries = self._pending[event]
        # One at a time, each leaving the calendar as it runs, as separate events would;
        # an entry an action schedules at this same time joins the end of the list.
        while len(entries) > 1:
            entries.pop(0)[4]()
        del self._pending[event]
        entries[0][4]()


def _delay_to(now: float, time: float) -> float:
    """A delay ``d >= 0`` with ``now + d == time`` in floating point (SimPy adds them)."""
    if time <= now:
        return 0.0
    delay = time - now
    for _ in range(8):  # the residual's correction lands on time within a step or two
        reached = now + delay
        if reached == time:
            return delay
        delay += time - reached
    raise ArithmeticError(f"no delay from {now!r} reaches {time!r} exactly")
