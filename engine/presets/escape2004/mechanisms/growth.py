"""Tumour growth: division and death of every clone (kinetic escape needs nothing more).

Logistic growth ``r·T·(1 − b·T)`` plus basal turnover is split into

| channel       | propensity                          | change  |
|---------------|-------------------------------------|---------|
| divide.<c>    | r·w_c·(1 − μ_c)·T_c                 | T_c + 1 |
| die.<c>       | (d + r·b·T)·T_c                     | T_c − 1 |

or, with ``gompertz_growth`` on (:mod:`.gompertz`), ``die.<c>`` at ``(d + β·ln T)·T_c``;
where ``w_c`` is the clone's relative fitness and ``μ_c`` the share of its divisions that
produce a variant daughter (both from :mod:`.variants`). Basal deaths matter: dying
antigen-bearing cells are what dendritic cells load antigen from before any CTL kills,
though an apoptotic death loads them only ``apoptotic_immunogenicity`` as well as an
immune kill (:mod:`.presentation`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, FloatArray, Role, Species
from escapesim.engine.presets.escape2004.clones import CLONES
from escapesim.engine.presets.escape2004.mechanisms import gompertz, variants
from escapesim.engine.presets.escape2004.part import (
    Part,
    block,
    channel,
    is_on,
    parameter,
    values_of,
)
from escapesim.engine.presets.escape2004.state import TUMOUR

KUZNETSOV = "Kuznetsov et al. 1994 (a = 0.18/day net growth of BCL1)"

PARAMETERS = (
    parameter("division_rate", "1/day", 0.23, "tumour cell division rate",
              KUZNETSOV + ", split as 0.23 divisions − 0.05 basal deaths", upper=10.0),
    parameter("death_rate", "1/day", 0.05, "basal (non-immune) tumour cell death",
              "chosen so that the net growth is Kuznetsov's 0.18/day"
              "; the line's apoptotic index without immune pressure (its cell-loss factor, "
              "in an immunodeficient host) would pin it", upper=10.0),
    parameter("inverse_capacity", "1/cell", 2e-11, "inverse carrying capacity b",
              "chosen so that 1e9 (escape) and 1e10 cells lie below the capacity 5e10"
              "; growth curves of the line followed to their plateau in immunodeficient "
              "hosts would pin it",
              upper=1.0),
)  # fmt: skip

_N = len(CLONES)

#: The founder tumour by default: 1e4 cells with no escape trait.
DEFAULT_TUMOUR = 1e4

SPECIES = tuple(
    Species(name=c.name, unit="cells", initial=DEFAULT_TUMOUR if not c.traits else 0.0,
            description=f"tumour clone: {c.describe()}", label=c.label, role=Role.TUMOUR)
    for c in CLONES
)  # fmt: skip

CHANNELS: tuple[Channel, ...] = (
    *(channel(f"divide.{c.name}", {c.name: 1}, "tumour cell division") for c in CLONES),
    *(
        channel(f"die.{c.name}", {c.name: -1}, "basal and competitive tumour death", order=2)
        for c in CLONES
    ),
)


_DEATH, _DIVISION, _INVERSE_CAPACITY, _GOMPERTZ, _FAITHFUL = range(5)  # then one per clone


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block; ``faithful`` per clone: divisions whose daughters both keep the
    parent type (the variant share and the fitness come from :mod:`.variants`)."""
    division, death, inverse_capacity, beta = values_of(
        values, "division_rate", "death_rate", "inverse_capacity", "gompertz_rate"
    )
    fitness = variants.fitness(values)
    mutating = variants.mutating(values, is_on(switches, variants.MECHANISM))
    # The growth law: Gompertz's β (logistic crowding off), or -1 for the logistic law.
    law = beta if is_on(switches, gompertz.MECHANISM) else -1.0
    return block(death, division, inverse_capacity, law,
                 division * fitness * (1.0 - mutating))  # fmt: skip


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """Divisions then deaths, clone by clone."""
    if p[_GOMPERTZ] < 0.0:
        crowding = p[_DEATH] + p[_DIVISION] * p[_INVERSE_CAPACITY] * s[TUMOUR]
    else:
        crowding = p[_DEATH] + p[_GOMPERTZ] * math.log(max(s[TUMOUR], 1.0))
    for c in range(_N):
        out[c] = p[_FAITHFUL + c] * counts[c]
        out[_N + c] = crowding * counts[c]


PART = Part(
    name="growth",
    description=str(__doc__),
    parameters=PARAMETERS,
    species=SPECIES,
    channels=CHANNELS,
    bind=bind,
    fill=fill,
    release_weight="apoptotic_immunogenicity",
)
