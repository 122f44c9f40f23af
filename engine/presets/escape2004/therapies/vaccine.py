"""Vaccines: antigen-loaded dendritic cells, or peptide that loads the host's DCs.

Both enter through antigen presentation, so their effect on effectors at the tumour
waits for DC migration and clonal expansion (the delays of
:mod:`..mechanisms.presentation` and :mod:`..mechanisms.priming`).

* ``dc_vaccine`` (dose: DCs): a share ``homing`` of the injected DCs joins the loaded DCs
  that migrate to the lymph node (counted as ``dc_vaccine``).
* ``peptide_vaccine`` (dose: µg): peptide exposure at the injection site decays by
  half-life and loads host DCs:

| channel      | propensity                      | change         |
|--------------|---------------------------------|----------------|
| load_peptide | σ_P·β·P/(P + EC50)              | DC_loaded + 1  |
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from escapesim.engine.compiled import jit
from escapesim.engine.network import Administered, Channel, FloatArray, TherapyContext, TherapySpec
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.parts import channel, parameter, values_of
from escapesim.engine.presets.escape2004.state import TGF_BRAKE
from escapesim.engine.presets.escape2004.therapies.dosing import RATE, bolus, exposure, occupancy

PARAMETERS = (
    parameter("peptide_half_life", "days", 1.0, "half-life of peptide (with adjuvant depot)",
              "chosen: free peptide clears in hours, an adjuvant depot holds it ~days",
              lower=1e-4, upper=1e3),
    parameter("peptide_ec50", "µg", 10.0, "peptide exposure giving half-maximal DC loading",
              "chosen", lower=1e-9, upper=1e9),
    parameter("peptide_loading", "cells/day", 50.0, "maximal DCs loaded by peptide per day",
              "chosen comparable to the tumour's own DC supply", upper=1e9),
)  # fmt: skip

CHANNELS: tuple[Channel, ...] = (
    channel("load_peptide", {"DC_loaded": 1}, "a host DC loads vaccine peptide"),
)

DC_OPTIONS = (
    parameter("homing", "1", 0.05, "share of injected DCs that reach the lymph node",
              "De Vries et al. 2003: under 5 % of intradermal DCs reach the nodes",
              upper=1.0),
)  # fmt: skip


def _give_dcs(administered: Administered, ctx: TherapyContext) -> None:
    homing = administered.parameters.get("homing", DC_OPTIONS[0].default)
    for day in administered.at_days:
        ctx.at(day, partial(ctx.add_count, "DC_loaded", administered.dose * homing, "dc_vaccine"))


DC_VACCINE = TherapySpec(
    name="dc_vaccine",
    description="vaccine of antigen-loaded dendritic cells (migrate, present, prime)",
    dose_unit="cells",
    dose_upper=1e10,
    parameters=DC_OPTIONS,
    give=_give_dcs,
)

PEPTIDE_VACCINE = TherapySpec(
    name="peptide_vaccine",
    description="peptide vaccine: loads host DCs while the peptide lasts (exposure decays "
    "by half-life)",
    dose_unit="µg",
    dose_upper=1e6,
    parameters=(),
    give=bolus("peptide"),
)


_LOADING = 2


def bind(values: Mapping[str, float]) -> FloatArray:
    """Parameter block of the peptide vaccine."""
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
