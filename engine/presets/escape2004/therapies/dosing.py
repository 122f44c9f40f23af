"""Dosing shared by the drug therapies: a bolus into an exposure that decays by half-life.

A drug's exposure ``C`` (a concentration in dose units) jumps by the dose at every listed
day and then decays first-order with the drug's half-life (one-compartment
pharmacokinetics); its effect is the occupancy ``C/(C + EC50)``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from engine.network import Administered, FloatArray, TherapyContext
from engine.presets.escape2004.parts import clearance, saturating
from engine.presets.escape2004.state import State

Give = Callable[[Administered, TherapyContext], None]


def bolus(level: str) -> Give:
    """A ``give`` that adds the dose to concentration ``level`` on every listed day."""

    def give(administered: Administered, ctx: TherapyContext) -> None:
        for day in administered.at_days:
            ctx.at(day, partial(ctx.add_level, level, administered.dose))

    return give


class Exposure:
    """A drug exposure: first-order clearance and saturating occupancy."""

    def __init__(self, index: int, half_life: float, ec50: float) -> None:
        self.index, self.rate, self.ec50 = index, clearance(half_life), ec50

    def occupancy(self, exposure: float) -> float:
        """The share of the drug's targets occupied at ``exposure``, ``C/(C + EC50)``."""
        return saturating(exposure, self.ec50)

    def levels(self, state: State, production: FloatArray, decay: FloatArray) -> None:
        """Clearance of the exposure."""
        decay[self.index] += self.rate
