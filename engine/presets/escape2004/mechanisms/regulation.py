"""Regulatory T cells: recruited or induced by the tumour and TGF-β; they suppress
priming and effector expansion and consume IL-2.

| channel        | propensity                               | change   |
|----------------|------------------------------------------|----------|
| treg_influx    | s_R                                      | R + 1    |
| treg_recruit   | ρ_R·T/(T + h_R)·(1 + g_S·S/(S + K_S))    | R + 1    |
| treg_expand    | p_R·R·I/(g_E + I)                        | R + 1    |
| treg_death     | d_R·R                                    | R − 1    |

The brake on priming and IL-2-driven proliferation is ``ρ = 1/(1 + R/K_R)``; Tregs
add ``c_R·R`` to IL-2 clearance (CD25 sink) and make TGF-β at ``p_RS·R/(T + V_0)``, per
tumour volume like the secretors' (:mod:`.suppression`). Structure
after Wilson & Levy 2012 (Bull Math Biol 74:1485). Switched off: no Treg dynamics, ρ = 1.
TGF-β is :mod:`.suppression`'s cytokine: with suppression off Tregs make none (so none
induces Tregs either).
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, FloatArray, MechanismSpec, Role
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.mechanisms import suppression
from escapesim.engine.presets.escape2004.mechanisms.il2_help import il2
from escapesim.engine.presets.escape2004.mechanisms.suppression import share_of_volume
from escapesim.engine.presets.escape2004.part import (
    Part,
    Signal,
    block,
    cells,
    channel,
    is_on,
    parameter,
    saturating,
    values_of,
)
from escapesim.engine.presets.escape2004.state import TREG_BRAKE, TUMOUR

MECHANISM = MechanismSpec(
    name="regulation",
    description="regulatory T cells recruited by the tumour and TGF-β suppress priming and "
    "effector expansion",
    escape=True,
)

PARAMETERS = (
    parameter("treg_influx", "cells/day", 5.0, "baseline Treg supply to the tumour site",
              "chosen so that the baseline pool s_R/d_R is 100 cells"
              "; FoxP3+ cells in the tissue before the tumour would pin it", upper=1e9),
    parameter("treg_recruitment", "cells/day", 200.0,
              "maximal tumour-driven Treg recruitment/induction",
              "chosen so that large tumours hold a few thousand Tregs"
              "; FoxP3+ cells per tumour against tumour size would pin it (with "
              "treg_recruitment_half)", upper=1e9),
    parameter("treg_recruitment_half", "cells", 1e6,
              "tumour size giving half-maximal Treg recruitment",
              "chosen; FoxP3+ cells per tumour against tumour size would pin it",
              lower=1e-9, upper=1e15),
    parameter("treg_tgf_induction", "1", 2.0,
              "maximal extra Treg recruitment/induction by TGF-β (fold increase)",
              "chosen; saturating, so the Treg-TGF-β loop stays bounded"
              "; Treg induction from naive CD4 cells against TGF-β concentration would pin "
              "it", upper=1e3),
    parameter("treg_il2_expansion", "1/day", 0.1, "maximal IL-2-driven Treg proliferation",
              "chosen below the CTL rate"
              "; the Ki-67+ share of tumour Tregs against IL-2 would pin it", upper=100.0),
    parameter("treg_death", "1/day", 0.05, "Treg death",
              "chosen; the turnover of tumour Tregs in vivo (label dilution) would pin it",
              upper=100.0),
    parameter("treg_half_suppression", "cells", 2000.0,
              "Tregs that halve priming and effector expansion",
              "chosen so that a large tumour's few thousand Tregs halve the response"
              "; the Treg:effector ratio of half-maximal suppression in vivo would pin it",
              lower=1e-9, upper=1e15),
    parameter("treg_il2_consumption", "1/(cell·day)", 1e-3,
              "IL-2 clearance added per Treg (CD25 sink)",
              "chosen; IL-2 taken up per Treg per day (CD25 binding and internalisation) "
              "would pin it", upper=1e3),
    parameter("treg_tgf_production", "TGF units/day", 2e4,
              "TGF-β production where the tumour site were all Tregs (p_RS)",
              "chosen: a Treg makes twice a secretor cell's TGF-β, so a few thousand Tregs "
              "add little next to secretor clones (Tregs act mostly by contact and IL-2)"
              "; would pin it: active TGF-β secreted per Treg against per tumour cell (ELISA of "
              "sorted cells)",
              upper=1e9),
)  # fmt: skip

SPECIES = (cells("Treg", "regulatory T cells", 100.0, label="regulatory T cells",
                 role=Role.SUPPRESSOR),)

CHANNELS: tuple[Channel, ...] = (
    channel("treg_influx", {"Treg": 1}, "baseline Treg supply"),
    channel("treg_recruit", {"Treg": 1}, "Treg recruitment/induction by tumour and TGF-β"),
    channel("treg_expand", {"Treg": 1}, "IL-2-driven Treg proliferation"),
    channel("treg_death", {"Treg": -1}, "Treg death"),
)


(_ON, _INFLUX, _RECRUITMENT, _RECRUIT_HALF, _EXPANSION, _DEATH, _SUPPRESSION_HALF,
 _CONSUMPTION, _TGF, _INDUCTION, _IL2_HALF, _TGF_HALF, _TGF_VOLUME) = range(13)  # fmt: skip


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block (Tregs make no TGF-β when suppression is off)."""
    names = (
        "treg_influx", "treg_recruitment", "treg_recruitment_half", "treg_il2_expansion",
        "treg_death", "treg_half_suppression", "treg_il2_consumption", "treg_tgf_production",
        "treg_tgf_induction", "il2_half_saturation", "tgf_half_effect", "tgf_diffusion_volume",
    )  # fmt: skip
    numbers = list(values_of(values, *names))
    if not is_on(switches, suppression.MECHANISM):
        numbers[names.index("treg_tgf_production")] = 0.0
    return block(float(is_on(switches, MECHANISM)), *numbers)


@jit
def brake(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray) -> float:
    """The signal ``TREG_BRAKE``, ρ: the fraction of priming and expansion Tregs leave."""
    if p[_ON] == 0.0:
        return 1.0
    return float(1.0 / (1.0 + counts[layout.TREG] / p[_SUPPRESSION_HALF]))


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """Supply, recruitment, expansion and death of Tregs."""
    if p[_ON] == 0.0:
        out[:] = 0.0
        return
    tregs = counts[layout.TREG]
    induced = 1.0 + p[_INDUCTION] * saturating(levels[layout.TGFB], p[_TGF_HALF])
    out[0] = p[_INFLUX]
    out[1] = p[_RECRUITMENT] * saturating(s[TUMOUR], p[_RECRUIT_HALF]) * induced
    out[2] = p[_EXPANSION] * saturating(il2(levels), p[_IL2_HALF]) * tregs
    out[3] = p[_DEATH] * tregs


@jit
def levels(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
           production: FloatArray, decay: FloatArray) -> None:  # fmt: skip
    """Tregs consume IL-2 and make TGF-β (a local concentration, like the secretors')."""
    if p[_ON] != 0.0:
        tregs = counts[layout.TREG]
        decay[layout.IL2] += p[_CONSUMPTION] * tregs
        production[layout.TGFB] += p[_TGF] * share_of_volume(tregs, s, p[_TGF_VOLUME])


PART = Part(
    name="regulation",
    description=str(__doc__),
    parameters=PARAMETERS,
    species=SPECIES,
    channels=CHANNELS,
    mechanism=MECHANISM,
    bind=bind,
    signals=(Signal(index=TREG_BRAKE, compute=brake),),
    fill=fill,
    level_rates=levels,
)
