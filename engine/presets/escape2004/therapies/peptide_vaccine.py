"""Peptide vaccine: injected peptide loads the host's dendritic cells while it lasts.

The dose (µg) enters the exposure ``peptide`` at the injection site, which decays by
half-life; host DCs load it at a saturating rate, braked by TGF-β like tumour antigen.
Loaded DCs then migrate, present and prime like any other, so the vaccine's effect on
effectors at the tumour waits for the delays of :mod:`..mechanisms.presentation` and
:mod:`..mechanisms.priming`.

| channel      | propensity                      | change         |
|--------------|---------------------------------|----------------|
| load_peptide | σ_P·β·P/(P + EC50)              | DC_loaded + 1  |
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, FloatArray, Role, Species, TherapySpec
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.part import Part, channel, parameter, values_of
from escapesim.engine.presets.escape2004.state import TGF_BRAKE
from escapesim.engine.presets.escape2004.therapies.dosing import RATE, bolus, exposure, occupancy

PARAMETERS = (
    parameter("peptide_half_life", "days", 1.0, "half-life of peptide (with adjuvant depot)",
              "chosen: free peptide clears in hours, an adjuvant depot holds it ~days"
              "; would pin it: the persistence of peptide at the injection site or its draining "
              "node (labelled peptide)",
              lower=1e-4, upper=1e3),
    parameter("peptide_ec50", "µg", 10.0, "peptide exposure giving half-maximal DC loading",
              "chosen; peptide-MHC-loaded DCs in the draining node against dose would pin "
              "it", lower=1e-9, upper=1e9),
    parameter("peptide_loading", "cells/day", 50.0, "maximal DCs loaded by peptide per day",
              "chosen comparable to the tumour's own DC supply"
              "; would pin it: the number of peptide-presenting DCs in the draining node after one"
              " vaccine dose", upper=1e9),
)  # fmt: skip

LEVELS = (Species(name="peptide", unit="µg", initial=0.0, description="peptide vaccine exposure",
                  label="peptide vaccine", role=Role.DRUG),)

CHANNELS: tuple[Channel, ...] = (
    channel("load_peptide", {"DC_loaded": 1}, "a host DC loads vaccine peptide"),
)

THERAPY = TherapySpec(
    name="peptide_vaccine",
    description="peptide vaccine: loads host DCs while the peptide lasts (exposure decays "
    "by half-life)",
    dose_unit="µg",
    dose_upper=1e6,
    parameters=(),
    give=bolus("peptide"),
)


_LOADING = 2


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block."""
    return exposure(*values_of(values, "peptide_half_life", "peptide_ec50", "peptide_loading"))


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """DC loading by peptide (maturation braked by TGF-β like tumour antigen)."""
    out[0] = p[_LOADING] * s[TGF_BRAKE] * occupancy(levels[layout.PEPTIDE], p)


@jit
def levels(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
           production: FloatArray, decay: FloatArray) -> None:  # fmt: skip
    """Clearance of the exposure."""
    decay[layout.PEPTIDE] += p[RATE]


PART = Part(
    name="peptide_vaccine",
    description=str(__doc__),
    parameters=PARAMETERS,
    levels=LEVELS,
    channels=CHANNELS,
    therapy=THERAPY,
    bind=bind,
    fill=fill,
    level_rates=levels,
)
