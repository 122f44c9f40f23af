"""What several rate laws share: the signals vector, computed once per evaluation.

Immune counts and concentrations are read straight from the state vectors (indices in
:mod:`.layout`). What several mechanisms need besides — trait-weighted clone sums, the
saturation of encounters, the brakes one mechanism puts on others — sits in one vector
at the indices below, filled by the preset's kinetics before any part runs:

* clone sums: ``TUMOUR`` (every tumour cell), ``VISIBLE`` (antigen on MHC-I: what CTLs
  recognise), ``VISIBLE_PDL1`` (recognised and PD-L1-high), ``FASL`` (FasL-positive),
  ``MHC_LOSS`` (preferred by NK cells), ``SECRETOR`` (TGF-β / IL-10 secretors);
* ``SATURATION = 1/(h + tumour)``: turns a clone sum into a saturating encounter's share;
* brakes and shares (1 means no effect): ``TGF_BRAKE`` (humoral suppression),
  ``TREG_BRAKE`` (regulatory T cells), ``PD1_OPEN`` (PD-1 not blocked),
  ``COSTIMULATION`` (probability a priming encounter is costimulated);
* ``RELEASE``: dying antigen-bearing tumour cells per day, filled in once the
  tumour-death propensities are known.
"""

from __future__ import annotations

import numpy as np

from escapesim.engine.compiled import jit
from escapesim.engine.network import FloatArray
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.clones import VISIBLE, Trait, mask

(TUMOUR, VISIBLE_SUM, VISIBLE_PDL1, FASL, MHC_LOSS, SECRETOR, SATURATION, TGF_BRAKE,
 TREG_BRAKE, PD1_OPEN, COSTIMULATION, RELEASE) = range(12)  # fmt: skip
SIGNALS = 12

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
    dtype=np.float64,
)


@jit
def clone_sums(counts: FloatArray, half_saturation: float, signals: FloatArray) -> None:
    """Write the clone sums and the encounter saturation into ``signals``."""
    for row in range(_SUMS.shape[0]):
        total = 0.0
        for c in range(layout.CLONES):
            total += _SUMS[row, c] * counts[c]
        signals[row] = total
    signals[SATURATION] = 1.0 / (half_saturation + signals[TUMOUR])
