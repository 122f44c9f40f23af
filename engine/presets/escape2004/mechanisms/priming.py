"""Priming and clonal expansion: presenting DCs prime naive CD8 T cells in the lymph node.

A DC-naive encounter is costimulated with probability ``q`` (from :mod:`.dysfunction`)
and primes; otherwise the naive cell becomes anergic. A primed cell runs a programmed
expansion of :data:`BURST` progeny that arrive at the tumour :data:`EXPANSION_DELAY`
later (expansion plus trafficking, a SimPy delayed event). Regulatory T cells suppress
priming (the brake ρ, :mod:`.regulation`).

| channel   | propensity              | change                                  |
|-----------|-------------------------|-----------------------------------------|
| prime     | q·k_P·ρ·DC_node·N       | N − 1; CTL + BURST after the delay      |
| anergise  | (1 − q)·k_P·ρ·DC_node·N | N − 1                                   |
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, Delay, FloatArray, MechanismSpec
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.mechanisms import dysfunction
from escapesim.engine.presets.escape2004.part import Part, block, channel, is_on, parameter
from escapesim.engine.presets.escape2004.state import TREG_BRAKE

MECHANISM = MechanismSpec(
    name="priming",
    description="presenting DCs prime naive CD8 T cells (anergy without costimulation); "
    "each primed cell's clonal burst arrives at the tumour after a delay",
)

#: Progeny of one primed naive CD8 T cell: 2^8, within the 2^7-2^10 of a programmed
#: expansion (Kaech & Ahmed 2001). Structural: stoichiometry is fixed per channel.
BURST = 256
#: Expansion (~5 days of divisions) plus trafficking to the tumour, days (fixed, so
#: the shortest presentation-to-arrival delay is real).
EXPANSION_DELAY = Delay(mean=6.0)

PARAMETERS = (
    parameter("priming_rate", "1/(cell·day)", 1e-2,
              "DC-naive encounters that lead to priming, per DC per naive cell per day",
              "chosen so that a few presenting DCs prime tens of precursors per day",
              upper=1e3),
)  # fmt: skip

CHANNELS: tuple[Channel, ...] = (
    channel("prime", {"naive": -1}, "a presenting DC primes a naive CD8 T cell",
            delayed={"CTL": BURST}, delay=EXPANSION_DELAY, order=2),
    channel("anergise", {"naive": -1}, "priming without costimulation ends in anergy",
            order=2),
)  # fmt: skip


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block: priming and anergy rate constants per DC-naive encounter."""
    rate = float(values["priming_rate"]) if is_on(switches, MECHANISM) else 0.0
    costimulation = dysfunction.costimulation(values, switches)
    return block(rate * costimulation, rate * (1.0 - costimulation))


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """Priming and anergy encounters."""
    encounters = s[TREG_BRAKE] * counts[layout.DC_NODE] * counts[layout.NAIVE]
    out[0] = p[0] * encounters
    out[1] = p[1] * encounters


PART = Part(
    name="priming",
    description=str(__doc__),
    parameters=PARAMETERS,
    channels=CHANNELS,
    mechanism=MECHANISM,
    bind=bind,
    fill=fill,
)
