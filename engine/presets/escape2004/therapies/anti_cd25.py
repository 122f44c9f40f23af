"""Treg depletion: an anti-CD25 antibody depletes CD25-high regulatory T cells.

| channel         | propensity              | change |
|-----------------|-------------------------|--------|
| treg_depletion  | k_D·C/(C + EC50)·R      | R − 1  |

With :mod:`..mechanisms.regulation` off there are no Treg dynamics, so no depletion.
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, FloatArray, Role, Species, TherapySpec
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.mechanisms import regulation
from escapesim.engine.presets.escape2004.part import Part, channel, is_on, parameter, values_of
from escapesim.engine.presets.escape2004.therapies.dosing import RATE, bolus, exposure, occupancy

PARAMETERS = (
    parameter("anti_cd25_half_life", "days", 20.0, "half-life of the anti-CD25 antibody",
              "daclizumab, ~20 days (label)", lower=1e-3, upper=1e3),
    parameter("anti_cd25_ec50", "mg/kg", 0.5, "exposure giving half-maximal depletion",
              "chosen; FoxP3+ counts against antibody exposure would pin it",
              lower=1e-9, upper=1e6),
    parameter("treg_depletion_rate", "1/day", 1.0, "maximal Treg depletion rate",
              "chosen: PC61 depletes most Tregs within days (Onizuka et al. 1999)"
              "; would pin it: the time course of tumour Treg counts (FoxP3+) after one depleting "
              "dose",
              upper=100.0),
)  # fmt: skip

LEVELS = (Species(name="anti_CD25", unit="mg/kg", initial=0.0, description="anti-CD25 exposure",
                  label="anti-CD25", role=Role.DRUG),)

CHANNELS: tuple[Channel, ...] = (
    channel("treg_depletion", {"Treg": -1}, "anti-CD25 depletes a Treg"),
)

THERAPY = TherapySpec(
    name="anti_cd25",
    description="anti-CD25 antibody: depletes regulatory T cells (exposure decays by half-life)",
    dose_unit="mg/kg",
    dose_upper=1e3,
    parameters=(),
    give=bolus("anti_CD25"),
)


_DEPLETION = 2


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block (no depletion when regulation is off: no Treg dynamics then)."""
    half_life, ec50, rate = values_of(
        values, "anti_cd25_half_life", "anti_cd25_ec50", "treg_depletion_rate")  # fmt: skip
    return exposure(half_life, ec50, rate if is_on(switches, regulation.MECHANISM) else 0.0)


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """Treg depletion."""
    out[0] = p[_DEPLETION] * occupancy(levels[layout.ANTI_CD25], p) * counts[layout.TREG]


@jit
def levels(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
           production: FloatArray, decay: FloatArray) -> None:  # fmt: skip
    """Clearance of the exposure."""
    decay[layout.ANTI_CD25] += p[RATE]


PART = Part(
    name="anti_cd25",
    description=str(__doc__),
    parameters=PARAMETERS,
    levels=LEVELS,
    channels=CHANNELS,
    therapy=THERAPY,
    bind=bind,
    fill=fill,
    level_rates=levels,
)
