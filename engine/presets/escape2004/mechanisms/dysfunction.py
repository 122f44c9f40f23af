"""T-cell dysfunction: exhaustion after repeated stimulation, sharpened by PD-L1.

Every recognised encounter is a stimulation; a share of them drive the CTL into
exhaustion, multiplied for cells with PD-L1 (PD-L1-high clones and the IFN-γ-induced
share: the signal ``PDL1_ENGAGED`` of :mod:`.adaptive_resistance`) by ``1 + g·open``
where ``open`` is the share of PD-1 that anti-PD-1 leaves unblocked (the signal
``PD1_OPEN`` of :mod:`..therapies.anti_pd1`). The module also sets the probability that a
priming encounter is costimulated; the rest end in anergy (see :mod:`.priming`).

| channel  | propensity                                                   | change        |
|----------|--------------------------------------------------------------|---------------|
| exhaust  | k_X·E·(T_vis + g·open·T_PD-L1)/(h + T)                       | E − 1, X + 1  |
| exhaust_sub | k_X·E_sub·(T_sub + g·open·T_sub,PD-L1)/(h + T)            | E_sub − 1, X + 1 |

for the subdominant-epitope CTLs ``E_sub`` (:mod:`.epitopes`) by the cells they recognise
(``VISIBLE_SUB``), with PD-L1 heritable or induced likewise.

Switched off: no exhaustion, and every priming encounter is costimulated. Exhaustion also
needs :mod:`.cytotoxicity` (its stimulations are encounters): no encounters, no exhaustion.
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import Channel, FloatArray, MechanismSpec
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.mechanisms import cytotoxicity
from escapesim.engine.presets.escape2004.part import (
    Part,
    block,
    channel,
    is_on,
    parameter,
    values_of,
)
from escapesim.engine.presets.escape2004.state import (
    PD1_OPEN,
    PDL1_ENGAGED,
    SATURATION,
    TUMOUR,
    VISIBLE_SUB,
    VISIBLE_SUB_PDL1,
    VISIBLE_SUM,
)

MECHANISM = MechanismSpec(
    name="dysfunction",
    description="T-cell dysfunction: anergy without costimulation at priming, exhaustion "
    "after repeated stimulation sharpened by PD-L1",
    escape=True,
)

PARAMETERS = (
    parameter("exhaustion_rate", "1/day", 0.02,
              "exhaustions per CTL per day at saturating recognition of PD-L1-low cells",
              "chosen so that a CTL kills ~50 cells before exhaustion"
              "; kills per CTL over its functional life in vivo (intravital imaging, as in "
              "Halle et al. 2016 Immunity 44:233) would pin it", upper=100.0),
    parameter("pdl1_exhaustion_gain", "1", 15.0,
              "extra exhaustion in encounters with PD-L1-high cells (multiplier − 1)",
              "chosen so that PD-L1-high tumours exhaust CTLs within days (Nikolopoulou "
              "et al. 2018 structure)"
              "; the loss of CTL function against PD-L1-high and PD-L1-knockout targets of "
              "one line would pin it", upper=1e4),
    parameter("costimulation", "1", 0.8,
              "probability a priming encounter is costimulated (otherwise anergy)",
              "chosen; anergy follows signal 1 without CD28 costimulation (Schwartz 2003)"
              "; would pin it: the fraction of antigen-specific CD8 cells primed to effectors "
              "rather than anergised after tumour-antigen presentation, by tetramer and function",
              upper=1.0),
)  # fmt: skip

CHANNELS: tuple[Channel, ...] = (
    channel(
        "exhaust",
        {"CTL": -1, "exhausted": 1},
        "CTL exhausted by repeated stimulation (PD-L1 sharpens it)",
        order=2,
    ),
    channel(
        "exhaust_sub",
        {"CTL_sub": -1, "exhausted": 1},
        "subdominant-epitope CTL exhausted by repeated stimulation",
        order=2,
    ),
)


def costimulation(values: Mapping[str, float], switches: Mapping[str, bool]) -> float:
    """Probability a priming encounter is costimulated (1 when dysfunction is off)."""
    return float(values["costimulation"]) if is_on(switches, MECHANISM) else 1.0


_ON, _RATE, _GAIN = range(3)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block (no exhaustion without encounters: cytotoxicity off)."""
    on = is_on(switches, MECHANISM) and is_on(switches, cytotoxicity.MECHANISM)
    return block(float(on), *values_of(values, "exhaustion_rate", "pdl1_exhaustion_gain"))


@jit
def fill(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray,
         out: FloatArray) -> None:  # fmt: skip
    """Exhaustion of CTLs by recognised encounters."""
    if p[_ON] == 0.0 or s[TUMOUR] <= 0.0:
        out[:] = 0.0
        return
    stimulation = s[VISIBLE_SUM] + p[_GAIN] * s[PD1_OPEN] * s[PDL1_ENGAGED]
    out[0] = p[_RATE] * counts[layout.CTL] * stimulation * s[SATURATION]
    # The same induced share of PD-L1 as for the immunodominant CTLs' targets.
    induced = min(max(levels[layout.PDL1_INDUCED], 0.0), 1.0)
    engaged = s[VISIBLE_SUB_PDL1] + induced * (s[VISIBLE_SUB] - s[VISIBLE_SUB_PDL1])
    stimulation_sub = s[VISIBLE_SUB] + p[_GAIN] * s[PD1_OPEN] * engaged
    out[1] = p[_RATE] * counts[layout.CTL_SUB] * stimulation_sub * s[SATURATION]


PART = Part(
    name="dysfunction",
    description=str(__doc__),
    parameters=PARAMETERS,
    channels=CHANNELS,
    mechanism=MECHANISM,
    bind=bind,
    fill=fill,
)
