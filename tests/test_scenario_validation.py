"""An invalid scenario cannot be built; every violation names its field."""

from __future__ import annotations

import math
from typing import Any

import pytest

from escapesim import engine


def _fields(**overrides: Any) -> set[str]:
    arguments: dict[str, Any] = {"preset": "kuznetsov1994", **overrides}
    with pytest.raises(engine.ScenarioError) as caught:
        engine.Scenario.build(**arguments)
    return {v.field for v in caught.value.violations}


def test_defaults_fill_every_parameter_and_population() -> None:
    scenario = engine.Scenario.build(preset="kuznetsov1994", parameters={"s": 2e4})
    assert scenario.parameters["s"] == 2e4
    assert scenario.parameters["a"] == 0.18
    assert dict(scenario.initial) == {"E": 3.2e5, "T": 5e6}


def test_rates_and_populations_may_be_zero() -> None:
    scenario = engine.Scenario.build(
        preset="kuznetsov1994", parameters={"n": 0.0}, initial={"E": 0}
    )
    assert scenario.parameters["n"] == 0.0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"parameters": {"nope": 1.0}}, "parameters.nope"),
        ({"parameters": {"s": -1.0}}, "parameters.s"),
        ({"parameters": {"s": math.nan}}, "parameters.s"),
        ({"parameters": {"s": math.inf}}, "parameters.s"),
        ({"parameters": {"b": 2.0}}, "parameters.b"),
        ({"initial": {"T": -5}}, "initial.T"),
        ({"initial": {"T": 2.5}}, "initial.T"),
        ({"initial": {"T": 1e16}}, "initial.T"),
        ({"initial": {"X": 1}}, "initial.X"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"horizon_days": 1e6}, "horizon_days"),
        ({"interval_days": -1}, "interval_days"),
        ({"interval_days": 1e-5}, "interval_days"),
        ({"seed": -1}, "seed"),
        ({"replicates": 0}, "replicates"),
        ({"escape_threshold": 0.5}, "escape_threshold"),
        ({"mechanisms": {"fas": True}}, "mechanisms.fas"),
        ({"therapies": [engine.Therapy(kind="nope", at_days=(1.0,))]}, "therapies[0].kind"),
    ],
)
def test_each_bad_field_is_named(overrides: dict[str, Any], field: str) -> None:
    assert field in _fields(**overrides)


def test_every_violation_is_reported_at_once() -> None:
    assert _fields(parameters={"s": -1.0}, horizon_days=-3, seed=-1) == {
        "parameters.s", "horizon_days", "seed",
    }  # fmt: skip


def test_unknown_preset() -> None:
    with pytest.raises(engine.ScenarioError, match="preset"):
        engine.Scenario.build(preset="nope")


def test_file_form_round_trips_and_rejects_unknown_keys() -> None:
    scenario = engine.Scenario.build(preset="kirschner_panetta1998", seed=3, replicates=2)
    assert engine.Scenario.from_dict(scenario.to_dict()) == scenario
    with pytest.raises(engine.ScenarioError) as caught:
        engine.Scenario.from_dict({**scenario.to_dict(), "horizon": 5, "seed": "x"})
    assert {v.field for v in caught.value.violations} == {"horizon", "seed"}


def test_scenarios_are_immutable_and_hashable() -> None:
    scenario = engine.Scenario.build(preset="kuznetsov1994")
    with pytest.raises(AttributeError):
        scenario.seed = 3  # type: ignore[misc]
    assert hash(scenario) == hash(engine.Scenario.build(preset="kuznetsov1994"))


def test_sample_times_end_at_the_horizon() -> None:
    scenario = engine.Scenario.build(preset="kuznetsov1994", horizon_days=10, interval_days=3)
    assert scenario.sample_times() == [0.0, 3.0, 6.0, 9.0, 10.0]
