"""Delays are real: a vaccine acts on effectors at the tumour only after DC migration and
clonal expansion, never sooner.

The tumour here lost its antigen, so it primes nothing by itself and effectors at the
tumour can only come from the vaccine. Sampling every 0.25 days, the CTL count must stay
exactly zero until the dose day plus the shortest migration and expansion delays, and
then rise.
"""

from __future__ import annotations

import numpy as np
import pytest

from escapesim.engine import simulate
from escapesim.engine.presets.escape2004.mechanisms.presentation import MIGRATION_DELAY
from escapesim.engine.presets.escape2004.mechanisms.priming import EXPANSION_DELAY
from tests.escape2004_support import scenario, therapy

DOSE_DAY = 5.0
SHORTEST = MIGRATION_DELAY.shortest + EXPANSION_DELAY.shortest


def test_the_shortest_presentation_to_arrival_delay_is_positive() -> None:
    assert SHORTEST >= 5.0  # docs/design.md: ~1-2 days of migration, ~5-7 days of expansion


@pytest.mark.parametrize(
    ("kind", "dose"), [("dc_vaccine", 1e5), ("peptide_vaccine", 100.0)]
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_vaccine_cannot_change_effectors_before_the_delay(
    kind: str, dose: float, seed: int
) -> None:
    s = scenario(
        initial={"T": 0.0, "T_a": 1e4, "CTL": 0.0},
        therapies=[therapy(kind, [DOSE_DAY], dose)],
        horizon_days=DOSE_DAY + SHORTEST + 6.0,
        interval_days=0.25,
        seed=seed,
    )
    result = simulate(s)
    ctl = result.trajectory["CTL"]
    before = result.times < DOSE_DAY + SHORTEST
    assert np.all(ctl[before] == 0.0)
    assert ctl[~before].max() > 0.0, "the vaccine must eventually bring effectors"
    assert result.counters["prime"] > 0


def test_without_the_vaccine_no_effector_ever_arrives() -> None:
    s = scenario(initial={"T": 0.0, "T_a": 1e4, "CTL": 0.0}, horizon_days=20.0)
    assert simulate(s).trajectory["CTL"].max() == 0.0
