"""Epitope spreading: killing loads DCs with the whole antigen of the dying cells, so
the response broadens from the immunodominant epitope to the subdominant ones.

Destruction of tissue by a response against one epitope releases further antigens in an
inflammatory setting, and responses to them follow (Vanderlugt & Miller 2002 Nat Rev
Immunol 2:85); in tumours, responses to non-vaccine antigens after vaccination (Ribas et
al. 2003 Trends Immunol 24:58; Corbière et al. 2011 Cancer Res 71:1253, where they went
with regression). A subdominant epitope is presented at a density that primes only when
DCs take up much antigen; many loading DCs are what kills (immune and immunogenic
deaths: :mod:`.presentation`'s release) make. So the presenting DCs present the
subdominant epitopes at the relative weight

    π = D/(D + K_S)        (D = DC_node + DC_node_sub, every presenting DC)

and priming of the subdominant pool runs at ``π`` times the immunodominant rate per
precursor (:mod:`.priming`). No channels: one signal, ``SUB_PRESENTATION``.

Switched off: π = 0, the response stays on the immunodominant epitope (subdominant
precursors are never primed). With :mod:`.epitopes` off (one antigen) π = 1: every
precursor recognises the one antigen, there is nothing to spread to.
"""

from __future__ import annotations

from collections.abc import Mapping

from escapesim.engine.compiled import jit
from escapesim.engine.network import FloatArray, MechanismSpec
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.mechanisms import epitopes
from escapesim.engine.presets.escape2004.part import (
    Part,
    Signal,
    block,
    is_on,
    parameter,
    saturating,
)
from escapesim.engine.presets.escape2004.state import SUB_PRESENTATION

MECHANISM = MechanismSpec(
    name="spreading",
    description="epitope spreading: kills load DCs with all the clone's epitopes, so "
    "subdominant epitopes are primed as killing proceeds",
)

PARAMETERS = (
    parameter("spreading_half_dcs", "cells", 3.0,
              "presenting DCs at which the subdominant epitopes are presented at half "
              "the immunodominant epitope's weight",
              "chosen at about the 2-5 DCs that apoptotic turnover alone keeps "
              "presenting, so an ongoing kill response (the dormancy example's ~15-20 "
              "DCs) presents them nearly as well as the dominant one (π ≈ 0.85) and the "
              "examples keep their outcomes (at 20 the dormancy example escaped in 3/6 "
              "replicates; the help tests' paired effects are sensitive to it, see "
              "docs); a spreading index (subdominant/dominant response) against DC "
              "numbers in a draining node would pin it",
              lower=1e-9, upper=1e9),
)  # fmt: skip

#: Modes of the signal: one antigen (π = 1), no spreading (π = 0), spreading.
_ONE_ANTIGEN, _FOCUSED, _SPREADING = 0.0, 1.0, 2.0
_MODE, _HALF = range(2)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Parameter block: the mode, the half-presenting DC count."""
    if not epitopes.several(switches):
        mode = _ONE_ANTIGEN
    else:
        mode = _SPREADING if is_on(switches, MECHANISM) else _FOCUSED
    return block(mode, float(values["spreading_half_dcs"]))


@jit
def presented(counts: FloatArray, levels: FloatArray, s: FloatArray, p: FloatArray) -> float:
    """The signal ``SUB_PRESENTATION``: π, see the module docstring."""
    if p[_MODE] == _ONE_ANTIGEN:
        return 1.0
    if p[_MODE] == _FOCUSED:
        return 0.0
    return float(saturating(counts[layout.DC_NODE] + counts[layout.DC_NODE_SUB], p[_HALF]))


PART = Part(
    name="spreading",
    description=str(__doc__),
    parameters=PARAMETERS,
    mechanism=MECHANISM,
    bind=bind,
    signals=(Signal(index=SUB_PRESENTATION, compute=presented),),
)
