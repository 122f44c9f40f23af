"""Humoral suppression: secretor clones (and Tregs) raise TGF-β / IL-10, which lowers
killing, effector proliferation and DC maturation.

TGF-β (one pooled suppressive-cytokine concentration ``S``) is made at ``p_S`` per
secretor tumour cell per day (Tregs add theirs, see :mod:`.regulation`) and cleared at
``μ_S``. Its effect is the brake ``β = 1/(1 + S·(1 − blocked)/K_S)``, where the blocked
share comes from anti-TGF-β exposure; β multiplies CTL and NK killing, IL-2-driven
proliferation and DC loading/maturation. Structure after Arciero, Jackson & Kirschner
2004 (Discrete Contin Dyn Syst B 4:39).

Switched off: no tumour secretion and β = 1.
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import FloatArray, MechanismSpec, Species
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.part import (
    Part,
    Signal,
    block,
    is_on,
    parameter,
    values_of,
)
from escapesim.engine.presets.escape2004.state import SECRETOR, TGF_BLOCKED, TGF_BRAKE

MECHANISM = MechanismSpec(
    name="suppression",
    description="humoral suppression: TGF-β / IL-10 from secretor clones lowers killing, "
    "proliferation and DC maturation",
)

PARAMETERS = (
    parameter("tgf_secretion", "TGF units/(cell·day)", 1e-2,
              "TGF-β / IL-10 made per secretor tumour cell per day",
              "chosen so that ~1e5 secretor cells halve killing", upper=1e6),
    parameter("tgf_decay", "1/day", 5.0, "TGF-β clearance",
              "chosen (active TGF-β is cleared within hours)", lower=1e-6, upper=1e4),
    parameter("tgf_half_effect", "TGF units", 200.0,
              "TGF-β concentration that halves the suppressed functions",
              "chosen as the unit scale of TGF-β", lower=1e-9, upper=1e15),
)  # fmt: skip

LEVELS = (
    Species(name="TGFb", unit="TGF units", initial=0.0,
            description="TGF-β / IL-10 (pooled suppressive cytokines)"),
)  # fmt: skip


_ON, _SECRETION, _DECAY, _HALF = range(4)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block."""
    on = is_on(switches, MECHANISM)
    return block(float(on), *values_of(values, "tgf_secretion", "tgf_decay", "tgf_half_effect"))


@jit
def brake(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray) -> float:
    """The signal ``TGF_BRAKE``, β: the fraction of killing, proliferation and maturation
    TGF-β leaves, with the share ``TGF_BLOCKED`` of TGF-β neutralised (anti-TGF-β)."""
    if p[_ON] == 0.0:
        return 1.0
    return float(1.0 / (1.0 + levels[layout.TGFB] * (1.0 - s[TGF_BLOCKED]) / p[_HALF]))


@jit
def levels(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
           production: FloatArray, decay: FloatArray) -> None:  # fmt: skip
    """TGF-β from secretor clones; first-order clearance."""
    decay[layout.TGFB] += p[_DECAY]
    if p[_ON] != 0.0:
        production[layout.TGFB] += p[_SECRETION] * s[SECRETOR]


PART = Part(
    name="suppression",
    description=str(__doc__),
    parameters=PARAMETERS,
    levels=LEVELS,
    mechanism=MECHANISM,
    bind=bind,
    signals=(Signal(index=TGF_BRAKE, compute=brake),),
    level_rates=levels,
)
