"""Antigen-loss and MHC-I-loss variants arising at division (immunoediting's raw material).

A division of clone ``c`` produces, with probability ``μ``, one daughter that lost the
antigen (or MHC-I); the other daughter replaces the parent, so the event only adds one
variant cell:

| channel            | propensity           | change          |
|--------------------|----------------------|-----------------|
| lose_antigen.<c>   | r·w_c·μ_a·T_c        | T_{c+a} + 1     |
| lose_mhc.<c>       | r·w_c·μ_m·T_c        | T_{c+m} + 1     |

Loss variants pay a fitness cost ``κ`` per lost trait (w_c = (1 − κ)^losses), so without
immune pressure a variant settles at mutation-selection balance (fraction ≈ μ/κ); under
CTL pressure, which spares them, they are selected.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, FloatArray, MechanismSpec
from escapesim.engine.presets.escape2004.clones import CLONES, Trait, mask
from escapesim.engine.presets.escape2004.part import (
    Part,
    block,
    channel,
    is_on,
    parameter,
    values_of,
)

MECHANISM = MechanismSpec(
    name="variants",
    description="antigen-loss and MHC-I-loss variants arise at division; immune pressure "
    "selects them",
    escape=True,
)

PARAMETERS = (
    parameter("antigen_loss_rate", "1/division", 1e-4,
              "probability a division yields an antigen-loss daughter",
              "chosen within epigenetic silencing rates (1e-5 to 1e-3 per division)"
              "; would pin it: fluctuation-analysis (Luria-Delbrück) counts of antigen-negative "
              "subclones per division in the tumour line",
              upper=0.1),
    parameter("mhc_loss_rate", "1/division", 1e-4,
              "probability a division yields an MHC-I-loss daughter (β2m / HLA loss)",
              "chosen equal to the antigen-loss rate; no paper fixes it"
              "; would pin it: fluctuation-analysis counts of β2m/HLA-loss subclones per division "
              "(flow cytometry for surface MHC-I)", upper=0.1),
    parameter("loss_fitness_cost", "1", 0.1,
              "fractional loss of division rate per lost trait (antigen or MHC-I)",
              "chosen so that the balance fraction μ/κ is 1e-3 without immune pressure"
              "; would pin it: growth rates in vitro or in immunodeficient mice of antigen-loss or"
              " MHC-loss subclones against their parent",
              upper=1.0),
)  # fmt: skip

_GAINS_ANTIGEN_LOSS = [c for c in CLONES if not c.has(Trait.ANTIGEN_LOSS)]
_GAINS_MHC_LOSS = [c for c in CLONES if not c.has(Trait.MHC_LOSS)]
_PARENTS_A = np.array([int(c.traits) for c in _GAINS_ANTIGEN_LOSS])
_PARENTS_M = np.array([int(c.traits) for c in _GAINS_MHC_LOSS])

CHANNELS: tuple[Channel, ...] = (
    *(
        channel(f"lose_antigen.{c.name}", {c.with_trait(Trait.ANTIGEN_LOSS).name: 1},
                "division producing an antigen-loss variant daughter")
        for c in _GAINS_ANTIGEN_LOSS
    ),
    *(
        channel(f"lose_mhc.{c.name}", {c.with_trait(Trait.MHC_LOSS).name: 1},
                "division producing an MHC-I-loss variant daughter")
        for c in _GAINS_MHC_LOSS
    ),
)  # fmt: skip


def fitness(values: Mapping[str, float]) -> FloatArray:
    """Relative division rate of every clone (loss traits cost fitness)."""
    losses = mask(Trait.ANTIGEN_LOSS).astype(float) + mask(Trait.MHC_LOSS).astype(float)
    return np.asarray((1.0 - values["loss_fitness_cost"]) ** losses, dtype=np.float64)


def mutating(values: Mapping[str, float], on: bool) -> FloatArray:
    """Per clone: the share of divisions that produce a variant daughter."""
    rates = np.zeros(len(CLONES))
    if on:
        rates += np.where(mask(Trait.ANTIGEN_LOSS), 0.0, values["antigen_loss_rate"])
        rates += np.where(mask(Trait.MHC_LOSS), 0.0, values["mhc_loss_rate"])
    return rates


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block: variant-producing division rate per parent, antigen loss first."""
    on = is_on(switches, MECHANISM)
    to_a, to_m = values_of(values, "antigen_loss_rate", "mhc_loss_rate") if on else (0.0, 0.0)
    division = values["division_rate"] * fitness(values)
    return block(to_a * division[_PARENTS_A], to_m * division[_PARENTS_M])


_A = len(_PARENTS_A)


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """Antigen-loss divisions, then MHC-loss divisions."""
    for k in range(_A):
        out[k] = p[k] * counts[_PARENTS_A[k]]
    for k in range(_PARENTS_M.size):
        out[_A + k] = p[_A + k] * counts[_PARENTS_M[k]]


PART = Part(
    name="variants",
    description=str(__doc__),
    parameters=PARAMETERS,
    channels=CHANNELS,
    mechanism=MECHANISM,
    bind=bind,
    fill=fill,
)
