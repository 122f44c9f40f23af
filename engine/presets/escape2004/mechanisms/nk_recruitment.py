"""NK recruitment: MHC-I-loss cells recruit NK cells to the tumour, and IL-2 expands them.

The resting supply of NK cells (:mod:`.turnover`, s_K/d_K = 2e4 at the tumour site) kills
an MHC-I-loss cell at k_K·K/h ≈ 0.1/day, below the 0.157/day net growth of such a clone:
a fixed pool cannot reject it. In vivo MHC-I-deficient cells (RMA-S) recruit NK cells to
where they are and activate them (Glas et al. 2000), and are rejected by them (Kärre et al.
1986). So MHC-I-loss cells ``M`` recruit NK cells at a saturating rate, and IL-2 (the
cells' CD122) expands the NK cells at the tumour, braked by TGF-β (β).

| channel        | propensity              | change |
|----------------|-------------------------|--------|
| nk_recruit     | σ_K·M/(M + h_K)         | K + 1  |
| nk_il2_expand  | p_K·β·K·I/(g_E + I)     | K + 1  |

Recruitment follows NK recognition of missing self, so it needs :mod:`.cytotoxicity`;
IL-2-driven expansion is IL-2 help, so it needs :mod:`.il2_help`. Neither has a switch
of its own. Recruitment saturates, so NK cells control small MHC-I-loss clones, not
large ones (an MHC-I-loss clone of 1e5 cells outgrows them).
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, FloatArray
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.mechanisms import cytotoxicity, il2_help
from escapesim.engine.presets.escape2004.mechanisms.il2_help import il2
from escapesim.engine.presets.escape2004.part import (
    Part,
    block,
    channel,
    is_on,
    parameter,
    saturating,
    values_of,
)
from escapesim.engine.presets.escape2004.state import MHC_LOSS, TGF_BRAKE

PARAMETERS = (
    parameter("nk_recruitment", "cells/day", 5e3,
              "maximal recruitment of NK cells to the tumour by MHC-I-loss cells",
              "chosen so that 1e3 MHC-I-loss cells triple the NK cells at the tumour "
              "within ~2 weeks and are rejected (Kärre et al. 1986: NK cells reject "
              "MHC-I-deficient RMA-S; Glas et al. 2000: RMA-S cells recruit and activate "
              "NK cells in vivo within days); no data pins the rate"
              ": NK counts at the site of a growing MHC-I-deficient tumour over time would "
              "pin it", upper=1e12),
    parameter("nk_recruitment_half", "cells", 100.0,
              "MHC-I-loss cells giving half-maximal NK recruitment",
              "chosen so that clones of a few hundred cells already recruit (rejection "
              "of small inocula, Kärre et al. 1986)"
              "; would pin it: NK cell counts at the tumour against the size of an MHC-I-loss "
              "inoculum", lower=1e-9, upper=1e15),
    parameter("nk_il2_expansion", "1/day", 0.1, "maximal IL-2-driven NK proliferation",
              "chosen equal to the Treg rate, below the CTL rate (both respond to IL-2 via "
              "CD122; low-dose IL-2 expands NK cells in vivo, Caligiuri et al. 1993)"
              "; would pin it: NK cell proliferation (Ki-67 or BrdU) against IL-2 dose in vivo",
              upper=100.0),
)  # fmt: skip

CHANNELS: tuple[Channel, ...] = (
    channel("nk_recruit", {"NK": 1}, "MHC-I-loss cells recruit an NK cell to the tumour"),
    channel("nk_il2_expand", {"NK": 1}, "IL-2-driven NK cell proliferation"),
)

_RECRUITMENT, _RECRUITMENT_HALF, _EXPANSION, _IL2_HALF = range(4)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block (no recruitment with cytotoxicity off, no expansion with help off)."""
    recruitment, half, expansion, il2_half = values_of(
        values, "nk_recruitment", "nk_recruitment_half", "nk_il2_expansion",
        "il2_half_saturation")  # fmt: skip
    recognised = is_on(switches, cytotoxicity.MECHANISM)
    helped = is_on(switches, il2_help.MECHANISM)
    return block(recruitment if recognised else 0.0, half,
                 expansion if helped else 0.0, il2_half)  # fmt: skip


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """Recruitment by MHC-I-loss cells and IL-2-driven expansion."""
    out[0] = p[_RECRUITMENT] * saturating(s[MHC_LOSS], p[_RECRUITMENT_HALF])
    drive = p[_EXPANSION] * saturating(il2(levels), p[_IL2_HALF])
    out[1] = drive * s[TGF_BRAKE] * counts[layout.NK]


PART = Part(
    name="nk_recruitment",
    description=str(__doc__),
    parameters=PARAMETERS,
    channels=CHANNELS,
    bind=bind,
    fill=fill,
)
