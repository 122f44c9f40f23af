"""Chemotherapy: a cytotoxic drug kills a fraction of tumour cells (and some effectors).

The exposure ``C`` decays with the drug's half-life; tumour cells of every clone die at
``k_C·C/(C + EC50)`` per day, so one dose kills the fraction
``1 − exp(−k_C ∫ C/(C + EC50) dt)`` (log-kill). Effector CTLs die at ``λ`` times that
rate (lymphotoxicity). Its kills are immunogenic cell death: they load DCs at
``w_C`` per kill relative to an immune kill (:mod:`..mechanisms.presentation`), which is
the chemo-immunotherapy synergy of de Pillis et al. 2006/2009.

| channel                | propensity                 | change   |
|------------------------|----------------------------|----------|
| chemo_kill.<c>         | k_C·C/(C + EC50)·T_c       | T_c − 1  |
| chemo_lymphotoxicity   | λ·k_C·C/(C + EC50)·E       | E − 1    |
| chemo_lymphotoxicity_sub | λ·k_C·C/(C + EC50)·E_sub | E_sub − 1 |
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, FloatArray, Role, Species, TherapySpec
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.clones import CLONES
from escapesim.engine.presets.escape2004.part import Part, channel, parameter, values_of
from escapesim.engine.presets.escape2004.therapies.dosing import RATE, bolus, exposure, occupancy

PARAMETERS = (
    parameter("chemo_half_life", "days", 0.3, "half-life of the cytotoxic drug",
              "chosen: cyclophosphamide's active metabolites clear within hours"
              "; would pin it: plasma pharmacokinetics of the drug's active metabolite (e.g. "
              "4-hydroxycyclophosphamide) in the host species",
              lower=1e-4, upper=1e3),
    parameter("chemo_ec50", "mg/kg", 20.0, "exposure giving half-maximal kill",
              "chosen; the line's surviving fraction against dose in vivo would pin it",
              lower=1e-9, upper=1e6),
    parameter("chemo_kill_rate", "1/day", 2.0, "maximal tumour kill rate",
              "chosen so that 100 mg/kg kills ~80 % of the tumour: log-kill "
              "k_C·ln(1 + C0/EC50)/k_el ≈ 1.6"
              "; the line's surviving fraction against dose in vivo would pin it (with "
              "chemo_ec50)",
              upper=1e3),
    parameter("chemo_lymphotoxicity", "1", 0.5, "effector kill relative to tumour kill",
              "chosen; lymphocyte counts after a dose, relative to the tumour's surviving "
              "fraction, would pin it", upper=10.0),
    parameter("chemo_immunogenicity", "1", 1.0,
              "antigen with danger signals given to DCs by a chemotherapy kill, relative "
              "to a CTL or NK kill (immunogenic cell death)",
              "chosen 1: anthracyclines and cyclophosphamide induce immunogenic death "
              "(calreticulin exposure, Obeid et al. 2007 Nat Med; HMGB1-TLR4, Apetoh et "
              "al. 2007 Nat Med; cyclophosphamide, Schiavoni et al. 2011 Cancer Res); set "
              "it to apoptotic_immunogenicity for a non-ICD drug (mitomycin C, Obeid 2007)"
              "; would pin it: DC antigen uptake and priming after chemotherapy-killed against "
              "CTL-killed tumour cells (a vaccination assay with dead cells)",
              upper=10.0),
)  # fmt: skip

LEVELS = (Species(name="chemo", unit="mg/kg", initial=0.0, description="chemotherapy exposure",
                  label="chemotherapy", role=Role.DRUG),)

CHANNELS: tuple[Channel, ...] = (
    *(channel(f"chemo_kill.{c.name}", {c.name: -1}, "chemotherapy kills a tumour cell")
      for c in CLONES),
    channel("chemo_lymphotoxicity", {"CTL": -1}, "chemotherapy kills an effector CTL"),
    channel("chemo_lymphotoxicity_sub", {"CTL_sub": -1},
            "chemotherapy kills a subdominant-epitope effector CTL"),
)  # fmt: skip

THERAPY = TherapySpec(
    name="chemotherapy",
    description="cytotoxic chemotherapy: a fractional (log) kill of every clone while the "
    "drug is present (exposure decays by half-life)",
    dose_unit="mg/kg",
    dose_upper=1e4,
    parameters=(),
    give=bolus("chemo"),
)


_KILL, _LYMPHOTOXICITY = 2, 3
_N = len(CLONES)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block."""
    names = ("chemo_half_life", "chemo_ec50", "chemo_kill_rate", "chemo_lymphotoxicity")
    return exposure(*values_of(values, *names))


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """Kills of every clone, then of effectors."""
    kill = p[_KILL] * occupancy(levels[layout.CHEMO], p)
    for c in range(_N):
        out[c] = kill * counts[c]
    out[_N] = kill * p[_LYMPHOTOXICITY] * counts[layout.CTL]
    out[_N + 1] = kill * p[_LYMPHOTOXICITY] * counts[layout.CTL_SUB]


@jit
def levels(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
           production: FloatArray, decay: FloatArray) -> None:  # fmt: skip
    """Clearance of the exposure."""
    decay[layout.CHEMO] += p[RATE]


PART = Part(
    name="chemotherapy",
    description=str(__doc__),
    parameters=PARAMETERS,
    levels=LEVELS,
    channels=CHANNELS,
    therapy=THERAPY,
    bind=bind,
    fill=fill,
    level_rates=levels,
    release_weight="chemo_immunogenicity",
)
