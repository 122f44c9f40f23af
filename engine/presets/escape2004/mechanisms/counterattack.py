"""Fas/FasL counterattack: FasL-positive tumour cells kill the CTLs that engage them.

| channel       | propensity                          | change |
|---------------|-------------------------------------|--------|
| counterattack | k_F·E·Σ_{c FasL+} T_c/(h + T)       | E − 1  |
| counterattack_sub | k_F·E_sub·Σ_{c FasL+} T_c/(h + T) | E_sub − 1 |

Structure after Webb, Sherratt & Fish 2002 (J Theor Biol 216:263): counterattack is an
effector death proportional to encounters with FasL-bearing cells. It needs
:mod:`.cytotoxicity` too: no encounters, no counterattack.
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, FloatArray, MechanismSpec
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.mechanisms import cytotoxicity
from escapesim.engine.presets.escape2004.part import Part, block, channel, is_on, parameter
from escapesim.engine.presets.escape2004.state import FASL, SATURATION

MECHANISM = MechanismSpec(
    name="counterattack",
    description="Fas/FasL counterattack: FasL-positive tumour cells kill engaging CTLs",
    escape=True,
)

PARAMETERS = (
    parameter("counterattack_rate", "1/day", 0.5,
              "CTL deaths per CTL per day at saturating encounters with FasL+ cells",
              "chosen: comparable to the kill rate, so FasL+ tumours trade kills for CTLs "
              "(Webb et al. 2002 structure)"
              "; would pin it: CTL apoptosis rates in co-culture with FasL+ against FasL-negative "
              "tumour cells at known E:T ratios", upper=100.0),
)  # fmt: skip

CHANNELS: tuple[Channel, ...] = (
    channel("counterattack", {"CTL": -1}, "CTL killed by a FasL-positive tumour cell",
            order=2),
    channel("counterattack_sub", {"CTL_sub": -1},
            "subdominant-epitope CTL killed by a FasL-positive tumour cell", order=2),
)  # fmt: skip


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block: the counterattack rate (0 when switched off or without encounters)."""
    on = is_on(switches, MECHANISM) and is_on(switches, cytotoxicity.MECHANISM)
    return block(float(values["counterattack_rate"]) if on else 0.0)


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """Counterattack deaths."""
    engaged = p[0] * s[FASL] * s[SATURATION]
    out[0] = engaged * counts[layout.CTL]
    out[1] = engaged * counts[layout.CTL_SUB]


PART = Part(
    name="counterattack",
    description=str(__doc__),
    parameters=PARAMETERS,
    channels=CHANNELS,
    mechanism=MECHANISM,
    bind=bind,
    fill=fill,
)
