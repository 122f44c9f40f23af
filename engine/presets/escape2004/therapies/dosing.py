"""Dosing shared by the drug therapies: a bolus into an exposure that decays by half-life.

A drug's exposure ``C`` (a concentration in dose units) jumps by the dose at every listed
day and then decays first-order with the drug's half-life (one-compartment
pharmacokinetics); its effect is the occupancy ``C/(C + EC50)``.

The cell therapies instead deliver cells: each cell of a dose reaches its destination
with probability ``homing``, independently, so a dose's arrivals are a binomial draw
(:func:`deliver`) from the therapy's own random stream (common random numbers: other
parts' draws do not move when a dose changes).
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


def deliver(ctx: TherapyContext, therapy: str, population: str, dose: float, homing: float) -> None:
    """Add the cells of a ``dose`` that reach ``population``: each with probability
    ``homing``, drawn from the stream ``therapy`` and counted as ``therapy``."""
    arriving = ctx.random(therapy).binomial(round(dose), homing)
    ctx.add_count(population, float(arriving), therapy)


RATE, EC50 = 0, 1  # every exposure block starts with its clearance and EC50


def exposure(half_life: float, ec50: float, *rest: float) -> FloatArray:
    """A drug's parameter block: clearance (1/day), EC50, then its own parameters."""
    return block(clearance(half_life), ec50, *rest)


@jit
def occupancy(exposure: float, p: FloatArray) -> float:
    """The share of the drug's targets occupied at ``exposure``, ``C/(C + EC50)``."""
    return saturating(exposure, p[EC50])
