"""IL-2 help: IL-2 drives effector proliferation (Kirschner & Panetta 1998 form).

Stimulated CTLs make IL-2 at ``p_I·E·T_vis/(g_I + T)``; it decays at ``μ_I`` (and is
consumed by CD25-high Tregs, see :mod:`.regulation`). Effectors proliferate at
``p_E·E·I/(g_E + I)``, braked by TGF-β (β) and Tregs (ρ). ``I`` counts endogenous IL-2
plus recombinant IL-2 given as therapy. CTLs are stimulated in encounters, so with
:mod:`.cytotoxicity` off they make no IL-2 (recombinant IL-2 still drives them).

| channel          | propensity              | change |
|------------------|-------------------------|--------|
| il2_proliferation| p_E·β·ρ·E·I/(g_E + I)   | E + 1  |
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, FloatArray, MechanismSpec, Role, Species
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.mechanisms import cytotoxicity
from escapesim.engine.presets.escape2004.part import (
    Part,
    block,
    channel,
    is_on,
    parameter,
    saturating,
    values_of,
)
from escapesim.engine.presets.escape2004.state import (
    TGF_BRAKE,
    TREG_BRAKE,
    TUMOUR,
    VISIBLE_SUB,
    VISIBLE_SUM,
)

MECHANISM = MechanismSpec(name="help", description="IL-2 help: IL-2 drives effector proliferation")

KP = "Kirschner & Panetta 1998"
PARAMETERS = (
    parameter("il2_proliferation", "1/day", 0.1245, "maximal IL-2-driven CTL proliferation",
              KP + " (p1)", upper=100.0),
    parameter("il2_half_saturation", "IL-2 units", 1e6,
              "IL-2 giving half-maximal proliferation",
              "chosen between KP's g1 = 2e7 (endogenous help negligible) and runaway "
              "expansion: help matters above ~1e5 effectors or under IL-2 therapy"
              "; would pin it: effector CD8 proliferation against IL-2 concentration in vivo (or "
              "in vitro with a stated conversion to tissue units)",
              lower=1e-9, upper=1e15),
    parameter("il2_production", "IL-2 units/(cell·day)", 5.0,
              "IL-2 made per stimulated CTL per day", KP + " (p2)", upper=1e9),
    parameter("il2_stimulation_half", "cells", 1e3,
              "tumour size at which CTL stimulation is half-maximal", KP + " (g3)",
              lower=1e-9, upper=1e15),
    parameter("il2_decay", "1/day", 10.0, "IL-2 clearance", KP + " (mu3)",
              lower=1e-6, upper=1e4),
)  # fmt: skip

LEVELS = (
    Species(name="IL2", unit="IL-2 units", initial=0.0, description="endogenous IL-2",
            label="IL-2", role=Role.SIGNAL),
)  # fmt: skip

CHANNELS: tuple[Channel, ...] = (
    channel("il2_proliferation", {"CTL": 1}, "IL-2-driven CTL proliferation"),
    channel("il2_proliferation_sub", {"CTL_sub": 1},
            "IL-2-driven proliferation of subdominant-epitope CTLs"),
)


_ON, _PROLIFERATION, _HALF, _PRODUCTION, _STIMULATION, _DECAY = range(6)
_PRODUCTION_NAMES = ("il2_production", "il2_stimulation_half", "il2_decay")


@jit
def il2(levels: FloatArray) -> float:
    """IL-2 the cells see: endogenous plus recombinant (therapy)."""
    return float(levels[layout.IL2] + levels[layout.RIL2])


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block (no IL-2 production without encounters: cytotoxicity off)."""
    production, *rest = values_of(values, *_PRODUCTION_NAMES)
    stimulated = is_on(switches, cytotoxicity.MECHANISM)
    return block(float(is_on(switches, MECHANISM)), *values_of(
        values, "il2_proliferation", "il2_half_saturation"),
        production if stimulated else 0.0, *rest)  # fmt: skip


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """IL-2-driven proliferation."""
    drive = p[_PROLIFERATION] * saturating(il2(levels), p[_HALF]) if p[_ON] != 0.0 else 0.0
    per_cell = drive * s[TGF_BRAKE] * s[TREG_BRAKE]
    out[0] = per_cell * counts[layout.CTL]
    out[1] = per_cell * counts[layout.CTL_SUB]


@jit
def levels(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
           production: FloatArray, decay: FloatArray) -> None:  # fmt: skip
    """IL-2 from stimulated CTLs; first-order clearance."""
    decay[layout.IL2] += p[_DECAY]
    if p[_ON] != 0.0 and s[TUMOUR] > 0.0:
        recognised = counts[layout.CTL] * s[VISIBLE_SUM] + counts[layout.CTL_SUB] * s[VISIBLE_SUB]
        stimulated = recognised / (p[_STIMULATION] + s[TUMOUR])
        production[layout.IL2] += p[_PRODUCTION] * stimulated


PART = Part(
    name="help",
    description=str(__doc__),
    parameters=PARAMETERS,
    levels=LEVELS,
    channels=CHANNELS,
    mechanism=MECHANISM,
    bind=bind,
    fill=fill,
    level_rates=levels,
)
