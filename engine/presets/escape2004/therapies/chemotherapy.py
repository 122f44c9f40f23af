"""Chemotherapy: a cytotoxic drug kills a fraction of tumour cells (and some effectors).

The exposure ``C`` decays with the drug's half-life; tumour cells of every clone die at
``k_C·C/(C + EC50)`` per day, so one dose kills the fraction
``1 − exp(−k_C ∫ C/(C + EC50) dt)`` (log-kill). Effector CTLs die at ``λ`` times that
rate (lymphotoxicity).

| channel                | propensity                 | change   |
|------------------------|----------------------------|----------|
| chemo_kill.<c>         | k_C·C/(C + EC50)·T_c       | T_c − 1  |
| chemo_lymphotoxicity   | λ·k_C·C/(C + EC50)·E       | E − 1    |
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from engine.network import Channel, FloatArray, TherapySpec
from engine.presets.escape2004 import layout
from engine.presets.escape2004.clones import CLONES
from engine.presets.escape2004.parts import channel, parameter, values_of
from engine.presets.escape2004.state import State
from engine.presets.escape2004.therapies.dosing import Exposure, bolus

PARAMETERS = (
    parameter("chemo_half_life", "days", 0.3, "half-life of the cytotoxic drug",
              "chosen: cyclophosphamide's active metabolites clear within hours",
              lower=1e-4, upper=1e3),
    parameter("chemo_ec50", "mg/kg", 20.0, "exposure giving half-maximal kill", "chosen",
              lower=1e-9, upper=1e6),
    parameter("chemo_kill_rate", "1/day", 2.0, "maximal tumour kill rate",
              "chosen so that 100 mg/kg kills ~80 % of the tumour: log-kill "
              "k_C·ln(1 + C0/EC50)/k_el ≈ 1.6",
              upper=1e3),
    parameter("chemo_lymphotoxicity", "1", 0.5, "effector kill relative to tumour kill",
              "chosen", upper=10.0),
)  # fmt: skip

CHANNELS: tuple[Channel, ...] = (
    *(channel(f"chemo_kill.{c.name}", {c.name: -1}, "chemotherapy kills a tumour cell")
      for c in CLONES),
    channel("chemo_lymphotoxicity", {"CTL": -1}, "chemotherapy kills an effector CTL"),
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


class Chemotherapy(Exposure):
    """Exposure and the kills it causes."""

    def __init__(self, values: Mapping[str, float]) -> None:
        half_life, ec50, self.kill, self.lymphotoxicity = values_of(
            values, "chemo_half_life", "chemo_ec50", "chemo_kill_rate", "chemo_lymphotoxicity"
        )
        super().__init__(layout.CHEMO, half_life, ec50)
        self._idle = False

    def fill(self, state: State, out: FloatArray) -> None:
        """Kills of every clone, then of effectors."""
        if state.chemo <= 0.0:
            if not self._idle:  # most of the time there is no drug: skip rewriting zeros
                out[:] = 0.0
                self._idle = True
            return
        self._idle = False
        kill = self.kill * self.occupancy(state.chemo)
        np.multiply(kill, state.clones, out=out[:-1])
        out[-1] = kill * self.lymphotoxicity * state.ctl
