"""Fas/FasL counterattack: FasL-positive tumour cells kill the CTLs that engage them.

| channel       | propensity                          | change |
|---------------|-------------------------------------|--------|
| counterattack | k_F·E·Σ_{c FasL+} T_c/(h + T)       | E − 1  |

Structure after Webb, Sherratt & Fish 2002 (J Theor Biol 216:263): counterattack is an
effector death proportional to encounters with FasL-bearing cells.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.network import Channel, FloatArray, MechanismSpec
from engine.presets.escape2004.parts import Silent, channel, parameter
from engine.presets.escape2004.state import State

MECHANISM = MechanismSpec(
    name="counterattack",
    description="Fas/FasL counterattack: FasL-positive tumour cells kill engaging CTLs",
)

PARAMETERS = (
    parameter("counterattack_rate", "1/day", 0.5,
              "CTL deaths per CTL per day at saturating encounters with FasL+ cells",
              "chosen: comparable to the kill rate, so FasL+ tumours trade kills for CTLs "
              "(Webb et al. 2002 structure)", upper=100.0),
)  # fmt: skip

CHANNELS: tuple[Channel, ...] = (
    channel("counterattack", {"CTL": -1}, "CTL killed by a FasL-positive tumour cell",
            order=2),
)  # fmt: skip


class Counterattack(Silent):
    """CTL deaths at encounters with FasL-positive cells."""

    def __init__(self, values: Mapping[str, float], on: bool) -> None:
        self.rate = float(values["counterattack_rate"]) if on else 0.0

    def fill(self, state: State, out: FloatArray) -> None:
        """Counterattack deaths."""
        out[0] = self.rate * state.ctl * state.fasl * state.saturation
