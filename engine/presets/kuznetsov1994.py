"""Kuznetsov, Makalkin, Taylor & Perelson 1994 (Bull Math Biol 56:295-321): BCL1 lymphoma.

    dE/dt = s + p·E·T/(g + T) − m·E·T − d·E
    dT/dt = a·T·(1 − b·T) − n·E·T

How the ODE terms become stochastic channels (each fires ±1 cell):

| channel          | propensity      | change |
|------------------|-----------------|--------|
| effector_influx  | s               | E + 1  |
| recruitment      | p·E·T/(g + T)   | E + 1  |
| inactivation     | m·E·T           | E − 1  |
| effector_death   | d·E             | E − 1  |
| tumour_division  | a·T             | T + 1  |
| competition      | a·b·T²          | T − 1  |
| ctl_kill         | n·E·T           | T − 1  |

Logistic growth ``a·T·(1 − b·T)`` is split into births ``a·T`` and competitive deaths
``a·b·T²``, so the mean of the chain follows the ODE in the large-population limit.
Parameter values: BioModels BIOMD0000000762.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from escapesim.engine.compiled import NO_LEVELS, RATE_LAW, CompiledKinetics, Native, RateLaw
from escapesim.engine.network import Channel, FloatArray, Network, ParameterSpec, Role, Species

SOURCE = "Kuznetsov et al. 1994; BioModels BIOMD0000000762"

PARAMETERS = (
    ParameterSpec(name="s", unit="cells/day", default=1.3e4, upper=1e12,
                  description="constant effector influx", source=SOURCE),
    ParameterSpec(name="p", unit="1/day", default=0.1245, upper=100.0,
                  description="maximal tumour-driven effector recruitment", source=SOURCE),
    ParameterSpec(name="g", unit="cells", default=2.019e7, upper=1e15,
                  description="half-saturation tumour size of recruitment", source=SOURCE),
    ParameterSpec(name="m", unit="1/(cell·day)", default=3.422e-10, upper=1.0,
                  description="effector inactivation by tumour cells", source=SOURCE),
    ParameterSpec(name="d", unit="1/day", default=0.0412, upper=100.0,
                  description="effector death", source=SOURCE),
    ParameterSpec(name="a", unit="1/day", default=0.18, upper=100.0,
                  description="maximal tumour growth", source=SOURCE),
    ParameterSpec(name="b", unit="1/cell", default=2.0e-9, upper=1.0,
                  description="inverse carrying capacity", source=SOURCE),
    ParameterSpec(name="n", unit="1/(cell·day)", default=1.101e-7, upper=1.0,
                  description="tumour kill by effectors", source=SOURCE),
)  # fmt: skip


_channel = Channel.of

CHANNELS = (
    _channel("effector_influx", {"E": 1}, "constant influx s"),
    _channel("recruitment", {"E": 1}, "tumour-driven recruitment p·E·T/(g+T)", 2),
    _channel("inactivation", {"E": -1}, "effector inactivation m·E·T", 2),
    _channel("effector_death", {"E": -1}, "effector death d·E"),
    _channel("tumour_division", {"T": 1}, "tumour division a·T"),
    _channel("competition", {"T": -1}, "competitive tumour death a·b·T²", 2),
    _channel("ctl_kill", {"T": -1}, "tumour kill by effectors n·E·T", 2),
)


_NAMES = ("s", "p", "g", "m", "d", "a", "b", "n")  # the parameter vector's order
_S, _P, _G, _M, _D, _A, _B, _N = range(len(_NAMES))


def _propensities(counts: FloatArray, levels: FloatArray, p: FloatArray, out: FloatArray) -> None:
    """Propensities in the order of :data:`CHANNELS`."""
    effectors, tumour = counts[0], counts[1]
    encounters = effectors * tumour
    out[0] = p[_S]
    out[1] = p[_P] * effectors * tumour / (p[_G] + tumour) if tumour > 0 else 0.0
    out[2] = p[_M] * encounters
    out[3] = p[_D] * effectors
    out[4] = p[_A] * tumour
    out[5] = p[_A] * p[_B] * tumour * tumour
    out[6] = p[_N] * encounters


PROPENSITIES: Native[RateLaw] = Native(_propensities, RATE_LAW)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> CompiledKinetics:
    """The rate laws with the parameter values bound."""
    del switches  # the reference model has no switchable mechanisms
    parameters = np.array([values[name] for name in _NAMES], dtype=np.float64)
    return CompiledKinetics(PROPENSITIES, NO_LEVELS, parameters, len(CHANNELS), 0)


NETWORK = Network(
    name="kuznetsov1994",
    title="Kuznetsov et al. 1994: effector-tumour dynamics of BCL1 lymphoma",
    citation="Kuznetsov VA, Makalkin IA, Taylor MA, Perelson AS. Bull Math Biol 56:295-321 (1994)",
    splitting=__doc__ or "",
    species=(
        Species(name="E", unit="cells", initial=3.2e5, description="effector cells at the tumour",
                label="effector cells", role=Role.EFFECTOR),
        Species(name="T", unit="cells", initial=5e6, description="tumour cells",
                label="tumour cells", role=Role.TUMOUR),
    ),
    levels=(),
    parameters=PARAMETERS,
    channels=CHANNELS,
    tumour=("T",),
    bind=bind,
)
