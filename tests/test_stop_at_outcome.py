"""The opt-in stop-at-outcome mode and sparse sampling (issue 15, "Scale and performance").

``stop_at_outcome`` ends a replicate when its outcome is decided; ``sample_days`` records
only those days (and the horizon). The default mode must compute exactly what it did
before these fields existed: the digests below were taken from the engine of the commit
before them with this same code, and any change to a default run changes them.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from escapesim.engine import OutcomeKind, Result, Scenario, ScenarioError, simulate
from escapesim.engine.presets.escape2004.clones import CLONES
from escapesim.service.api.convert import runs as convert
from escapesim.service.cli import main

#: sha256 over 3 replicates' times, trajectories, counters and outcomes (see _digest),
#: from 8ebc000, before stop_at_outcome existed (the kernel's Jacobian leap bound, merged
#: just before, changed kuznetsov1994's leaps: d858ad9 gave b1308014…).
DEFAULT_DIGESTS = {
    ("kuznetsov1994", 60.0, 11): "707239664521f371afad540d728a856b56278c1f26e9bfd476baf5ca5743e28b",
    ("birth_death", 30.0, 5): "9d8e81706a695bf70ea8a5115116f55d6838381aa34be133e4d4fcb120c8b472",
}


def _digest(scenario: Scenario) -> str:
    h = hashlib.sha256()
    for r in range(3):
        res = simulate(scenario, r)
        h.update(res.times.tobytes())
        for name in sorted(res.trajectory):
            h.update(name.encode())
            h.update(res.trajectory[name].tobytes())
        h.update(repr(sorted(res.counters.items())).encode())
        h.update(repr(res.outcome).encode())
    return h.hexdigest()


@pytest.mark.parametrize(("key", "expected"), DEFAULT_DIGESTS.items())
def test_default_mode_is_bitwise_unchanged(key: tuple[str, float, int], expected: str) -> None:
    preset, horizon, seed = key
    assert _digest(Scenario.build(preset=preset, horizon_days=horizon, seed=seed)) == expected


def _extinct_replicate(scenario: Scenario) -> tuple[int, Result]:
    for k in range(20):  # P(extinction from 1 cell) = death/birth = 0.5: 20 tries suffice
        found = simulate(scenario, k)
        if found.outcome.kind is OutcomeKind.ELIMINATION:
            return k, found
    raise AssertionError("no replicate went extinct in 20")


def test_stop_keeps_the_past_and_the_outcome_and_holds_the_state_after() -> None:
    default = Scenario.build(preset="birth_death", horizon_days=30, seed=3)
    k, full = _extinct_replicate(default)
    stopped = simulate(default.with_changes(stop_at_outcome=True), k)
    assert stopped.outcome == full.outcome
    day = full.outcome.time
    assert day is not None
    before = full.times < day
    # Same random streams, same steps until the outcome: bitwise the same samples.
    np.testing.assert_array_equal(stopped.trajectory["T"][before], full.trajectory["T"][before])
    assert np.all(stopped.trajectory["T"][~before] == 0.0)
    assert stopped.counters == full.counters  # nothing fires in an extinct lineage


def test_escape2004_stops_at_escape_with_fewer_steps() -> None:
    # The main case of benchmarks/bench_escape2004.py: escapes near day 73 of 365.
    scenario = Scenario.build(
        preset="escape2004", parameters={"inverse_capacity": 1.0 / 2e9},
        initial={"T": 0.0, CLONES[0].name: 10000.0}, horizon_days=365,
        escape_threshold=1e9, seed=365,
    )  # fmt: skip
    full, stopped = simulate(scenario), simulate(scenario.with_changes(stop_at_outcome=True))
    assert full.outcome.kind is OutcomeKind.ESCAPE
    assert stopped.outcome == full.outcome
    day = full.outcome.time
    assert day is not None
    before = full.times < day
    for name, values in full.trajectory.items():
        np.testing.assert_array_equal(stopped.trajectory[name][before], values[before])
        after = stopped.trajectory[name][~before]
        assert np.all(after == after[0]), f"{name}: held at the stop"
    assert sum(stopped.counters.values()) < sum(full.counters.values())


def test_sample_days_are_the_only_samples_with_the_horizon() -> None:
    scenario = Scenario.build(
        preset="kuznetsov1994", horizon_days=60, sample_days=[28, 7, 14, 7], seed=2
    )
    assert scenario.sample_days == (7.0, 14.0, 28.0)
    assert scenario.sample_times() == [7.0, 14.0, 28.0, 60.0]
    result = simulate(scenario)
    assert result.times.tolist() == [7.0, 14.0, 28.0, 60.0]
    assert all(len(v) == 4 for v in result.trajectory.values())
    # The first sample is taken on day 7, not at the start: the tumour has changed.
    assert result.trajectory["T"][0] != scenario.initial["T"]
    assert result.trajectory["T"][1] != result.trajectory["T"][0]


def test_to_dict_round_trips_and_omits_the_defaults() -> None:
    default = Scenario.build(preset="kuznetsov1994")
    assert "stop_at_outcome" not in default.to_dict()
    assert "sample_days" not in default.to_dict()
    changed = default.with_changes(stop_at_outcome=True, sample_days=[5.0, 10.0])
    assert Scenario.from_dict(changed.to_dict()) == changed
    assert convert.scenario_from_proto(convert.scenario_to_proto(changed)) == changed
    assert convert.scenario_from_proto(convert.scenario_to_proto(default)) == default


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sample_days": [7, -1]}, "sample_days[1]"),
        ({"sample_days": [7, 400]}, "sample_days[1]"),
        ({"sample_days": [float("nan")]}, "sample_days[0]"),
        ({"sample_days": "7,14"}, "sample_days"),
        ({"stop_at_outcome": "yes"}, "stop_at_outcome"),
        ({"sample_days": [7, 14], "checkpoint_days": [10]}, "checkpoint_days[0]"),
    ],
)
def test_bad_values_name_the_field(changes: dict[str, object], field: str) -> None:
    data = {"preset": "kuznetsov1994", "horizon_days": 60, **changes}
    with pytest.raises(ScenarioError) as raised:
        Scenario.from_dict(data)
    assert field in [v.field for v in raised.value.violations]


def test_checkpoint_on_a_sample_day_is_accepted() -> None:
    scenario = Scenario.build(
        preset="kuznetsov1994", horizon_days=60, sample_days=[7, 14], checkpoint_days=[14]
    )
    assert scenario.checkpoint_days == (14.0,)


def test_cli_flags(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["simulate", "--preset", "birth_death", "--horizon", "20", "--json",
         "--stop-at-outcome", "--sample-days", "5,10"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0
    document = json.loads(out)
    assert document["stop_at_outcome"] is True
    assert document["sample_days"] == [5.0, 10.0]
    assert main(["simulate", "--preset", "birth_death", "--sample-days", "5,x"]) == 2
    assert "--sample-days" in capsys.readouterr().err
