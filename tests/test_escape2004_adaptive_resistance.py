"""Adaptive resistance: IFN-γ from engaged effectors induces PD-L1, reversibly.

Effect directions with common random numbers (the same seed and replicate in both arms):
anti-PD-1 helps an inflamed PD-L1-low tumour only through the PD-L1 that IFN-γ induced,
and the induced PD-L1 decays once the effectors (and their IFN-γ) are gone.
"""

from __future__ import annotations

import math

import numpy as np

from escapesim.engine import Result
from tests.escape2004_support import NO_ESCAPE, runs, scenario, therapy, tumour

PAIRS = 3
#: An inflamed tumour: PD-L1-low cells met by many CTLs, exhaustion (PD-1 signalling) on.
INFLAMED = {"T": 1e5, "CTL": 1e4}


def anti_pd1_pairs(adaptive: bool) -> list[tuple[Result, Result]]:
    """(anti-PD-1, placebo) replicate pairs of the inflamed tumour."""
    mechanisms = {**NO_ESCAPE, "dysfunction": True, "adaptive_resistance": adaptive}
    arms = [
        scenario(initial={"T": 0.0, **INFLAMED}, mechanisms=mechanisms, horizon_days=10.0,
                 interval_days=0.5, therapies=[therapy("anti_pd1", [1.0], dose)])
        for dose in (10.0, 0.0)
    ]  # fmt: skip
    return list(zip(runs(arms[0], PAIRS), runs(arms[1], PAIRS), strict=True))


def test_ifn_gamma_induces_pdl1_in_an_inflamed_tumour() -> None:
    for treated, control in anti_pd1_pairs(adaptive=True):
        assert control.trajectory["PDL1_induced"].max() > 0.5  # IFN-γ ≫ its half effect
        # Blockade now has PD-1 signalling to remove: fewer exhaustions, reinvigoration,
        # a smaller tumour at the end.
        assert treated.counters["exhaust"] < 0.7 * control.counters["exhaust"]
        assert treated.counters["reinvigorate"] > 0
        assert tumour(treated)[-1] < tumour(control)[-1]


def test_without_induced_pdl1_anti_pd1_does_nothing_to_the_same_tumour() -> None:
    # The same inflamed tumour without induction: no PD-L1, nothing to block, identical arms.
    for treated, control in anti_pd1_pairs(adaptive=False):
        assert control.trajectory["PDL1_induced"].max() == 0.0
        assert treated.counters == control.counters


def test_induced_pdl1_decays_when_the_effectors_leave() -> None:
    # No effectors, no kills, no IFN-γ: an induced share 0.8 decays first-order at
    # pdl1_induced_decay = 0.5/day (the level is integrated, not drawn: 2 % tolerance for
    # the integrator's step).
    s = scenario(initial={"T": 1e5, "CTL": 0.0, "NK": 0.0, "PDL1_induced": 0.8},
                 parameters={"nk_influx": 0.0},
                 mechanisms={**NO_ESCAPE, "adaptive_resistance": True, "priming": False},
                 horizon_days=6.0, interval_days=1.0)  # fmt: skip
    result = runs(s, 1)[0]
    expected = 0.8 * np.exp(-0.5 * result.times)
    assert np.allclose(result.trajectory["PDL1_induced"], expected, rtol=0.02)
    assert result.trajectory["PDL1_induced"][-1] < 0.8 * math.exp(-2.5)
