"""What several rate laws share: the signals vector, computed once per evaluation.

Immune counts and concentrations are read straight from the state vectors (indices in
:mod:`.layout`). What several parts need besides sits in one vector at the indices
below. The kinetics fill it before any channel's propensity, in index order, so a signal
may read the signals above it:

* clone sums (computed here): ``TUMOUR`` (every tumour cell), ``VISIBLE`` (antigen on
  MHC-I: what CTLs recognise), ``VISIBLE_PDL1`` (recognised and PD-L1-high), ``FASL``
  (FasL-positive), ``MHC_LOSS`` (preferred by NK cells), ``SECRETOR`` (TGF-β / IL-10
  secretors);
* each then computed by the part that owns it (its ``signals``):
  ``SATURATION = 1/(h + tumour)`` (cytotoxicity: turns a clone sum into a saturating
  encounter's share); ``TGF_BLOCKED`` (anti_tgfb: the neutralised share of TGF-β);
  the brakes and shares, 1 meaning no effect: ``TGF_BRAKE`` (suppression),
  ``TREG_BRAKE`` (regulation), ``PD1_OPEN`` (anti_pd1: PD-1 not blocked);
* ``PDL1_ENGAGED`` (adaptive_resistance): recognised cells that signal PD-1, heritable
  PD-L1-high or IFN-γ-induced;
* ``RELEASE``: dying tumour cells that bear the immunodominant antigen, per day, and
  ``RELEASE_SUB``: dying antigen-loss cells (with several antigens: they bear the
  subdominant ones), both filled in by the kinetics once the tumour-death propensities
  are known (presentation reads them);
* ``VISIBLE_SUB`` and ``VISIBLE_SUB_PDL1`` (epitopes): the cells CTLs of the subdominant
  epitopes recognise, and those of them that are PD-L1-high;
* ``SUB_PRESENTATION`` (spreading): how well presenting DCs present the subdominant
  epitopes, relative to the immunodominant one.
"""

from __future__ import annotations

import numpy as np

from escapesim.engine.compiled import jit
from escapesim.engine.network import FloatArray
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.clones import VISIBLE, Trait, mask

(TUMOUR, VISIBLE_SUM, VISIBLE_PDL1, FASL, MHC_LOSS, SECRETOR, SATURATION, TGF_BLOCKED,
 TGF_BRAKE, TREG_BRAKE, PD1_OPEN, RELEASE, PDL1_ENGAGED, VISIBLE_SUB, VISIBLE_SUB_PDL1,
 SUB_PRESENTATION, RELEASE_SUB) = range(17)  # fmt: skip
SIGNALS = 17

#: Rows of trait-weighted clone sums, in the order of the first six signals.
_SUMS = np.array(
    [
        np.ones(layout.CLONES),
        VISIBLE,
        VISIBLE & mask(Trait.PDL1_HIGH),
        mask(Trait.FASL),
        mask(Trait.MHC_LOSS),
        mask(Trait.SECRETOR),
    ],
    dtype=np.bool_,
)
#: The same rows as clone indices (row r: ``_CLONE[_ROW[r]:_ROW[r + 1]]``). Why: the rate
#: laws run a dozen times per kernel step, and summing only the clones a row holds halves
#: this loop; adding the skipped zeros would not change a sum (x + 0.0 == x).
_ROW = np.concatenate([[0], np.cumsum(_SUMS.sum(axis=1))]).astype(np.int64)
_CLONE = np.concatenate([np.flatnonzero(row) for row in _SUMS]).astype(np.int64)


@jit
def clone_sums(counts: FloatArray, signals: FloatArray) -> None:
    """Write the clone sums into ``signals``."""
    for row in range(_ROW.size - 1):
        total = 0.0
        for k in range(_ROW[row], _ROW[row + 1]):
            total += counts[_CLONE[k]]
        signals[row] = total
