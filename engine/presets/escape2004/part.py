"""What a part of the escape2004 preset is, and the small helpers its rate laws share.

A *part* is one mechanism or therapy: one module that declares everything it does in one
:class:`Part` value (its ``PART``), and one entry in :data:`.parts.PARTS`. The preset's
species, parameters, channels, switches, therapies and both compiled rate laws are
assembled from that list (:mod:`.kinetics`); no part knows another's channels.

A part declares

* ``parameters`` (network parameters, with defaults and sources), ``species`` and
  ``levels`` (the populations and concentrations it owns; their indices are fixed in
  :mod:`.layout`), ``channels`` (its stochastic reactions, in the order it fills them);
* ``mechanism`` (a switch in the scenario's ``mechanisms`` map) or ``therapy`` (given in
  the scenario's ``therapies`` list), or neither for the always-on parts;
* ``bind(values, switches) -> FloatArray``: its parameter block, the numbers its compiled
  code reads (switches folded in; ``switches`` holds every mechanism's);
* ``signals``: what it tells other parts, one compiled ``(counts, levels, s, p) -> float``
  per index of :mod:`.state` (``p`` its own block);
* ``fill(counts, levels, s, p, out)`` (compiled): its channels' propensities into ``out``,
  its own slice; ``after_release`` if it reads the ``RELEASE`` signal (filled after the
  tumour-death propensities are known);
* ``level_rates(counts, levels, s, p, production, decay)`` (compiled): adds production
  per day and first-order decay per day of concentrations, in place;
* ``release_weight``: if its channels kill antigen-bearing tumour cells, the parameter
  weighting how much antigen with danger signals one such death gives DCs, relative to an
  immune kill (immunogenic cell death; "" for weight 1, :mod:`.mechanisms.presentation`).

A part's channels carry its ``name`` as their ``component``: their tau-leap firings draw
from the part's own random stream, ``leap:<name>`` (docs/design.md, "Randomness").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from escapesim.engine.compiled import jit
from escapesim.engine.network import (
    Channel,
    FloatArray,
    MechanismSpec,
    ParameterSpec,
    Role,
    Species,
    TherapySpec,
)

#: ``bind(values, switches)``: a part's parameter block.
Bind = Callable[[Mapping[str, float], Mapping[str, bool]], FloatArray]


def no_block(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """The parameter block of a part whose compiled code reads no parameter."""
    return np.zeros(0)


@dataclass(frozen=True, kw_only=True, slots=True)
class Signal:
    """A value one part computes for others: ``compute(counts, levels, s, p)`` (compiled,
    ``p`` the part's block) written at index ``index`` of the signals vector."""

    index: int
    compute: Any


@dataclass(frozen=True, kw_only=True, slots=True)
class Part:
    """One mechanism or therapy of escape2004: everything it adds to the model."""

    name: str  # its mechanism's or therapy's name, and its random stream's key
    description: str  # its module docstring: what it does, its channel table
    parameters: tuple[ParameterSpec, ...] = ()
    species: tuple[Species, ...] = ()
    levels: tuple[Species, ...] = ()
    channels: tuple[Channel, ...] = ()
    mechanism: MechanismSpec | None = None
    therapy: TherapySpec | None = None
    bind: Bind = no_block
    signals: tuple[Signal, ...] = ()
    fill: Any = None
    after_release: bool = False
    level_rates: Any = None
    release_weight: str = ""

    def __post_init__(self) -> None:
        # A part's channels draw their leaps from the part's stream (common random numbers).
        channels = tuple(replace(c, component=self.name) for c in self.channels)
        object.__setattr__(self, "channels", channels)
        assert (self.fill is None) == (not self.channels), f"{self.name}: fill iff channels"


def is_on(switches: Mapping[str, bool], mechanism: MechanismSpec) -> bool:
    """Whether ``mechanism`` is switched on (its default when the map does not say)."""
    return bool(switches.get(mechanism.name, mechanism.enabled))


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


#: A channel with frozen stoichiometry (one constructor for every preset).
channel = Channel.of


def cells(
    name: str, description: str, initial: float = 0.0, *, label: str, role: Role
) -> Species:
    """A population of cells, with its name in words and its role (for figures)."""
    return Species(name=name, unit="cells", initial=initial, description=description,
                   label=label, role=role)  # fmt: skip


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
