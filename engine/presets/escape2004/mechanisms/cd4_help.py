"""CD4 help: presenting DCs activate CD4 helper T cells, the main source of IL-2.

Kirschner & Panetta's IL-2 comes only from stimulated CTLs (:mod:`.il2_help`); at this
model's effector numbers it stays ~3 % of the half-saturating IL-2, so help did nothing.
But activated CD4 T cells, not CD8, make most IL-2 (Boyman & Sprent 2012), and CD4 help
is needed for optimal CTL responses against MHC-II-negative tumours (Ossendorp et al.
1998). So the presenting DCs that prime CD8 T cells (:mod:`.priming`) also activate
tumour-specific CD4 helpers, braked by Tregs (ρ) like CD8 priming, and the helpers make
IL-2 while there is tumour antigen:

    dH/dt = a_H·ρ·D − d_H·H,    IL-2 production += p_H·H·T/(g_I + T)

with ``D = DC_node + DC_node_sub`` (every presenting DC).

``H`` is a mean-field level (cells; no channel): helpers are not killed, exhausted or
counted in encounters, only their IL-2 acts, through the IL-2 that drives CTL, NK and
Treg proliferation and that Tregs consume. Helper activity follows presentation with the
lag 1/d_H (the helpers' own expansion delay is folded into it). It is help, so it needs
:mod:`.il2_help` (``help``), and priming, so it needs :mod:`.priming`; no switch of its
own.
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import FloatArray, Role, Species
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.mechanisms import il2_help, priming
from escapesim.engine.presets.escape2004.part import (
    Part,
    block,
    is_on,
    parameter,
    saturating,
    values_of,
)
from escapesim.engine.presets.escape2004.state import TREG_BRAKE, TUMOUR

PARAMETERS = (
    parameter("helper_activation", "cells/(DC·day)", 256.0,
              "CD4 helper T cells activated (with their progeny) per presenting DC per day",
              "chosen a tenth of the CD8 output of a presenting DC (k_P·N·256 ≈ 2560/day): "
              "CD4 precursors are about as frequent as CD8 ones (20-200 per epitope, Moon "
              "et al. 2007 Immunity 27:203) but expand ~10-fold less (Homann et al. 2001 "
              "Nat Med 7:913; Foulds et al. 2002 J Immunol 168:1528)"
              "; would pin it: tetramer counts of tumour-specific CD4 effectors against CD8 "
              "effectors at the peak of the response", upper=1e9),
    parameter("helper_death", "1/day", 0.3, "loss of activated CD4 helpers at the tumour",
              "chosen equal to ctl_death: effector CD4 and CD8 T cells contract alike "
              "after the peak (Homann et al. 2001)"
              "; would pin it: the contraction rate of tumour-specific CD4 effectors after the "
              "peak (tetramer time series)", upper=100.0),
    parameter("helper_il2_production", "IL-2 units/(cell·day)", 1000.0,
              "IL-2 made per activated CD4 helper per day while tumour antigen is present",
              "chosen so that the dormancy example's ~15-20 presenting DCs hold IL-2 near "
              "il2_half_saturation (help then gives about half the maximal IL-2-driven "
              "proliferation): CD4 T cells are the main IL-2 source (Boyman & Sprent "
              "2012 Nat Rev Immunol 12:180) and KP's IL-2 units are arbitrary; IL-2 in "
              "the tumour against the number of tumour-specific CD4 cells would pin it",
              upper=1e9),
)  # fmt: skip

LEVELS = (
    Species(name="CD4_help", unit="cells", initial=0.0,
            description="activated tumour-specific CD4 helper T cells (mean field)",
            label="CD4 helper T cells", role=Role.PRIMING),
)  # fmt: skip

_ACTIVATION, _DEATH, _IL2, _STIMULATION = range(4)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block (no helpers without help or without priming)."""
    activation, death, il2 = values_of(
        values, "helper_activation", "helper_death", "helper_il2_production"
    )
    helped = is_on(switches, il2_help.MECHANISM) and is_on(switches, priming.MECHANISM)
    return block(activation if helped else 0.0, death, il2 if helped else 0.0,
                 float(values["il2_stimulation_half"]))  # fmt: skip


@jit
def levels(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
           production: FloatArray, decay: FloatArray) -> None:  # fmt: skip
    """Helpers activated by presenting DCs; their IL-2 while tumour antigen lasts."""
    presenting = counts[layout.DC_NODE] + counts[layout.DC_NODE_SUB]
    production[layout.CD4_HELP] += p[_ACTIVATION] * s[TREG_BRAKE] * presenting
    decay[layout.CD4_HELP] += p[_DEATH]
    helpers = max(levels[layout.CD4_HELP], 0.0)
    production[layout.IL2] += p[_IL2] * helpers * saturating(s[TUMOUR], p[_STIMULATION])


PART = Part(
    name="cd4_help",
    description=str(__doc__),
    parameters=PARAMETERS,
    levels=LEVELS,
    bind=bind,
    level_rates=levels,
)
