"""The preset catalogue: published models and escapesim's own tumour-escape model."""

from __future__ import annotations

from escapesim.engine.network import Network
from escapesim.engine.presets import (
    birth_death,
    depillis,
    depillis2009,
    kirschner_panetta1998,
    kuznetsov1994,
)
from escapesim.engine.presets.escape2004 import NETWORK as ESCAPE2004

_CATALOGUE: tuple[Network, ...] = (
    kuznetsov1994.NETWORK,
    kirschner_panetta1998.NETWORK,
    depillis.NETWORK,
    depillis2009.NETWORK,
    birth_death.NETWORK,
    ESCAPE2004,
)


def catalog() -> tuple[Network, ...]:
    """Every preset, in a stable order."""
    return _CATALOGUE


def network(name: str) -> Network | None:
    """The preset called ``name``, or ``None``."""
    return next((n for n in _CATALOGUE if n.name == name), None)
