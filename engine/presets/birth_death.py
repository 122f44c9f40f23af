"""A linear birth–death process of tumour cells: the calibration model of the kernel.

    T → 2T at rate birth·T        T → ∅ at rate death·T

It has closed-form answers the stochastic kernel must reproduce (Kendall 1948; Bailey
1964, ch. 8): from T(0) = n and r = birth − death, E[T(t)] = n·e^{rt},
Var[T(t)] = n·(birth + death)/r · e^{rt}(e^{rt} − 1), and the probability that the
lineage eventually dies out is (death/birth)^n when death < birth. An ODE model cannot
show that extinction; this is the smallest example of why the engine is stochastic.

| channel         | propensity | change |
|-----------------|------------|--------|
| tumour_division | birth·T    | T + 1  |
| tumour_death    | death·T    | T − 1  |
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from escapesim.engine.compiled import NO_LEVELS, RATE_LAW, CompiledKinetics, Native, RateLaw
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.network import Channel, FloatArray, Network, ParameterSpec, Role, Species

PARAMETERS = (
    ParameterSpec(name="birth", unit="1/day", default=1.0, upper=100.0,
                  description="per-cell division rate", source="chosen for calibration"),
    ParameterSpec(name="death", unit="1/day", default=0.5, upper=100.0,
                  description="per-cell death rate", source="chosen for calibration"),
)  # fmt: skip

CHANNELS = (
    Channel(name="tumour_division", change=FrozenMap({"T": 1}), description="division birth·T"),
    Channel(name="tumour_death", change=FrozenMap({"T": -1}), description="death death·T"),
)


_BIRTH, _DEATH = range(2)  # the parameter vector


def _propensities(counts: FloatArray, levels: FloatArray, p: FloatArray, out: FloatArray) -> None:
    """Propensities in the order of :data:`CHANNELS`."""
    tumour = counts[0]
    out[0] = p[_BIRTH] * tumour
    out[1] = p[_DEATH] * tumour


PROPENSITIES: Native[RateLaw] = Native(_propensities, RATE_LAW)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> CompiledKinetics:
    """The two linear rate laws with their rates bound."""
    del switches  # nothing to switch
    parameters = np.array([values["birth"], values["death"]], dtype=np.float64)
    return CompiledKinetics(PROPENSITIES, NO_LEVELS, parameters, len(CHANNELS), 0)


NETWORK = Network(
    name="birth_death",
    title="Linear birth-death process (kernel calibration, closed-form answers)",
    citation="Kendall DG. Ann Math Stat 19:1-15 (1948)",
    splitting=__doc__ or "",
    species=(Species(name="T", unit="cells", initial=1.0, description="tumour cells",
                     label="tumour cells", role=Role.TUMOUR),),
    levels=(),
    parameters=PARAMETERS,
    channels=CHANNELS,
    tumour=("T",),
    bind=bind,
)
