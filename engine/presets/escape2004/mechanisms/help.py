"""IL-2 help: IL-2 drives effector proliferation (Kirschner & Panetta 1998 form).

Stimulated CTLs make IL-2 at ``p_I·E·T_vis/(g_I + T)``; it decays at ``μ_I`` (and is
consumed by CD25-high Tregs, see :mod:`.regulation`). Effectors proliferate at
``p_E·E·I/(g_E + I)``, braked by TGF-β (β) and Tregs (ρ). ``I`` counts endogenous IL-2
plus recombinant IL-2 given as therapy.

| channel          | propensity              | change |
|------------------|-------------------------|--------|
| il2_proliferation| p_E·β·ρ·E·I/(g_E + I)   | E + 1  |
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.network import Channel, FloatArray, MechanismSpec
from engine.presets.escape2004 import layout
from engine.presets.escape2004.parts import channel, parameter, saturating, values_of
from engine.presets.escape2004.state import State

MECHANISM = MechanismSpec(
    name="help", description="IL-2 help: IL-2 drives effector proliferation"
)

KP = "Kirschner & Panetta 1998"
PARAMETERS = (
    parameter("il2_proliferation", "1/day", 0.1245, "maximal IL-2-driven CTL proliferation",
              KP + " (p1)", upper=100.0),
    parameter("il2_half_saturation", "IL-2 units", 1e6,
              "IL-2 giving half-maximal proliferation",
              "chosen between KP's g1 = 2e7 (endogenous help negligible) and runaway "
              "expansion: help matters above ~1e5 effectors or under IL-2 therapy",
              lower=1e-9, upper=1e15),
    parameter("il2_production", "IL-2 units/(cell·day)", 5.0,
              "IL-2 made per stimulated CTL per day", KP + " (p2)", upper=1e9),
    parameter("il2_stimulation_half", "cells", 1e3,
              "tumour size at which CTL stimulation is half-maximal", KP + " (g3)",
              lower=1e-9, upper=1e15),
    parameter("il2_decay", "1/day", 10.0, "IL-2 clearance", KP + " (mu3)",
              lower=1e-6, upper=1e4),
)  # fmt: skip

CHANNELS: tuple[Channel, ...] = (
    channel("il2_proliferation", {"CTL": 1}, "IL-2-driven CTL proliferation"),
)


def il2(state: State) -> float:
    """IL-2 the cells see: endogenous plus recombinant (therapy)."""
    return state.il2 + state.ril2


class Help:
    """IL-2 production and IL-2-driven proliferation."""

    def __init__(self, values: Mapping[str, float], on: bool) -> None:
        self.on = on
        self.proliferation, self.half, self.production, self.stimulation, self.decay = (
            values_of(values, "il2_proliferation", "il2_half_saturation", "il2_production",
                      "il2_stimulation_half", "il2_decay"))  # fmt: skip

    def fill(self, state: State, out: FloatArray) -> None:
        """IL-2-driven proliferation."""
        drive = self.proliferation * saturating(il2(state), self.half) if self.on else 0.0
        out[0] = drive * state.tgf_brake * state.treg_brake * state.ctl

    def levels(self, state: State, production: FloatArray, decay: FloatArray) -> None:
        """IL-2 from stimulated CTLs; first-order clearance."""
        decay[layout.IL2] += self.decay
        if self.on and state.tumour > 0.0:
            stimulated = state.ctl * state.visible / (self.stimulation + state.tumour)
            production[layout.IL2] += self.production * stimulated
