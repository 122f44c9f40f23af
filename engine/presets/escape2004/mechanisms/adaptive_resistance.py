"""Adaptive resistance: IFN-γ from engaged effectors induces PD-L1 on tumour cells, reversibly.

Beside the heritable PD-L1-high clones, tumour cells that see IFN-γ express PD-L1 while
they see it (Taube et al. 2012; Spranger et al. 2013): the main reason PD-1 blockade works
on "inflamed" tumours (Topalian et al. 2012). The induced share ``x`` of the recognised
PD-L1-low cells follows

    dx/dt = k_i·F/(F + K_i)·(1 − x) − k_o·x

(F the IFN-γ of :mod:`.cytotoxicity`), so it rises while effectors kill and decays at
``k_o`` once they leave. Induced cells signal PD-1 as PD-L1-high cells do: the signal
``PDL1_ENGAGED = VISIBLE_PDL1 + x·(VISIBLE − VISIBLE_PDL1)`` replaces the heritable
PD-L1-high count in exhaustion (:mod:`.dysfunction`) and in what anti-PD-1 unblocks
(:mod:`..therapies.anti_pd1`).

No channels: one concentration (``PDL1_induced``, a share in [0, 1]) and one signal.
Switched off: no induction (``x`` decays from where it starts), so only heritable PD-L1
signals. IFN-γ comes from kills, so with :mod:`.cytotoxicity` off there is none either.
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
    saturating,
    values_of,
)
from escapesim.engine.presets.escape2004.state import PDL1_ENGAGED, VISIBLE_PDL1, VISIBLE_SUM

MECHANISM = MechanismSpec(
    name="adaptive_resistance",
    description="IFN-γ from engaged effectors induces PD-L1 on PD-L1-low tumour cells, "
    "reversibly (it decays when the effectors leave)",
    escape=True,
)

PARAMETERS = (
    parameter("pdl1_induction_rate", "1/day", 1.0,
              "maximal rate at which IFN-γ induces PD-L1 on a PD-L1-low tumour cell",
              "chosen: IFN-γ induces tumour-cell PD-L1 through JAK1/2-STAT1-IRF1 "
              "(Garcia-Diaz et al. 2017 Cell Rep 19:1189); PD-L1 sits where IFN-γ-making "
              "TILs are (Taube et al. 2012 Sci Transl Med 4:127ra37); the ~1-day time "
              "scale is not confirmed"
              ": a time course of PD-L1 after IFN-γ exposure would pin it", upper=100.0),
    parameter("pdl1_induction_half", "IFN-γ units", 1e3,
              "IFN-γ giving half-maximal PD-L1 induction",
              "chosen equal to ifn_half_effect: the same IFN-γ signal raises MHC-I"
              "; would pin it: tumour-cell PD-L1 (flow) against IFN-γ concentration, with the same"
              " cells' MHC-I",
              lower=1e-9, upper=1e15),
    parameter("pdl1_induced_decay", "1/day", 0.5,
              "loss of induced PD-L1 once IFN-γ is gone",
              "chosen: half-life ~1.4 days of surface PD-L1 without IFN-γ; induction is "
              "reversible (Spranger et al. 2013 Sci Transl Med: PD-L1 follows CD8 T cells)"
              "; a time course of tumour PD-L1 after IFN-γ withdrawal would pin it",
              lower=1e-6, upper=100.0),
)  # fmt: skip

LEVELS = (
    Species(name="PDL1_induced", unit="1", initial=0.0,
            description="share of recognised PD-L1-low tumour cells with IFN-γ-induced "
            "PD-L1", label="IFN-γ-induced PD-L1 (share)", role=Role.SIGNAL),
)  # fmt: skip

_RATE, _HALF, _DECAY = range(3)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block (no induction when switched off)."""
    rate, half, decay = values_of(
        values, "pdl1_induction_rate", "pdl1_induction_half", "pdl1_induced_decay"
    )
    return block(rate if is_on(switches, MECHANISM) else 0.0, half, decay)


@jit
def engaged(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray) -> float:
    """The signal ``PDL1_ENGAGED``: recognised cells with PD-L1, heritable or induced."""
    induced = min(max(levels[layout.PDL1_INDUCED], 0.0), 1.0)
    return float(s[VISIBLE_PDL1] + induced * (s[VISIBLE_SUM] - s[VISIBLE_PDL1]))


@jit
def level_rates(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
                production: FloatArray, decay: FloatArray) -> None:  # fmt: skip
    """Induction towards 1 while IFN-γ lasts; first-order loss."""
    induction = p[_RATE] * saturating(levels[layout.IFNG], p[_HALF])
    production[layout.PDL1_INDUCED] += induction
    decay[layout.PDL1_INDUCED] += induction + p[_DECAY]


PART = Part(
    name="adaptive_resistance",
    description=str(__doc__),
    parameters=PARAMETERS,
    levels=LEVELS,
    mechanism=MECHANISM,
    bind=bind,
    signals=(Signal(index=PDL1_ENGAGED, compute=engaged),),
    level_rates=level_rates,
)
