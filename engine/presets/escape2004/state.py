"""What every rate law may read: counts, concentrations and the shared signals.

A :class:`State` is built once per propensity evaluation, so what several mechanisms need
(the tumour total, trait-weighted clone sums, the brakes one mechanism puts on others)
is computed once. Scalars are plain Python floats and the class is slotted: it is built
thousands of times per simulated day.
"""

from __future__ import annotations

import numpy as np

from engine.network import FloatArray
from engine.presets.escape2004 import layout
from engine.presets.escape2004.clones import VISIBLE, Trait, mask

#: Rows of trait-weighted clone sums, computed with one matrix product per snapshot.
_SUMS = np.array(
    [
        np.ones(layout.CLONES),  # all tumour cells
        VISIBLE,  # antigen on MHC-I: what CTLs recognise
        VISIBLE & mask(Trait.PDL1_HIGH),  # recognised and PD-L1-high
        mask(Trait.FASL),  # FasL-positive
        mask(Trait.MHC_LOSS),  # MHC-I-loss: preferred by NK cells
        mask(Trait.SECRETOR),  # TGF-β / IL-10 secretors
    ],
    dtype=np.float64,
)


class State:
    """One snapshot of a replicate, as the rate laws see it.

    Immune counts and concentrations are attributes named as in :mod:`.layout`. Clone
    sums: ``tumour``, ``visible``, ``visible_pdl1``, ``fasl``, ``mhc_loss``,
    ``secretor``; ``saturation = 1/(h + tumour)`` turns a clone sum into the share of a
    saturating encounter. Signals (1 means no effect): ``tgf_brake`` (humoral
    suppression), ``treg_brake`` (regulatory T cells), ``pd1_open`` (PD-1 not blocked),
    ``costimulation`` (probability a priming encounter is costimulated). ``release``
    (dying antigen-bearing tumour cells per day) is filled in once the tumour-death
    propensities are known.
    """

    __slots__ = (
        "anti_cd25", "anti_pd1", "anti_tgfb", "chemo", "clones", "costimulation", "ctl",
        "dc_loaded", "dc_node", "exhausted", "fasl", "ifng", "il2", "mhc_loss", "naive",
        "nk", "pd1_open", "peptide", "release", "ril2", "saturation", "secretor",
        "tgf_brake", "tgfb", "treg", "treg_brake", "tumour", "visible", "visible_pdl1",
    )  # fmt: skip
    clones: FloatArray
    anti_cd25: float
    anti_pd1: float
    anti_tgfb: float
    chemo: float
    costimulation: float
    ctl: float
    dc_loaded: float
    dc_node: float
    exhausted: float
    fasl: float
    ifng: float
    il2: float
    mhc_loss: float
    naive: float
    nk: float
    pd1_open: float
    peptide: float
    release: float
    ril2: float
    saturation: float
    secretor: float
    tgf_brake: float
    tgfb: float
    treg: float
    treg_brake: float
    tumour: float
    visible: float
    visible_pdl1: float

    def __init__(self, counts: FloatArray, levels: FloatArray, half_saturation: float) -> None:
        self.clones = counts[: layout.CLONES]
        (self.tumour, self.visible, self.visible_pdl1, self.fasl, self.mhc_loss,
         self.secretor) = (_SUMS @ self.clones).tolist()
        self.saturation = 1.0 / (half_saturation + self.tumour)
        (self.dc_loaded, self.dc_node, self.naive, self.ctl, self.exhausted, self.nk,
         self.treg) = counts[layout.CLONES :].tolist()
        (self.il2, self.tgfb, self.ifng, self.anti_pd1, self.anti_tgfb, self.anti_cd25,
         self.chemo, self.peptide, self.ril2) = levels.tolist()  # fmt: skip
        self.tgf_brake = 1.0
        self.treg_brake = 1.0
        self.pd1_open = 1.0
        self.costimulation = 1.0
        self.release = 0.0
