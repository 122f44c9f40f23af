"""Priming and clonal expansion: presenting DCs prime naive CD8 T cells in the lymph node.

A DC-naive encounter is costimulated with probability ``q`` (from :mod:`.dysfunction`)
and primes; otherwise the naive cell becomes anergic. A primed cell runs a programmed
expansion of :data:`BURST` progeny that arrive at the tumour ``expansion_delay`` days
later (:data:`EXPANSION_DELAY`: expansion plus trafficking, a SimPy delayed event).
Regulatory T cells suppress priming (the brake ρ, :mod:`.regulation`). The
immunodominant epitope's precursors ``N`` and the subdominant epitopes' ``N_sub``
(:mod:`.epitopes`; epitope 2 holds 3/4 of that pool, epitope 3 1/4) are primed alike,
the subdominant ones at the weight π of their presentation (:mod:`.spreading`):

| channel            | propensity                        | change                       |
|--------------------|-----------------------------------|------------------------------|
| prime              | q·k_P·ρ·DC_node·N                 | N − 1; CTL + BURST later     |
| anergise           | (1 − q)·k_P·ρ·DC_node·N           | N − 1                        |
| prime_sub.epitope2 | ¾·π·q·k_P·ρ·D·N_sub               | CTL_sub + BURST later        |
| prime_sub.epitope3 | ¼·π·q·k_P·ρ·D·N_sub               | CTL_sub + BURST later        |

with ``D = DC_node + DC_node_sub`` (DCs loaded from antigen-loss cells present only the
subdominant epitopes, :mod:`.presentation`). ``N_sub`` is a mean-field level, so its
primings and anergy (at ``π·(1 − q)·k_P·ρ·D`` per cell) are its loss in
:mod:`.epitopes`, not a change of these channels.
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, Delay, FloatArray, MechanismSpec
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.mechanisms import dysfunction, epitopes
from escapesim.engine.presets.escape2004.part import Part, block, channel, is_on, parameter
from escapesim.engine.presets.escape2004.state import SUB_PRESENTATION, TREG_BRAKE

MECHANISM = MechanismSpec(
    name="priming",
    description="presenting DCs prime naive CD8 T cells (anergy without costimulation); "
    "each primed cell's clonal burst arrives at the tumour after a delay",
)

#: Progeny of one primed naive CD8 T cell: 2^8, within the 2^7-2^10 of a programmed
#: expansion (Kaech & Ahmed 2001). Structural: stoichiometry is fixed per channel.
BURST = 256
#: Expansion (~5 days of divisions) plus trafficking to the tumour, days: fixed (no
#: spread), so the shortest presentation-to-arrival delay is real; its length is the
#: parameter ``expansion_delay`` (a profile sets the human one).
EXPANSION_DELAY = Delay(mean=6.0, parameter="expansion_delay")

PARAMETERS = (
    parameter("priming_rate", "1/(cell·day)", 1e-2,
              "DC-naive encounters that lead to priming, per DC per naive cell per day",
              "chosen so that a few presenting DCs prime tens of precursors per day"
              "; would pin it: numbers of newly divided tumour-specific CD8 cells in the node per "
              "day after a known number of presenting DCs (CFSE dilution)",
              upper=1e3),
    parameter("expansion_delay", "day", EXPANSION_DELAY.mean,
              "from priming to the arrival of the clonal burst at the tumour (expansion plus "
              "trafficking; fixed, not spread)",
              "mouse: the CD8 response to acute LCMV peaks ~8 days after infection "
              "(Murali-Krishna et al. 1998, Immunity 8:177) and a programmed expansion ~7 days "
              "after priming (Kaech & Ahmed 2001, Nat Immunol 2:415): 8 days less the 1.5-day "
              "DC migration and ~0.5 day to priming = 6; bounds: 8 divisions need >= 2 days",
              lower=2.0, upper=60.0),
)  # fmt: skip

CHANNELS: tuple[Channel, ...] = (
    channel("prime", {"naive": -1}, "a presenting DC primes a naive CD8 T cell",
            delayed={"CTL": BURST}, delay=EXPANSION_DELAY, order=2),
    channel("anergise", {"naive": -1}, "priming without costimulation ends in anergy",
            order=2),
    *(
        channel(f"prime_sub.epitope{e}", {},
                f"a presenting DC primes a naive CD8 T cell specific for epitope {e}",
                delayed={"CTL_sub": BURST}, delay=EXPANSION_DELAY, order=2)
        for e in (2, 3)
    ),
)  # fmt: skip

#: Shares of the subdominant pool per epitope (epitopes 2 and 3).
_SPLIT = tuple(share / epitopes.SUBDOMINANT_SHARE for share in epitopes.SHARES[1:])


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block: priming and anergy rate constants per DC-naive encounter."""
    rate = float(values["priming_rate"]) if is_on(switches, MECHANISM) else 0.0
    costimulation = dysfunction.costimulation(values, switches)
    return block(rate * costimulation, rate * (1.0 - costimulation))


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """Priming and anergy encounters."""
    node = s[TREG_BRAKE] * counts[layout.DC_NODE]
    encounters = node * counts[layout.NAIVE]
    out[0] = p[0] * encounters
    out[1] = p[1] * encounters
    # Every presenting DC shows the subdominant epitopes (at the weight π), those loaded
    # from antigen-loss cells too.
    presenting = s[TREG_BRAKE] * (counts[layout.DC_NODE] + counts[layout.DC_NODE_SUB])
    sub = presenting * levels[layout.NAIVE_SUB] * s[SUB_PRESENTATION]
    out[2] = _SPLIT[0] * p[0] * sub
    out[3] = _SPLIT[1] * p[0] * sub


@jit
def levels(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
           production: FloatArray, decay: FloatArray) -> None:  # fmt: skip
    """Every priming encounter, costimulated or not, takes a subdominant precursor."""
    presenting = s[TREG_BRAKE] * (counts[layout.DC_NODE] + counts[layout.DC_NODE_SUB])
    decay[layout.NAIVE_SUB] += (p[0] + p[1]) * presenting * s[SUB_PRESENTATION]


PART = Part(
    name="priming",
    description=str(__doc__),
    parameters=PARAMETERS,
    channels=CHANNELS,
    mechanism=MECHANISM,
    bind=bind,
    fill=fill,
    level_rates=levels,
)
