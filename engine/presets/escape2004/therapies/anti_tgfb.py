"""TGF-β blockade: the antibody neutralises TGF-β, releasing the humoral-suppression brake.

The blocked share ``C/(C + EC50)`` is this part's signal ``TGF_BLOCKED``: it removes
that share of TGF-β from the brake of :mod:`..mechanisms.suppression`. No channel of its
own.
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import FloatArray, Role, Species, TherapySpec
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.part import Part, Signal, parameter, values_of
from escapesim.engine.presets.escape2004.state import TGF_BLOCKED
from escapesim.engine.presets.escape2004.therapies.dosing import RATE, bolus, exposure, occupancy

PARAMETERS = (
    parameter("anti_tgfb_half_life", "days", 21.7, "half-life of the anti-TGF-β antibody",
              "fresolimumab, ~22 days (Morris et al. 2014)", lower=1e-3, upper=1e3),
    parameter("anti_tgfb_ec50", "mg/kg", 0.3, "exposure neutralising half of TGF-β",
              "chosen; active TGF-β in the tumour against antibody exposure would pin it",
              lower=1e-9, upper=1e6),
)  # fmt: skip

LEVELS = (Species(name="anti_TGFb", unit="mg/kg", initial=0.0, description="anti-TGF-β exposure",
                  label="anti-TGF-β", role=Role.DRUG),)

THERAPY = TherapySpec(
    name="anti_tgfb",
    description="anti-TGF-β antibody: neutralises TGF-β (exposure decays by half-life)",
    dose_unit="mg/kg",
    dose_upper=1e3,
    parameters=(),
    give=bolus("anti_TGFb"),
)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block."""
    return exposure(*values_of(values, "anti_tgfb_half_life", "anti_tgfb_ec50"))


@jit
def blocked(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray) -> float:
    """The signal ``TGF_BLOCKED``: the share of TGF-β the antibody neutralises."""
    return occupancy(levels[layout.ANTI_TGFB], p)


@jit
def levels(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
           production: FloatArray, decay: FloatArray) -> None:  # fmt: skip
    """Clearance of the exposure."""
    decay[layout.ANTI_TGFB] += p[RATE]


PART = Part(
    name="anti_tgfb",
    description=str(__doc__),
    parameters=PARAMETERS,
    levels=LEVELS,
    therapy=THERAPY,
    bind=bind,
    signals=(Signal(index=TGF_BLOCKED, compute=blocked),),
    level_rates=levels,
)
