"""A model's own events (SBML events) in a running simulation.

Time-triggered events go on the simulation's calendar (exact, and saved as calendar
entries); state-triggered events are polled after every kernel step and every external
change, and fire when their trigger turns from false to true (docs/sbml.md: at most one
step late, and the simulation runs exact bursts of one event so a step is one event).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial

from escapesim.engine.calendar import MODEL_EVENT, Calendar
from escapesim.engine.checkpoint import CheckpointError
from escapesim.engine.kernel import KernelSettings
from escapesim.engine.network import FloatArray, Network


class ModelEvents:
    """The events of ``network``, acting on the bound ``parameters`` (changed in place)."""

    def __init__(self, network: Network, parameters: FloatArray) -> None:
        self._events = network.events
        self._parameters = parameters
        # A state trigger's last value: it fires on a false-to-true turn only.
        self._polled = {e.name: e.initial_value for e in self._events if e.at is None}

    @property
    def state_triggered(self) -> bool:
        """Whether any event is triggered by the state (so must be polled)."""
        return bool(self._polled)

    def settings(self, settings: KernelSettings) -> KernelSettings:
        """``settings`` for this model: with state triggers, the kernel returns after every
        step and runs exact bursts of one event, so a trigger is seen the instant it turns
        true (docs/sbml.md)."""
        if not self.state_triggered:
            return settings
        return dataclasses.replace(settings, ssa_burst=1, stepwise=True)

    def schedule(self, calendar: Calendar, now: float, fire: Callable[[int], None]) -> None:
        """Put every time-triggered event on ``calendar``; ``fire(i)`` runs event ``i``."""
        for i, event in enumerate(self._events):
            if event.at is None:
                continue
            day = event.at(self._parameters)
            if day > 0.0 or not event.initial_value:
                calendar.after(max(day - now, 0.0), MODEL_EVENT, partial(fire, i), i)

    def check_keepable(self) -> None:
        """Refuse a checkpoint: an event's assignments may change parameters, which a
        checkpoint does not keep."""
        if self._events:
            raise CheckpointError("checkpoint: models with their own (SBML) events cannot be kept")

    def fire(self, i: int, t: float, counts: FloatArray, levels: FloatArray) -> None:
        """Carry out event ``i``'s assignments now."""
        self._events[i].fire(t, counts, levels, self._parameters)

    def poll(self, t: float, counts: FloatArray, levels: FloatArray) -> bool:
        """Fire every state-triggered event whose trigger turned true; True if one did."""
        if not self._polled:
            return False  # most models have none: _watch runs after every kernel step
        fired = False
        for event in self._events:
            if event.trigger is None:
                continue
            now = bool(event.trigger(t, counts, levels, self._parameters))
            if now and not self._polled[event.name]:
                event.fire(t, counts, levels, self._parameters)
                fired = True
            self._polled[event.name] = now
        return fired
