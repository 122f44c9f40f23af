"""Humoral suppression: secretor clones (and Tregs) raise TGF-β / IL-10, which lowers
killing, effector proliferation and DC maturation.

TGF-β (one pooled suppressive-cytokine concentration ``S``) is a local concentration: what
the secretors make spreads through the tumour's volume, so ``S`` follows their share of
it, not their number. It is made at ``p_S·T_s/(T + V_0)`` per day (Tregs add theirs the
same way, see :mod:`.regulation`) and cleared at ``μ_S``, where ``V_0`` (in cells) is the
volume within one diffusion length: a lesion smaller than that dilutes its TGF-β into the
surrounding tissue. So a tumour made only of secretors holds ``S = p_S/μ_S·T/(T + V_0)``
and a 1 % secretor subclone of a large tumour a hundredth of that. Its effect is the brake
``β = 1/(1 + S·(1 − blocked)/K_S)``, where the blocked share comes from anti-TGF-β
exposure; β multiplies CTL and NK killing, IL-2-driven proliferation and DC
loading/maturation. Structure after Arciero, Jackson & Kirschner 2004 (Discrete Contin
Dyn Syst B 4:39), with the concentration taken per tumour volume.

Switched off: no TGF-β at all (neither from secretors nor from Tregs) and β = 1.
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import FloatArray, MechanismSpec, Role, Species
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.part import (
    Part,
    Signal,
    block,
    is_on,
    parameter,
    values_of,
)
from escapesim.engine.presets.escape2004.state import SECRETOR, TGF_BLOCKED, TGF_BRAKE, TUMOUR

MECHANISM = MechanismSpec(
    name="suppression",
    description="humoral suppression: TGF-β / IL-10 from secretor clones lowers killing, "
    "proliferation and DC maturation",
    escape=True,
)

PARAMETERS = (
    parameter("tgf_production", "TGF units/day", 1e4,
              "TGF-β / IL-10 production where the tumour is all secretors (p_S)",
              "chosen so that a large all-secretor tumour holds S = 10·K_S (brake 0.09) and "
              "one of 1e5 cells brakes killing to ~0.3, as the per-cell law did at 1e5-1e6 "
              "secretors; no data pins it"
              "; would pin it: TGF-β concentrations in tumour interstitial fluid against the "
              "secretor share", upper=1e9),
    parameter("tgf_diffusion_volume", "cells", 3e5,
              "tumour cells within one TGF-β diffusion length (V_0)",
              "estimated: diffusion length sqrt(D/μ_S) ≈ 400 µm for D ≈ 1e-7 cm²/s (a "
              "25 kDa protein in tissue) and μ_S = 5/day; a sphere of that radius holds "
              "~3e5 cells at 1e9 cells/cm³", lower=1.0, upper=1e15),
    parameter("tgf_decay", "1/day", 5.0, "TGF-β clearance",
              "chosen (active TGF-β is cleared within hours)"
              "; would pin it: clearance of active TGF-β from tissue after a pulse",
              lower=1e-6, upper=1e4),
    parameter("tgf_half_effect", "TGF units", 200.0,
              "TGF-β concentration that halves the suppressed functions",
              "chosen as the unit scale of TGF-β"
              "; would pin it: none: it sets the unit of TGF-β (only ratios to it matter)",
              lower=1e-9, upper=1e15),
)  # fmt: skip

LEVELS = (
    Species(name="TGFb", unit="TGF units", initial=0.0,
            description="TGF-β / IL-10 (pooled suppressive cytokines)",
            label="TGF-β / IL-10", role=Role.SIGNAL),
)  # fmt: skip


_ON, _PRODUCTION, _DECAY, _HALF, _VOLUME = range(5)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block."""
    on = is_on(switches, MECHANISM)
    names = ("tgf_production", "tgf_decay", "tgf_half_effect", "tgf_diffusion_volume")
    return block(float(on), *values_of(values, *names))


@jit
def share_of_volume(cells: float, s: FloatArray, volume: float) -> float:
    """The share ``cells/(T + V_0)`` of the tumour's volume (``V_0 = volume``) that
    ``cells`` fill: what turns their secretion into a local concentration."""
    return float(cells / (s[TUMOUR] + volume))


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
    """TGF-β from secretor clones, per tumour volume; first-order clearance."""
    decay[layout.TGFB] += p[_DECAY]
    if p[_ON] != 0.0:
        production[layout.TGFB] += p[_PRODUCTION] * share_of_volume(s[SECRETOR], s, p[_VOLUME])


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
