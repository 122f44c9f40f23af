"""TGF-β blockade: the antibody neutralises TGF-β, releasing the humoral-suppression brake.

The blocked share ``C/(C + EC50)`` removes that share of TGF-β from the brake of
:mod:`..mechanisms.suppression`. No channel of its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, FloatArray, TherapySpec
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.parts import parameter, values_of
from escapesim.engine.presets.escape2004.therapies.dosing import RATE, bolus, exposure, occupancy

PARAMETERS = (
    parameter("anti_tgfb_half_life", "days", 21.7, "half-life of the anti-TGF-β antibody",
              "fresolimumab, ~22 days (Morris et al. 2014)", lower=1e-3, upper=1e3),
    parameter("anti_tgfb_ec50", "mg/kg", 0.3, "exposure neutralising half of TGF-β",
              "chosen", lower=1e-9, upper=1e6),
)  # fmt: skip

CHANNELS: tuple[Channel, ...] = ()

THERAPY = TherapySpec(
    name="anti_tgfb",
    description="anti-TGF-β antibody: neutralises TGF-β (exposure decays by half-life)",
    dose_unit="mg/kg",
    dose_upper=1e3,
    parameters=(),
    give=bolus("anti_TGFb"),
)


def bind(values: Mapping[str, float]) -> FloatArray:
    """Parameter block."""
    return exposure(*values_of(values, "anti_tgfb_half_life", "anti_tgfb_ec50"))


@jit
def blocked(levels: FloatArray, p: FloatArray) -> float:
    """The share of TGF-β the antibody neutralises."""
    return occupancy(levels[layout.ANTI_TGFB], p)


@jit
def levels(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
           production: FloatArray, decay: FloatArray) -> None:  # fmt: skip
    """Clearance of the exposure."""
    decay[layout.ANTI_TGFB] += p[RATE]
