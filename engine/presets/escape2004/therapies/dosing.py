"""Dosing shared by the drug therapies: a bolus into an exposure that decays by half-life.

A drug's exposure ``C`` (a concentration in dose units) jumps by the dose at every listed
day and then decays first-order with the drug's half-life (one-compartment
pharmacokinetics); its effect is the occupancy ``C/(C + EC50)``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from escapesim.engine.compiled import jit
from escapesim.engine.network import Administered, FloatArray, TherapyContext
from escapesim.engine.presets.escape2004.part import block, clearance, saturating

Give = Callable[[Administered, TherapyContext], None]


def bolus(level: str) -> Give:
    """A ``give`` that adds the dose to concentration ``level`` on every listed day."""

    def give(administered: Administered, ctx: TherapyContext) -> None:
        for day in administered.at_days:
            ctx.at(day, partial(ctx.add_level, level, administered.dose))

    return give


RATE, EC50 = 0, 1  # every exposure block starts with its clearance and EC50


def exposure(half_life: float, ec50: float, *rest: float) -> FloatArray:
    """A drug's parameter block: clearance (1/day), EC50, then its own parameters."""
    return block(clearance(half_life), ec50, *rest)


@jit
def occupancy(exposure: float, p: FloatArray) -> float:
    """The share of the drug's targets occupied at ``exposure``, ``C/(C + EC50)``."""
    return saturating(exposure, p[EC50])
