"""Delays are real: a vaccine acts on effectors at the tumour only after DC migration and
clonal expansion, never sooner.

The tumour here lost its antigen, so it primes nothing by itself and effectors at the
tumour can only come from the vaccine. Sampling every 0.25 days, the CTL count must stay
exactly zero until the dose day plus the shortest migration and expansion delays, and
then rise, whatever the expansion delay (a parameter: the human profile's is longer).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from escapesim.engine import simulate
from escapesim.engine.network import Delay
from escapesim.engine.presets.escape2004.mechanisms.presentation import MIGRATION_DELAY
from escapesim.engine.presets.escape2004.mechanisms.priming import EXPANSION_DELAY
from escapesim.engine.presets.escape2004.profiles import HUMAN
from tests.escape2004_support import scenario, therapy

DOSE_DAY = 5.0
SHORTEST = MIGRATION_DELAY.shortest + EXPANSION_DELAY.shortest
#: The human profile's expansion (docs/escape2004.md, "Profiles").
HUMAN_EXPANSION = HUMAN.values["expansion_delay"]


def test_the_shortest_presentation_to_arrival_delay_is_positive() -> None:
    assert SHORTEST >= 5.0  # docs/design.md: ~1-2 days of migration, ~5-7 days of expansion


@pytest.mark.parametrize(("kind", "dose"), [("dc_vaccine", 1e5), ("peptide_vaccine", 100.0)])
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("expansion", [EXPANSION_DELAY.mean, HUMAN_EXPANSION])
def test_a_vaccine_cannot_change_effectors_before_the_delay(
    kind: str, dose: float, seed: int, expansion: float
) -> None:
    """The expansion delay is the parameter's value: no effector before the dose day plus
    the migration and that expansion, and effectors soon after."""
    shortest = MIGRATION_DELAY.shortest + expansion
    s = scenario(
        parameters={"expansion_delay": expansion},
        initial={"T": 0.0, "T_a": 1e4, "CTL": 0.0},
        therapies=[therapy(kind, [DOSE_DAY], dose)],
        horizon_days=DOSE_DAY + shortest + 6.0,
        interval_days=0.25,
        seed=seed,
    )
    result = simulate(s)
    ctl = result.trajectory["CTL"]
    before = result.times < DOSE_DAY + shortest
    assert np.all(ctl[before] == 0.0)
    assert ctl[~before].max() > 0.0, "the vaccine must eventually bring effectors"
    assert result.counters["prime"] > 0


def test_the_human_profile_expands_later_than_the_mouse() -> None:
    """Same seeds, same vaccine: the first effectors reach the tumour later in the human
    profile, by its longer expansion."""
    for seed in (1, 2, 3):
        first = {}
        for profile in ("mouse", "human"):
            s = scenario(
                profile=profile, initial={"T": 0.0, "T_a": 1e4, "CTL": 0.0},
                therapies=[therapy("dc_vaccine", [DOSE_DAY], 1e5)], horizon_days=30.0,
                interval_days=0.25, seed=seed,
            )  # fmt: skip
            result = simulate(s)
            first[profile] = result.times[np.argmax(result.trajectory["CTL"] > 0.0)]
        assert first["human"] - first["mouse"] >= HUMAN_EXPANSION - EXPANSION_DELAY.mean


def test_a_delay_must_name_a_parameter_of_its_network() -> None:
    net = scenario().network()
    wrong = Delay(mean=6.0, parameter="no_such_parameter")
    channels = (dataclasses.replace(net.channels[0], delay=wrong), *net.channels[1:])
    with pytest.raises(ValueError, match="no_such_parameter"):
        dataclasses.replace(net, channels=channels)


def test_without_the_vaccine_no_effector_ever_arrives() -> None:
    s = scenario(initial={"T": 0.0, "T_a": 1e4, "CTL": 0.0}, horizon_days=20.0)
    assert simulate(s).trajectory["CTL"].max() == 0.0
