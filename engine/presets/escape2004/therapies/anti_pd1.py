"""PD-1 / PD-L1 blockade: the antibody blocks PD-1, removing PD-L1's extra exhaustion and
reinvigorating exhausted cells.

The exposure ``C`` (mg/kg) decays with the antibody's half-life; the blocked share of
PD-1 is ``C/(C + EC50)``. The open share ``1 − C/(C + EC50)`` is this part's signal
``PD1_OPEN``, which scales PD-L1's exhaustion gain (the ``exhaust`` channel of
:mod:`..mechanisms.dysfunction`); and the antibody drives

| channel      | propensity                 | change        |
|--------------|----------------------------|---------------|
| reinvigorate | k_V·C/(C + EC50)·φ·X      | X − 1, E + 1  |

where φ is the share of the recognised tumour with PD-L1 (heritable PD-L1-high clones or
IFN-γ-induced, :mod:`..mechanisms.adaptive_resistance`): without PD-L1 there is no
PD-1 signal to block, so the antibody then does nothing; nor when
:mod:`..mechanisms.dysfunction` (PD-1 signalling is part of it) or
:mod:`..mechanisms.cytotoxicity` (the signal comes in encounters) is off.
Structure after Nikolopoulou et al. 2018 (Lett Biomath 5:S137).
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, FloatArray, Role, Species, TherapySpec
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.mechanisms import cytotoxicity, dysfunction
from escapesim.engine.presets.escape2004.part import (
    Part,
    Signal,
    channel,
    is_on,
    parameter,
    values_of,
)
from escapesim.engine.presets.escape2004.state import PD1_OPEN, PDL1_ENGAGED, VISIBLE_SUM
from escapesim.engine.presets.escape2004.therapies.dosing import RATE, bolus, exposure, occupancy

PARAMETERS = (
    parameter("anti_pd1_half_life", "days", 25.0, "half-life of the anti-PD-1 antibody",
              "nivolumab, ~25 days (Opdivo label)", lower=1e-3, upper=1e3),
    parameter("anti_pd1_ec50", "mg/kg", 0.1, "exposure blocking half of PD-1",
              "chosen: receptor occupancy saturates at ≥0.3 mg/kg (Brahmer et al. 2010)"
              "; would pin it: PD-1 receptor occupancy on circulating T cells against antibody "
              "dose or serum concentration",
              lower=1e-9, upper=1e6),
    parameter("reinvigoration_rate", "1/day", 0.1,
              "rate at which blocked exhausted cells regain effector function",
              "chosen: reinvigoration within ~10 days of blockade"
              "; would pin it: the time course of effector function (IFN-γ, granzyme, Ki-67) of "
              "PD-1+ exhausted cells after blockade", upper=100.0),
)  # fmt: skip

LEVELS = (Species(name="anti_PD1", unit="mg/kg", initial=0.0, description="anti-PD-1 exposure",
                  label="anti-PD-1", role=Role.DRUG),)

CHANNELS: tuple[Channel, ...] = (
    channel(
        "reinvigorate",
        {"exhausted": -1, "CTL": 1},
        "PD-1 blockade restores an exhausted cell's effector function",
    ),
)

THERAPY = TherapySpec(
    name="anti_pd1",
    description="anti-PD-1 / PD-L1 antibody: blocks PD-1 (exposure decays by half-life)",
    dose_unit="mg/kg",
    dose_upper=1e3,
    parameters=(),
    give=bolus("anti_PD1"),
)


_REINVIGORATION = 2


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block (no reinvigoration without PD-1 signalling: the dysfunction or the
    cytotoxicity mechanism off)."""
    half_life, ec50, rate = values_of(
        values, "anti_pd1_half_life", "anti_pd1_ec50", "reinvigoration_rate")  # fmt: skip
    signalling = is_on(switches, dysfunction.MECHANISM) and is_on(switches, cytotoxicity.MECHANISM)
    return exposure(half_life, ec50, rate if signalling else 0.0)


@jit
def open_share(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray) -> float:
    """The signal ``PD1_OPEN``: the share of PD-1 the antibody leaves unblocked."""
    return 1.0 - occupancy(levels[layout.ANTI_PD1], p)


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """Reinvigoration of exhausted cells."""
    if s[VISIBLE_SUM] <= 0.0:
        out[0] = 0.0
        return
    # Only the PD-1 signalling that PD-L1 on recognised cells (heritable or IFN-γ-induced)
    # provides can be blocked.
    signalled = s[PDL1_ENGAGED] / s[VISIBLE_SUM]
    blocked = occupancy(levels[layout.ANTI_PD1], p)
    out[0] = p[_REINVIGORATION] * blocked * signalled * counts[layout.EXHAUSTED]


@jit
def levels(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
           production: FloatArray, decay: FloatArray) -> None:  # fmt: skip
    """Clearance of the exposure."""
    decay[layout.ANTI_PD1] += p[RATE]


PART = Part(
    name="anti_pd1",
    description=str(__doc__),
    parameters=PARAMETERS,
    levels=LEVELS,
    channels=CHANNELS,
    therapy=THERAPY,
    bind=bind,
    signals=(Signal(index=PD1_OPEN, compute=open_share),),
    fill=fill,
    level_rates=levels,
)
