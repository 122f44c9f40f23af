"""IL-2 therapy: recombinant IL-2 adds to the IL-2 that drives effector (and Treg)
proliferation (see :mod:`..mechanisms.il2_help`).

The dose (IL-2 units) enters the exposure ``rIL2``, cleared with its own half-life;
effector and Treg proliferation see endogenous plus recombinant IL-2. No channel.
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import FloatArray, Role, Species, TherapySpec
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.part import Part, parameter
from escapesim.engine.presets.escape2004.therapies.dosing import RATE, bolus, exposure

PARAMETERS = (
    parameter("ril2_half_life", "days", 0.25, "half-life of recombinant IL-2 at the tumour",
              "chosen between bolus aldesleukin (~1.5 h) and depot forms (~1 day)"
              "; would pin it: IL-2 concentration in tumour tissue over time after a dose",
              lower=1e-4, upper=1e3),
)  # fmt: skip

LEVELS = (
    Species(name="rIL2", unit="IL-2 units", initial=0.0,
            description="recombinant IL-2 exposure", label="recombinant IL-2", role=Role.DRUG),
)  # fmt: skip

THERAPY = TherapySpec(
    name="il2",
    description="recombinant IL-2: drives effector proliferation (exposure decays by half-life)",
    dose_unit="IL-2 units",
    dose_upper=1e15,
    parameters=(),
    give=bolus("rIL2"),
)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block (its effect is read by the help mechanism)."""
    return exposure(float(values["ril2_half_life"]), 1.0)


@jit
def levels(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
           production: FloatArray, decay: FloatArray) -> None:  # fmt: skip
    """Clearance of the exposure."""
    decay[layout.RIL2] += p[RATE]


PART = Part(
    name="il2",
    description=str(__doc__),
    parameters=PARAMETERS,
    levels=LEVELS,
    therapy=THERAPY,
    bind=bind,
    level_rates=levels,
)
