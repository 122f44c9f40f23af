"""Kirschner & Panetta 1998 (J Math Biol 37:235-252): effectors, tumour and IL-2.

    dE/dt = c·T − mu2·E + p1·E·I/(g1 + I) + s1
    dT/dt = r2·T·(1 − b·T) − a·E·T/(g2 + T)
    dI/dt = p2·E·T/(g3 + T) − mu3·I + s2

How the ODE terms become stochastic channels (each fires ±1 cell):

| channel             | propensity         | change |
|---------------------|--------------------|--------|
| antigen_stimulation | c·T                | E + 1  |
| effector_death      | mu2·E              | E − 1  |
| il2_proliferation   | p1·E·I/(g1 + I)    | E + 1  |
| adoptive_influx     | s1                 | E + 1  |
| tumour_division     | r2·T               | T + 1  |
| competition         | r2·b·T²            | T − 1  |
| ctl_kill            | a·E·T/(g2 + T)     | T − 1  |

IL-2 (``I``) is a concentration, not a count: between events it follows
``dI/dt = p2·E·T/(g3 + T) + s2 − mu3·I`` with E and T held at their current counts,
integrated exactly over each step. The equations are the paper's (both BioModels
encodings mistype the IL-2 proliferation term).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from engine.frozen import FrozenMap
from engine.network import Channel, FloatArray, Network, ParameterSpec, Species

SOURCE = "Kirschner & Panetta 1998, table 1"

PARAMETERS = (
    ParameterSpec(name="c", unit="1/day", default=0.035, upper=10.0,
                  description="tumour antigenicity (effector stimulation per tumour cell)",
                  source=SOURCE + " (range 0 to 0.05)"),
    ParameterSpec(name="mu2", unit="1/day", default=0.03, upper=100.0,
                  description="effector death", source=SOURCE),
    ParameterSpec(name="p1", unit="1/day", default=0.1245, upper=100.0,
                  description="IL-2-driven effector proliferation", source=SOURCE),
    ParameterSpec(name="g1", unit="IL-2 units", default=2e7, upper=1e15,
                  description="half-saturation of IL-2-driven proliferation", source=SOURCE),
    ParameterSpec(name="g2", unit="cells", default=1e5, upper=1e15,
                  description="half-saturation of tumour kill", source=SOURCE),
    ParameterSpec(name="r2", unit="1/day", default=0.18, upper=100.0,
                  description="tumour growth", source=SOURCE),
    ParameterSpec(name="b", unit="1/cell", default=1e-9, upper=1.0,
                  description="inverse carrying capacity", source=SOURCE),
    ParameterSpec(name="a", unit="1/day", default=1.0, upper=1000.0,
                  description="maximal kill rate", source=SOURCE),
    ParameterSpec(name="mu3", unit="1/day", default=10.0, upper=1000.0,
                  description="IL-2 decay", source=SOURCE),
    ParameterSpec(name="p2", unit="IL-2 units/(cell·day)", default=5.0, upper=1e6,
                  description="IL-2 production by stimulated effectors", source=SOURCE),
    ParameterSpec(name="g3", unit="cells", default=1e3, upper=1e15,
                  description="half-saturation of IL-2 production", source=SOURCE),
    ParameterSpec(name="s1", unit="cells/day", default=0.0, upper=1e12,
                  description="adoptive transfer influx (therapy)", source=SOURCE),
    ParameterSpec(name="s2", unit="IL-2 units/day", default=0.0, upper=1e12,
                  description="exogenous IL-2 (therapy)", source=SOURCE),
)  # fmt: skip


def _channel(name: str, change: Mapping[str, int], description: str, order: int = 1) -> Channel:
    return Channel(name=name, change=FrozenMap(change), description=description, order=order)


CHANNELS = (
    _channel("antigen_stimulation", {"E": 1}, "effector stimulation by antigen c·T"),
    _channel("effector_death", {"E": -1}, "effector death mu2·E"),
    _channel("il2_proliferation", {"E": 1}, "IL-2-driven proliferation p1·E·I/(g1+I)"),
    _channel("adoptive_influx", {"E": 1}, "adoptive transfer influx s1"),
    _channel("tumour_division", {"T": 1}, "tumour division r2·T"),
    _channel("competition", {"T": -1}, "competitive tumour death r2·b·T²", 2),
    _channel("ctl_kill", {"T": -1}, "tumour kill a·E·T/(g2+T)", 2),
)


class Rates:
    """The rate laws with parameter values bound (plain floats: this is the hot loop)."""

    def __init__(self, values: Mapping[str, float], switches: Mapping[str, bool]) -> None:
        del switches  # the reference model has no switchable mechanisms
        self.c, self.mu2, self.p1, self.g1 = values["c"], values["mu2"], values["p1"], values["g1"]
        self.g2, self.r2, self.b, self.a = values["g2"], values["r2"], values["b"], values["a"]
        self.mu3, self.p2, self.g3 = values["mu3"], values["p2"], values["g3"]
        self.s1, self.s2 = values["s1"], values["s2"]

    def propensities(self, counts: FloatArray, levels: FloatArray) -> FloatArray:
        """Propensities in the order of :data:`CHANNELS`."""
        effectors, tumour, il2 = float(counts[0]), float(counts[1]), float(levels[0])
        return np.array(
            [
                self.c * tumour,
                self.mu2 * effectors,
                self.p1 * effectors * il2 / (self.g1 + il2) if il2 > 0 else 0.0,
                self.s1,
                self.r2 * tumour,
                self.r2 * self.b * tumour * tumour,
                self.a * effectors * tumour / (self.g2 + tumour) if tumour > 0 else 0.0,
            ]
        )

    def level_rates(self, counts: FloatArray, levels: FloatArray) -> tuple[FloatArray, FloatArray]:
        """IL-2 production per day and its first-order decay."""
        effectors, tumour = float(counts[0]), float(counts[1])
        production = self.p2 * effectors * tumour / (self.g3 + tumour) + self.s2
        return np.array([production]), np.array([self.mu3])


NETWORK = Network(
    name="kirschner_panetta1998",
    title="Kirschner & Panetta 1998: effectors, tumour and IL-2",
    citation="Kirschner D, Panetta JC. J Math Biol 37:235-252 (1998)",
    splitting=__doc__ or "",
    species=(
        Species(name="E", unit="cells", initial=1.0, description="activated effector cells"),
        Species(name="T", unit="cells", initial=100.0, description="tumour cells"),
    ),
    levels=(
        Species(
            name="I",
            unit="IL-2 units",
            initial=1.0,
            upper=1e15,
            description="IL-2 concentration at the tumour site",
        ),
    ),
    parameters=PARAMETERS,
    channels=CHANNELS,
    tumour=("T",),
    bind=Rates,
)
