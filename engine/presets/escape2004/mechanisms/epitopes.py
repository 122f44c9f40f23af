"""Several antigens: tumour cells carry three epitopes, immunodominant first.

One antigen made one loss event hide the tumour from every tumour-specific CTL. Tumours
carry several antigens (Coulie et al. 2014 Nat Rev Cancer 14:135), and the naive
repertoire is split among their epitopes in unequal, epitope-specific precursor pools:
~100-200 naive CD8 T cells per epitope in a mouse (Blattman et al. 2002 J Exp Med
195:657), numbers that differ several-fold between epitopes and set the immunodominance
hierarchy of the response (Obar et al. 2008 Immunity 28:859; Kotturi et al. 2008 J
Immunol 181:2124; Yewdell & Bennink 1999 Annu Rev Immunol 17:51). So the 1000
tumour-specific precursors are split 6:3:1 (:data:`SHARES`) over three epitopes
(each stands for a class of epitopes of like dominance):

* epitope 1, immunodominant: ``naive`` → ``CTL`` (the lineage the other parts call CTL);
* epitopes 2 and 3, subdominant: one pool ``naive_sub`` → ``CTL_sub``, primed per epitope
  (``prime_sub.epitope2``, ``prime_sub.epitope3`` in :mod:`.priming`, at the pool's 3:1
  split: both epitopes' precursors have the same per-cell kinetics, so the pool keeps
  the influx's composition). ``naive_sub`` is a mean-field level (cells), like
  :mod:`.cd4_help`'s helpers: 400 precursors fluctuate by a few per cent, and a level
  costs the kernel no leap bound (the preset's speed budget); its primings are
  stochastic channels all the same.

The antigen-loss trait (:mod:`..clones`) is the loss of the immunodominant antigen, the
one under the strongest CTL pressure: a loss variant stays visible, through MHC-I, to
the CTLs of the subdominant epitopes (signal ``VISIBLE_SUB``; those of them that are
PD-L1-high, ``VISIBLE_SUB_PDL1``), and its deaths release their antigen. Full
invisibility then needs MHC-I loss (β2m / HLA loss, the common route of complete escape:
Garrido et al. 2016 Curr Opin Immunol 39:44). Losing a second epitope is not modelled (it
needs a second loss event in the same lineage; one more trait bit would double the
clones).

    dN_sub/dt = 0.4·s_N − d_N·N_sub − (priming encounters, :mod:`.priming`)

| channel          | propensity  | change       |
|------------------|-------------|--------------|
| ctl_sub_death    | d_E·E_sub   | E_sub − 1    |

(the dominant pool's influx is ``s_N·0.6``, :mod:`.turnover`). Every other part treats
``CTL_sub`` as it treats ``CTL`` (kills, inactivation, exhaustion, counterattack, IL-2,
lymphotoxicity), except that it recognises the subdominant epitopes. Exhausted cells form
one pool, and anti-PD-1 reinvigorates them into ``CTL``.

Switched off: one antigen. Every precursor recognises it, an antigen-loss variant is
invisible to every CTL (the full loss of the single-antigen model), and the pools are
primed alike (:mod:`.spreading` has nothing to spread).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, FloatArray, MechanismSpec, Role, Species
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.clones import Trait, mask
from escapesim.engine.presets.escape2004.part import (
    Part,
    Signal,
    block,
    cells,
    channel,
    is_on,
    values_of,
)
from escapesim.engine.presets.escape2004.state import (
    MHC_LOSS,
    TUMOUR,
    VISIBLE_PDL1,
    VISIBLE_SUB,
    VISIBLE_SUB_PDL1,
    VISIBLE_SUM,
)

MECHANISM = MechanismSpec(
    name="epitopes",
    description="several antigens: three epitopes (immunodominant first) share the naive "
    "repertoire; an antigen-loss variant loses the immunodominant one only",
)

#: Shares of the tumour-specific naive repertoire per epitope, immunodominant first (a
#: several-fold hierarchy of precursor numbers: see the module docstring). Structural:
#: the pools' initial sizes follow from them.
SHARES = (0.6, 0.3, 0.1)
DOMINANT_SHARE = SHARES[0]
SUBDOMINANT_SHARE = SHARES[1] + SHARES[2]
#: The tumour-specific precursors of the single-antigen model (turnover's s_N/d_N).
PRECURSORS = 1000.0

SPECIES = (
    cells("CTL_sub", "effector CD8 T cells specific for the subdominant epitopes",
          label="effector CD8 T cells (subdominant)", role=Role.EFFECTOR),
)  # fmt: skip

LEVELS = (
    Species(name="naive_sub", unit="cells", initial=PRECURSORS * SUBDOMINANT_SHARE,
            description="naive CD8 T cells specific for the subdominant tumour epitopes "
            "(mean field)", label="naive CD8 T cells (subdominant)", role=Role.PRIMING),
)  # fmt: skip

CHANNELS: tuple[Channel, ...] = (
    channel("ctl_sub_death", {"CTL_sub": -1}, "subdominant effector CTL death"),
)  # fmt: skip

#: Antigen-loss, MHC-I-positive, PD-L1-high clones: what subdominant CTLs see with PD-L1
#: beyond the visible PD-L1-high cells (``VISIBLE_PDL1``).
_LOSS_PDL1 = np.flatnonzero(
    mask(Trait.ANTIGEN_LOSS) & ~mask(Trait.MHC_LOSS) & mask(Trait.PDL1_HIGH)
)
_ON, _INFLUX, _NAIVE_DEATH, _CTL_DEATH = range(4)


def several(switches: Mapping[str, bool]) -> bool:
    """Whether clones carry several antigens (the ``epitopes`` switch)."""
    return is_on(switches, MECHANISM)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block: the subdominant pool's turnover (turnover's rates)."""
    influx, naive_death, ctl_death = values_of(values, "naive_influx", "naive_death",
                                               "ctl_death")  # fmt: skip
    return block(float(several(switches)), influx * SUBDOMINANT_SHARE, naive_death,
                 ctl_death)  # fmt: skip


@jit
def visible_sub(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray) -> float:
    """The signal ``VISIBLE_SUB``: every MHC-I-positive cell (one antigen: ``VISIBLE``)."""
    return float(s[TUMOUR] - s[MHC_LOSS]) if p[_ON] != 0.0 else float(s[VISIBLE_SUM])


@jit
def visible_sub_pdl1(counts: FloatArray, levels: FloatArray, s: FloatArray,
                     p: FloatArray) -> float:  # fmt: skip
    """The signal ``VISIBLE_SUB_PDL1``: MHC-I-positive PD-L1-high cells."""
    total = float(s[VISIBLE_PDL1])
    if p[_ON] != 0.0:
        for c in _LOSS_PDL1:
            total += counts[c]
    return total


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """Death of the subdominant effectors."""
    out[0] = p[_CTL_DEATH] * counts[layout.CTL_SUB]


@jit
def level_rates(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
                production: FloatArray, decay: FloatArray) -> None:  # fmt: skip
    """The subdominant naive pool's thymic influx and death."""
    production[layout.NAIVE_SUB] += p[_INFLUX]
    decay[layout.NAIVE_SUB] += p[_NAIVE_DEATH]


PART = Part(
    name="epitopes",
    description=str(__doc__),
    species=SPECIES,
    levels=LEVELS,
    channels=CHANNELS,
    mechanism=MECHANISM,
    bind=bind,
    signals=(
        Signal(index=VISIBLE_SUB, compute=visible_sub),
        Signal(index=VISIBLE_SUB_PDL1, compute=visible_sub_pdl1),
    ),
    fill=fill,
    level_rates=level_rates,
)
