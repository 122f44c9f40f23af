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

import itertools
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


class Calendar:
    """Schedules a simulation's timed callbacks and remembers the pending ones."""

    def __init__(self, env: simpy.Environment) -> None:
        self._env = env
        self._order = itertools.count()
        # Entry fields as a plain tuple: a replicate schedules an event or two per sampled
        # day, and only a checkpoint needs them as Entries (building one costs ~1 µs).
        self._pending: dict[int, tuple[float, str, int, float]] = {}

    def after(
        self, delay: float, kind: str, action: Callable[[], None], index: int = 0,
        due: float = 0.0,
    ) -> None:  # fmt: skip
        """Run ``action`` after ``delay`` days, described by an :class:`Entry` of ``kind``,
        ``index`` and ``due`` whose time is the due time as SimPy computes it
        (``now + delay``)."""
        event = self._env.timeout(delay)
        self._track(event, (self._env.now + delay, kind, index, due), action)

    def at_exactly(self, entry: Entry, action: Callable[[], None]) -> None:
        """Run ``action`` at the float ``entry.time`` exactly (not before now)."""
        event = self._env.timeout(_delay_to(self._env.now, entry.time))
        self._track(event, (entry.time, entry.kind, entry.index, entry.due), action)

    def pending(self) -> list[Entry]:
        """The pending entries in the order SimPy will process them."""
        ordered = sorted(self._pending.items(), key=lambda item: (item[1][0], item[0]))
        return [Entry(*fields) for _, fields in ordered]

    def _track(
        self, event: simpy.Event, fields: tuple[float, str, int, float],
        action: Callable[[], None],
    ) -> None:  # fmt: skip
        key = next(self._order)
        self._pending[key] = fields

        def fire(_event: simpy.Event) -> None:
            del self._pending[key]
            action()

        event.callbacks.append(fire)


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
