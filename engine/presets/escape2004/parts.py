"""The shape every mechanism and therapy module shares, and small rate-law helpers.

A module contributes ``PARAMETERS``, ``CHANNELS`` and a *part*:

* ``bind(values, ...) -> FloatArray``: its parameter block, the numbers its rate laws
  read, in the order its ``_NAMES``/index constants give (switches folded in);
* ``fill(counts, levels, signals, block, out)`` (compiled, if it has channels): write its
  channels' propensities into ``out``, its own slice, in ``CHANNELS`` order;
* ``levels(counts, levels, signals, block, production, decay)`` (compiled, if it owns a
  concentration): add production per day and first-order decay per day in place.

``signals`` holds what several modules share (see :mod:`.state`). The preset's kinetics
only concatenates blocks and slices; no module knows the others' channels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from escapesim.engine.compiled import jit
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.network import Channel, Delay, FloatArray, ParameterSpec


def parameter(
    name: str,
    unit: str,
    default: float,
    description: str,
    source: str,
    *,
    lower: float = 0.0,
    upper: float = 1e12,
) -> ParameterSpec:
    """A parameter spec (keyword-light, so the tables in each module stay readable)."""
    return ParameterSpec(
        name=name, unit=unit, default=default, description=description,
        lower=lower, upper=upper, source=source,
    )  # fmt: skip


def channel(
    name: str,
    change: Mapping[str, int],
    description: str,
    *,
    delayed: Mapping[str, int] | None = None,
    delay: Delay | None = None,
    order: int = 1,
) -> Channel:
    """A channel with frozen stoichiometry."""
    return Channel(
        name=name, change=FrozenMap(change), description=description,
        delayed=FrozenMap(delayed or {}), delay=delay, order=order,
    )  # fmt: skip


@jit
def saturating(amount: float, half: float) -> float:
    """Michaelis-Menten occupancy ``amount / (amount + half)`` (0 for no amount)."""
    return amount / (amount + half) if amount > 0.0 else 0.0


def clearance(half_life: float) -> float:
    """First-order elimination rate (1/day) of a drug with ``half_life`` days."""
    return math.log(2.0) / half_life


def block(*values: float | FloatArray) -> FloatArray:
    """A parameter block: scalars and per-clone vectors, concatenated in order."""
    return np.concatenate([np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in values])


def values_of(values: Mapping[str, float], *names: str) -> tuple[float, ...]:
    """Several parameter values at once, as plain floats."""
    return tuple(float(values[n]) for n in names)
