"""Cytotoxic encounters: CTLs and NK cells meet tumour cells and kill, or are inactivated.

Encounters saturate in tumour size (Kirschner & Panetta 1998's ``a·E·T/(g2 + T)``): an
effector's engaged share of clone ``c`` is ``T_c / (h + T)`` with ``T`` the whole tumour,
so invisible cells still take up effector time. A CTL recognises only clones that show
antigen on MHC-I; an NK cell kills MHC-I-loss cells fully and MHC-positive cells at a
reduced weight ("missing self"). Kills release antigen (for :mod:`.presentation`) and
IFN-γ, which raises MHC-I presentation and so CTL killing.

| channel          | propensity                                              | change   |
|------------------|---------------------------------------------------------|----------|
| ctl_kill.<c>     | k_E·β·(1 + g·F/(F + K_F))·E·T_c/(h + T), c visible      | T_c − 1  |
| nk_kill.<c>      | k_K·β·w_c·K·T_c/(h + T), w_c = 1 if MHC-loss else w     | T_c − 1  |
| ctl_inactivation | m_E·E·T/(h + T)                                         | E − 1    |
| nk_inactivation  | m_K·K·Σ w_c·T_c/(h + T)                                 | K − 1    |
| ctl_sub_kill.<c> | k_E·β·(1 + g·F/(F + K_F))·E_sub·T_c/(h + T), c antigen-loss, MHC-I+ | T_c − 1 |
| ctl_sub_inactivation | m_E·E_sub·T/(h + T)                                 | E_sub − 1 |

``E`` are the CTLs of the immunodominant epitope; ``E_sub`` those of the subdominant
epitopes (:mod:`.epitopes`), which kill the visible clones alongside ``E`` (``ctl_kill``
runs on ``E + E_sub``) and, with several antigens, also the antigen-loss clones that keep
MHC-I (``ctl_sub_kill``; none with one antigen).

β is the humoral-suppression brake (:mod:`.suppression`); F is IFN-γ, produced at
``p_F`` per kill and cleared at ``μ_F``. The encounter saturation ``1/(h + T)`` is this
part's signal ``SATURATION``, which every encounter of other parts reads too.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, FloatArray, MechanismSpec, Role, Species
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.clones import (
    CLONES,
    SUBDOMINANT_ONLY_INDEX,
    VISIBLE_INDEX,
    Trait,
    mask,
)
from escapesim.engine.presets.escape2004.mechanisms import epitopes
from escapesim.engine.presets.escape2004.part import (
    Part,
    Signal,
    block,
    channel,
    is_on,
    parameter,
    saturating,
    values_of,
)
from escapesim.engine.presets.escape2004.state import (
    MHC_LOSS,
    SATURATION,
    TGF_BRAKE,
    TUMOUR,
    VISIBLE_SUB,
    VISIBLE_SUM,
)

MECHANISM = MechanismSpec(
    name="cytotoxicity",
    description="CTL and NK encounters with tumour cells: kill, inactivation (saturating "
    "in tumour size; CTLs need antigen on MHC-I, NK cells prefer MHC-I loss)",
)

KP = "Kirschner & Panetta 1998"
PARAMETERS = (
    parameter("encounter_half_saturation", "cells", 1e5,
              "tumour size at which effector encounters are half-saturated", KP + " (g2)",
              lower=1.0, upper=1e15),
    parameter("ctl_kill_rate", "1/day", 1.0, "kills per CTL per day at saturation",
              KP + " (a); in vivo CTLs kill ~1 to a few cells/day (Halle et al. 2016)",
              upper=100.0),
    parameter("ctl_inactivation_rate", "1/day", 0.05,
              "CTL inactivations per CTL per day at saturating encounters",
              "chosen; Kuznetsov et al. 1994's m·T is 0.003-0.03/day at 1e7-1e8 cells"
              "; would pin it: serial-killing assays (time-lapse) giving how many targets a CTL "
              "kills before it stops, per day of contact",
              upper=100.0),
    parameter("nk_kill_rate", "1/day", 0.5, "kills of MHC-I-loss cells per NK cell per day",
              "chosen below the CTL rate; de Pillis et al. 2005 structure"
              "; would pin it: an effector:target lysis curve of NK cells against MHC-I-deficient "
              "targets (e.g. RMA-S or YAC-1) over time", upper=100.0),
    parameter("nk_mhc_protection", "1", 0.1,
              "NK killing of MHC-I-positive cells relative to MHC-I-loss cells",
              "chosen: inhibitory KIR/NKG2A signals ('missing self', Ljunggren & Kärre 1990)"
              "; would pin it: paired lysis curves of one NK population against MHC-I-positive and"
              " MHC-I-deficient targets of the same line (RMA vs RMA-S)",
              upper=1.0),
    parameter("nk_inactivation_rate", "1/day", 0.1,
              "NK inactivations per NK cell per day at saturating encounters",
              "chosen; de Pillis et al. 2005 structure"
              "; would pin it: serial-killing assays of NK cells (targets killed per NK cell "
              "before exhaustion)", upper=100.0),
    parameter("ifn_per_kill", "IFN-γ units", 1.0, "IFN-γ released per kill",
              "chosen as the unit of IFN-γ"
              "; would pin it: none: it sets the unit of IFN-γ (only ratios to ifn_half_effect and"
              " pdl1_induction_half matter)", upper=1e6),
    parameter("ifn_decay", "1/day", 2.0, "IFN-γ clearance", "chosen (half-life ~8 h)"
                                                             "; would pin it: IFN-γ clearance from"
                                                             " tumour tissue or serum after a "
                                                             "pulse (its pharmacokinetic half-"
                                                             "life)",
              lower=1e-6, upper=1e4),
    parameter("ifn_mhc_gain", "1", 0.5, "maximal rise of CTL killing by IFN-γ-induced MHC-I",
              "chosen; specific lysis of IFN-γ-pretreated against untreated targets would "
              "pin it", upper=100.0),
    parameter("ifn_half_effect", "IFN-γ units", 1e3, "IFN-γ giving half the MHC-I rise",
              "chosen; tumour MHC-I against IFN-γ dose would pin it", lower=1e-9, upper=1e15),
)  # fmt: skip

_NK_PREFERS = mask(Trait.MHC_LOSS)
_N = len(CLONES)
_VISIBLE = len(VISIBLE_INDEX)
_KILLS = _VISIBLE + _N  # CTL kills, then NK kills, then the two inactivations
_SUB = len(SUBDOMINANT_ONLY_INDEX)
_SUB_KILLS = _KILLS + 2  # then kills by subdominant CTLs, then their inactivation

CHANNELS: tuple[Channel, ...] = (
    *(
        channel(f"ctl_kill.{CLONES[i].name}", {CLONES[i].name: -1},
                "CTL kills a tumour cell that shows antigen on MHC-I", order=2)
        for i in VISIBLE_INDEX
    ),
    *(
        channel(f"nk_kill.{c.name}", {c.name: -1}, "NK cell kills a tumour cell", order=2)
        for c in CLONES
    ),
    channel("ctl_inactivation", {"CTL": -1}, "CTL inactivated in an encounter", order=2),
    channel("nk_inactivation", {"NK": -1}, "NK cell inactivated in an encounter", order=2),
    *(
        channel(f"ctl_sub_kill.{CLONES[i].name}", {CLONES[i].name: -1},
                "CTL of a subdominant epitope kills an antigen-loss cell that keeps MHC-I",
                order=2)
        for i in SUBDOMINANT_ONLY_INDEX
    ),
    channel("ctl_sub_inactivation", {"CTL_sub": -1},
            "subdominant-epitope CTL inactivated in an encounter", order=2),
)  # fmt: skip


LEVELS = (
    Species(name="IFNg", unit="IFN-γ units", initial=0.0, description="IFN-γ", label="IFN-γ",
            role=Role.SIGNAL),
)  # fmt: skip

(_ON, _SEVERAL, _CTL_KILL, _CTL_INACTIVATION, _NK_RATE, _PROTECTION, _NK_INACTIVATION,
 _IFN_PER_KILL, _IFN_DECAY, _IFN_GAIN, _IFN_HALF, _ENCOUNTER_HALF,
 _NK_KILL) = range(13)  # fmt: skip
# NK_KILL: one per clone


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block; the per-clone NK kill rate makes MHC-I-loss cells the preferred
    targets ("missing self"). The encounter half-saturation holds when switched off too
    (other parts' encounters read it)."""
    scalars = values_of(
        values, "ctl_kill_rate", "ctl_inactivation_rate", "nk_kill_rate", "nk_mhc_protection",
        "nk_inactivation_rate", "ifn_per_kill", "ifn_decay", "ifn_mhc_gain", "ifn_half_effect",
        "encounter_half_saturation",
    )  # fmt: skip
    nk_kill = scalars[2] * np.where(_NK_PREFERS, 1.0, scalars[3])
    on, several = is_on(switches, MECHANISM), epitopes.several(switches)
    return block(float(on), float(several), *scalars, nk_kill)


@jit
def saturation(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray) -> float:
    """The signal ``SATURATION``: ``1/(h + T)``, an encounter's share per tumour cell."""
    return float(1.0 / (p[_ENCOUNTER_HALF] + s[TUMOUR]))


@jit
def _ctl_kill(levels: FloatArray, s: FloatArray, p: FloatArray, ctl: float) -> float:
    """CTL kills per day per visible tumour cell."""
    boost = 1.0 + p[_IFN_GAIN] * saturating(levels[layout.IFNG], p[_IFN_HALF])
    return float(p[_CTL_KILL] * s[TGF_BRAKE] * boost * ctl * s[SATURATION])


@jit
def _nk_engaged(s: FloatArray, p: FloatArray) -> float:
    """NK-weighted engaged share: MHC-loss cells fully, the rest at the protection."""
    weighted = s[MHC_LOSS] + p[_PROTECTION] * (s[TUMOUR] - s[MHC_LOSS])
    return float(weighted * s[SATURATION])


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """CTL kills of visible clones, NK kills of all clones, then inactivations."""
    if p[_ON] == 0.0 or s[TUMOUR] <= 0.0:
        out[:] = 0.0
        return
    ctl, nk, sub = counts[layout.CTL], counts[layout.NK], counts[layout.CTL_SUB]
    per_ctl = _ctl_kill(levels, s, p, 1.0)
    ctl_kill = per_ctl * (ctl + sub)
    for k in range(_VISIBLE):
        out[k] = ctl_kill * counts[VISIBLE_INDEX[k]]
    nk_scale = s[TGF_BRAKE] * nk * s[SATURATION]
    for c in range(_N):
        out[_VISIBLE + c] = p[_NK_KILL + c] * counts[c] * nk_scale
    out[_KILLS] = p[_CTL_INACTIVATION] * ctl * s[TUMOUR] * s[SATURATION]
    out[_KILLS + 1] = p[_NK_INACTIVATION] * nk * _nk_engaged(s, p)
    sub_kill = per_ctl * sub * p[_SEVERAL]
    for k in range(_SUB):
        out[_SUB_KILLS + k] = sub_kill * counts[SUBDOMINANT_ONLY_INDEX[k]]
    out[_SUB_KILLS + _SUB] = p[_CTL_INACTIVATION] * sub * s[TUMOUR] * s[SATURATION]


@jit
def levels(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
           production: FloatArray, decay: FloatArray) -> None:  # fmt: skip
    """IFN-γ: released per kill, cleared first-order."""
    decay[layout.IFNG] += p[_IFN_DECAY]
    if p[_ON] != 0.0 and s[TUMOUR] > 0.0:
        recognised = counts[layout.CTL] * s[VISIBLE_SUM] + counts[layout.CTL_SUB] * s[VISIBLE_SUB]
        ctl = _ctl_kill(levels, s, p, 1.0) * recognised
        nk = p[_NK_RATE] * s[TGF_BRAKE] * counts[layout.NK] * _nk_engaged(s, p)
        production[layout.IFNG] += p[_IFN_PER_KILL] * (ctl + nk)


PART = Part(
    name="cytotoxicity",
    description=str(__doc__),
    parameters=PARAMETERS,
    levels=LEVELS,
    channels=CHANNELS,
    mechanism=MECHANISM,
    bind=bind,
    signals=(Signal(index=SATURATION, compute=saturation),),
    fill=fill,
    level_rates=levels,
)
