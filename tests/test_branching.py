"""Ensembles whose arms branch at a day from one shared past per replicate."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from escapesim import engine
from escapesim.engine.branching import branched_point
from escapesim.engine.ensemble import Ensemble
from tests.test_checkpoint import same


def _trial(**changes: object) -> Ensemble:
    data = {
        "scenario": {"preset": "escape2004", "horizon_days": 30, "seed": 9,
                     "initial": {"T": 0, "T_p": 3e3}},
        "replicates": 2,
        "arms": [{"name": "untreated"},
                 {"name": "anti_pd1", "therapies": [{"kind": "anti_pd1", "at_days": [7, 21],
                                                     "dose": 10}]},
                 {"name": "faster_growth", "parameters": {"division_rate": 0.6}}],
        **changes,
    }  # fmt: skip
    return Ensemble.from_dict(data)


def test_a_branch_on_the_first_dose_day_reproduces_common_random_numbers() -> None:
    plain, branched = _trial(), _trial(branch_day=7)
    for replicate in range(2):
        now, then = branched_point(branched, 0, replicate), branched_point(plain, 0, replicate)
        for arm in ("untreated", "anti_pd1"):
            a, b = now[arm], then[arm]
            assert all(np.array_equal(a.trajectory[n], b.trajectory[n]) for n in a.trajectory)
            assert a.counters == b.counters
            assert a.outcome == b.outcome


def test_parameter_overrides_start_on_the_branch_day() -> None:
    results = branched_point(_trial(branch_day=7), 0, 1)
    control, override = results["untreated"], results["faster_growth"]
    before = slice(0, 7)
    assert all(np.array_equal(control.trajectory[n][before], override.trajectory[n][before])
               for n in control.trajectory)  # fmt: skip
    assert not same(control, override)
    unbranched = branched_point(_trial(), 0, 1)["faster_growth"]
    assert not np.array_equal(unbranched.trajectory["T_p"][:7], control.trajectory["T_p"][:7])


def test_the_branch_day_is_validated_with_field_paths() -> None:
    with pytest.raises(engine.ScenarioError) as caught:
        _trial(branch_day=7.5)
    assert [v.field for v in caught.value.violations] == ["branch_day"]
    with pytest.raises(engine.ScenarioError) as caught:
        _trial(branch_day=14)
    assert [v.field for v in caught.value.violations] == ["arms[1].therapies[0].at_days[0]"]
    assert dataclasses.replace(_trial(), branch_day=7).to_dict()["branch_day"] == 7
    assert Ensemble.from_dict(_trial(branch_day=7).to_dict()).branch_day == 7.0
