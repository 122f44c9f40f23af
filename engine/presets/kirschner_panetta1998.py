"""Kirschner & Panetta 1998 (J Math Biol 37:235-252): effectors, tumour and IL-2.

    dE/dt = c·T − mu2·E + p1·E·I/(g1 + I) + s1
    dT/dt = r2·T·(1 − b·T) − a·E·T/(g2 + T)
    dI/dt = p2·E·T/(g3 + T) − mu3·I + s2

How the ODE terms become stochastic channels (each fires ±1 cell):

| channel             | propensity         | change |
|---------------------|--------------------|--------|
| antigen_stimulation | c·T                | E + 1  |
| effector_death      | mu2·E              | E − 1  |
| il2_proliferation   | p1·E·I/(g1 + I)    | E + 1  |
| adoptive_influx     | s1                 | E + 1  |
| tumour_division     | r2·T               | T + 1  |
| competition         | r2·b·T²            | T − 1  |
| ctl_kill            | a·E·T/(g2 + T)     | T − 1  |

IL-2 (``I``) is a concentration, not a count: between events it follows
``dI/dt = p2·E·T/(g3 + T) + s2 − mu3·I`` with E and T held at their current counts,
integrated exactly over each step. The equations are the paper's (both BioModels
encodings mistype the IL-2 proliferation term).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from escapesim.engine.compiled import (
    LEVEL_LAW,
    RATE_LAW,
    CompiledKinetics,
    LevelLaw,
    Native,
    RateLaw,
)
from escapesim.engine.network import Channel, FloatArray, Network, ParameterSpec, Role, Species

SOURCE = "Kirschner & Panetta 1998, table 1"

PARAMETERS = (
    ParameterSpec(name="c", unit="1/day", default=0.035, upper=10.0,
                  description="tumour antigenicity (effector stimulation per tumour cell)",
                  source=SOURCE + " (range 0 to 0.05)"),
    ParameterSpec(name="mu2", unit="1/day", default=0.03, upper=100.0,
                  description="effector death", source=SOURCE),
    ParameterSpec(name="p1", unit="1/day", default=0.1245, upper=100.0,
                  description="IL-2-driven effector proliferation", source=SOURCE),
    ParameterSpec(name="g1", unit="IL-2 units", default=2e7, upper=1e15,
                  description="half-saturation of IL-2-driven proliferation", source=SOURCE),
    ParameterSpec(name="g2", unit="cells", default=1e5, upper=1e15,
                  description="half-saturation of tumour kill", source=SOURCE),
    ParameterSpec(name="r2", unit="1/day", default=0.18, upper=100.0,
                  description="tumour growth", source=SOURCE),
    ParameterSpec(name="b", unit="1/cell", default=1e-9, upper=1.0,
                  description="inverse carrying capacity", source=SOURCE),
    ParameterSpec(name="a", unit="1/day", default=1.0, upper=1000.0,
                  description="maximal kill rate", source=SOURCE),
    ParameterSpec(name="mu3", unit="1/day", default=10.0, upper=1000.0,
                  description="IL-2 decay", source=SOURCE),
    ParameterSpec(name="p2", unit="IL-2 units/(cell·day)", default=5.0, upper=1e6,
                  description="IL-2 production by stimulated effectors", source=SOURCE),
    ParameterSpec(name="g3", unit="cells", default=1e3, upper=1e15,
                  description="half-saturation of IL-2 production", source=SOURCE),
    ParameterSpec(name="s1", unit="cells/day", default=0.0, upper=1e12,
                  description="adoptive transfer influx (therapy)", source=SOURCE),
    ParameterSpec(name="s2", unit="IL-2 units/day", default=0.0, upper=1e12,
                  description="exogenous IL-2 (therapy)", source=SOURCE),
)  # fmt: skip


_channel = Channel.of

CHANNELS = (
    _channel("antigen_stimulation", {"E": 1}, "effector stimulation by antigen c·T"),
    _channel("effector_death", {"E": -1}, "effector death mu2·E"),
    _channel("il2_proliferation", {"E": 1}, "IL-2-driven proliferation p1·E·I/(g1+I)"),
    # The therapy leaps from its own stream: a treated arm keeps the untreated one's draws.
    _channel("adoptive_influx", {"E": 1}, "adoptive transfer influx s1", component="s1"),
    _channel("tumour_division", {"T": 1}, "tumour division r2·T"),
    _channel("competition", {"T": -1}, "competitive tumour death r2·b·T²", 2),
    _channel("ctl_kill", {"T": -1}, "tumour kill a·E·T/(g2+T)", 2),
)


_NAMES = ("c", "mu2", "p1", "g1", "g2", "r2", "b", "a", "mu3", "p2", "g3", "s1", "s2")
_C, _MU2, _P1, _G1, _G2, _R2, _B, _A, _MU3, _P2, _G3, _S1, _S2 = range(len(_NAMES))


def _propensities(counts: FloatArray, levels: FloatArray, p: FloatArray, out: FloatArray) -> None:
    """Propensities in the order of :data:`CHANNELS`."""
    effectors, tumour, il2 = counts[0], counts[1], levels[0]
    out[0] = p[_C] * tumour
    out[1] = p[_MU2] * effectors
    out[2] = p[_P1] * effectors * il2 / (p[_G1] + il2) if il2 > 0 else 0.0
    out[3] = p[_S1]
    out[4] = p[_R2] * tumour
    out[5] = p[_R2] * p[_B] * tumour * tumour
    out[6] = p[_A] * effectors * tumour / (p[_G2] + tumour) if tumour > 0 else 0.0


def _level_rates(
    counts: FloatArray, levels: FloatArray, p: FloatArray, production: FloatArray,
    decay: FloatArray,
) -> None:  # fmt: skip
    """IL-2 production per day and its first-order decay."""
    effectors, tumour = counts[0], counts[1]
    production[0] = p[_P2] * effectors * tumour / (p[_G3] + tumour) + p[_S2]
    decay[0] = p[_MU3]


PROPENSITIES: Native[RateLaw] = Native(_propensities, RATE_LAW)
LEVEL_RATES: Native[LevelLaw] = Native(_level_rates, LEVEL_LAW)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> CompiledKinetics:
    """The rate laws with the parameter values bound."""
    del switches  # the reference model has no switchable mechanisms
    parameters = np.array([values[name] for name in _NAMES], dtype=np.float64)
    return CompiledKinetics(PROPENSITIES, LEVEL_RATES, parameters, len(CHANNELS), 1)


NETWORK = Network(
    name="kirschner_panetta1998",
    title="Kirschner & Panetta 1998: effectors, tumour and IL-2",
    citation="Kirschner D, Panetta JC. J Math Biol 37:235-252 (1998)",
    splitting=__doc__ or "",
    species=(
        Species(name="E", unit="cells", initial=1.0, description="activated effector cells",
                label="activated effector cells", role=Role.EFFECTOR),
        Species(name="T", unit="cells", initial=100.0, description="tumour cells",
                label="tumour cells", role=Role.TUMOUR),
    ),
    levels=(
        Species(
            name="I",
            unit="IL-2 units",
            initial=1.0,
            upper=1e15,
            description="IL-2 concentration at the tumour site",
            label="IL-2",
            role=Role.SIGNAL,
        ),
    ),
    parameters=PARAMETERS,
    channels=CHANNELS,
    tumour=("T",),
    bind=bind,
)
