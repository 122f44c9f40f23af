"""The shape every mechanism and therapy module shares, and small rate-law helpers.

A module contributes parameters, channels and a *part*: an object bound to parameter
values that writes its channels' propensities (in the order of its ``CHANNELS``) and
adds its concentrations' production and decay. The preset's kinetics only concatenates
parts; no module knows the others' channels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Protocol

from engine.frozen import FrozenMap
from engine.network import Channel, Delay, FloatArray, ParameterSpec
from engine.presets.escape2004.state import State


class Part(Protocol):
    """A mechanism or therapy bound to its parameter values."""

    def fill(self, state: State, out: FloatArray) -> None:
        """Write the propensities (events per day) of the module's channels into ``out``.

        ``out`` is the module's own slice of the propensity vector, in ``CHANNELS`` order.
        """
        ...

    def levels(self, state: State, production: FloatArray, decay: FloatArray) -> None:
        """Add the module's production (per day) and first-order decay (1/day) in place."""
        ...


class Silent:
    """Mixin for parts that own no concentration."""

    def levels(self, state: State, production: FloatArray, decay: FloatArray) -> None:
        """Nothing to add."""


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


def saturating(amount: float, half: float) -> float:
    """Michaelis-Menten occupancy ``amount / (amount + half)`` (0 for no amount)."""
    return amount / (amount + half) if amount > 0.0 else 0.0


def clearance(half_life: float) -> float:
    """First-order elimination rate (1/day) of a drug with ``half_life`` days."""
    return math.log(2.0) / half_life


def values_of(values: Mapping[str, float], *names: str) -> tuple[float, ...]:
    """Several parameter values at once (plain floats for the hot loop)."""
    return tuple(float(values[n]) for n in names)
