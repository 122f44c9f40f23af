"""Homeostatic turnover of immune cells (always on): supply and death.

| channel          | propensity | change          |
|------------------|------------|-----------------|
| naive_influx     | 0.6·s_N    | N + 1           |
| naive_death      | d_N·N      | N − 1           |
| ctl_death        | d_E·E      | E − 1           |
| exhausted_death  | d_X·X      | X − 1           |
| nk_influx        | s_K        | K + 1           |
| nk_death         | d_K·K      | K − 1           |
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, FloatArray, Role
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.mechanisms import epitopes
from escapesim.engine.presets.escape2004.part import (
    Part,
    block,
    cells,
    channel,
    parameter,
    values_of,
)

PARAMETERS = (
    parameter("naive_influx", "cells/day", 50.0,
              "thymic output of naive CD8 T cells specific for the tumour's epitopes (0.6 "
              "of it for the immunodominant one, the rest for the subdominant ones)",
              "chosen so that the precursor pool s_N/d_N is 1000 cells (~10 epitopes of "
              "100 precursors each, Blattman et al. 2002: 100-200 per epitope; split 6:3:1 "
              "over three epitope classes, mechanisms/epitopes)"
              "; would pin it: the frequency of tumour-epitope-specific naive CD8 cells (tetramer "
              "enrichment) with naive T-cell lifespan", upper=1e9),
    parameter("naive_death", "1/day", 0.05,
              "loss of tumour-specific naive CD8 T cells (death or leaving the node)",
              "chosen so that the pool turns over in weeks and priming stays "
              "antigen-limited rather than precursor-limited"
              "; would pin it: the lifespan of naive CD8 T cells in the host (deuterium or BrdU "
              "labelling)", upper=100.0),
    parameter("ctl_death", "1/day", 0.3, "death or departure of effector CTLs at the tumour",
              "chosen (Kirschner & Panetta 1998 use 0.03): effectors at the tumour last "
              "days, which keeps the presentation-priming loop from over-oscillating"
              "; would pin it: the residence time of effector CTLs in the tumour (photoconversion "
              "tracking) or their contraction rate after the peak",
              upper=100.0),
    parameter("exhausted_death", "1/day", 0.1, "death of exhausted T cells",
              "chosen; the decay of PD-1+TIM-3+ CD8 cells in tumours would pin it",
              upper=100.0),
    parameter("nk_influx", "cells/day", 1e3, "resting supply of NK cells to the tumour site",
              "chosen: a resting pool s_K/d_K = 2e4; too few alone to reject an MHC-I-loss "
              "clone (0.1/day kills per target < its 0.157/day growth): recruitment by "
              "the clone does that (nk_recruitment)"
              "; would pin it: NK cell counts per tumour over time with their turnover (BrdU) in "
              "untreated tumours", upper=1e12),
    parameter("nk_death", "1/day", 0.05, "NK cell death at the tumour",
              "chosen; de Pillis et al. 2005 use 0.0412"
              "; would pin it: the turnover of NK cells at the tumour site (BrdU or deuterium "
              "labelling)", upper=100.0),
)  # fmt: skip

SPECIES = (
    cells("naive", "naive CD8 T cells specific for the immunodominant tumour epitope",
          epitopes.PRECURSORS * epitopes.DOMINANT_SHARE,
          label="naive CD8 T cells", role=Role.PRIMING),
    cells("CTL", "effector CD8 T cells (CTLs) at the tumour",
          label="effector CD8 T cells", role=Role.EFFECTOR),
    cells("exhausted", "exhausted CD8 T cells at the tumour",
          label="exhausted CD8 T cells", role=Role.EFFECTOR),
    cells("NK", "NK cells at the tumour", 2e4, label="NK cells", role=Role.EFFECTOR),
)

CHANNELS: tuple[Channel, ...] = (
    channel("naive_influx", {"naive": 1}, "thymic output of tumour-specific naive cells"),
    channel("naive_death", {"naive": -1}, "naive cell death"),
    channel("ctl_death", {"CTL": -1}, "effector CTL death"),
    channel("exhausted_death", {"exhausted": -1}, "exhausted T cell death"),
    channel("nk_influx", {"NK": 1}, "NK cell recruitment"),
    channel("nk_death", {"NK": -1}, "NK cell death"),
)


_NAMES = ("naive_influx", "naive_death", "ctl_death", "exhausted_death", "nk_influx", "nk_death")
_NAIVE_INFLUX, _NAIVE_DEATH, _CTL_DEATH, _EXHAUSTED_DEATH, _NK_INFLUX, _NK_DEATH = range(6)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block; the immunodominant epitope's share of the naive influx (the rest
    feeds the subdominant pool, :mod:`.epitopes`)."""
    influx, *rest = values_of(values, *_NAMES)
    return block(influx * epitopes.DOMINANT_SHARE, *rest)


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """Influxes and deaths."""
    out[0] = p[_NAIVE_INFLUX]
    out[1] = p[_NAIVE_DEATH] * counts[layout.NAIVE]
    out[2] = p[_CTL_DEATH] * counts[layout.CTL]
    out[3] = p[_EXHAUSTED_DEATH] * counts[layout.EXHAUSTED]
    out[4] = p[_NK_INFLUX]
    out[5] = p[_NK_DEATH] * counts[layout.NK]


PART = Part(
    name="turnover",
    description=str(__doc__),
    parameters=PARAMETERS,
    species=SPECIES,
    channels=CHANNELS,
    bind=bind,
    fill=fill,
)
