"""Ensembles as data (issue 5, "Ensembles"): validation with field paths, the file form,
expansion into cells, and common random numbers between arms."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from escapesim import engine
from escapesim.engine import Scenario, ScenarioError, Therapy
from escapesim.engine.ensemble import Arm, Axis, Ensemble, Span
from escapesim.engine.ensemble_checks import MAX_CELLS

KUZNETSOV = {"preset": "kuznetsov1994", "horizon_days": 20, "seed": 5}


def ensemble_dict(**changes: Any) -> dict[str, Any]:
    """A valid two-axis, two-arm kuznetsov1994 ensemble file, with ``changes`` applied."""
    data: dict[str, Any] = {
        "scenario": dict(KUZNETSOV),
        "replicates": 3,
        "grid": {
            "parameters": {"s": [1.0e4, 2.0e4]},
            "initial": {"T": {"start": 1.0e5, "stop": 1.0e7, "num": 3, "log": True}},
        },
        "arms": [{"name": "untreated"}, {"name": "strong", "parameters": {"n": 2.0e-7}}],
    }
    data.update(changes)
    return data


def violations(data: dict[str, Any]) -> dict[str, str]:
    """Field → message of every violation ``Ensemble.from_dict(data)`` reports."""
    with pytest.raises(ScenarioError) as caught:
        Ensemble.from_dict(data)
    return {v.field: v.message for v in caught.value.violations}


# -- validation --------------------------------------------------------------------------------


def test_a_valid_file_builds_and_the_first_arm_is_the_control() -> None:
    ensemble = Ensemble.from_dict(ensemble_dict())
    assert ensemble.control == "untreated"
    assert ensemble.shape == (2, 3)
    assert ensemble.size == 12
    assert ensemble.grid[1].values == (1.0e5, 1.0e6, 1.0e7)


def test_every_bad_grid_value_is_named_by_its_path() -> None:
    grid = {
        "parameters": {"s": [1.0e4, -1.0, 1.0e4], "nope": [1.0]},
        "initial": {
            "T": [10.0, 2.5, "many"],
            "E": {"start": 0.0, "stop": 1.0, "num": 2, "log": True},
        },
        "mechanisms": {"x": [1.0]},
    }
    found = violations(ensemble_dict(grid=grid))
    assert found["grid.parameters.s[1]"].startswith("must be within")
    assert found["grid.parameters.s[2]"] == "repeats an earlier value"
    assert found["grid.parameters.nope"] == "unknown parameter of preset 'kuznetsov1994'"
    assert found["grid.initial.T[2]"] == "must be a number"
    assert found["grid.initial.E.start"] == "must be > 0 for a log range"
    assert "grid.mechanisms" in found


def test_range_values_out_of_bounds_name_the_end_of_the_range() -> None:
    grid = {"parameters": {"a": {"start": 0.1, "stop": 500.0, "num": 4}}}
    found = violations(ensemble_dict(grid=grid))
    assert list(found) == ["grid.parameters.a.stop"]
    assert "must be within [0, 100]" in found["grid.parameters.a.stop"]


def test_a_range_of_populations_is_rounded_to_whole_cells_and_must_not_repeat() -> None:
    ensemble = Ensemble.from_dict(
        ensemble_dict(grid={"initial": {"T": {"start": 1, "stop": 1000, "num": 4, "log": True}}})
    )
    assert ensemble.grid[0].values == (1.0, 10.0, 100.0, 1000.0)
    found = violations(ensemble_dict(grid={"initial": {"T": {"start": 1, "stop": 3, "num": 5}}}))
    # 1, 1.5, 2, 2.5, 3 round (half to even) to 1, 2, 2, 2, 3.
    assert list(found) == ["grid.initial.T[2]", "grid.initial.T[3]"]
    assert found["grid.initial.T[2]"].startswith("repeats an earlier value (after rounding")


def test_arm_therapies_and_parameters_are_named_by_arm_and_index() -> None:
    data = {
        "scenario": {"preset": "escape2004", "horizon_days": 30},
        "arms": [
            {"name": "untreated", "parameters": {"nope": 1.0}},
            {
                "name": "treated",
                "therapies": [
                    {"kind": "anti_pd1", "at_days": [7.0, 40.0]},
                    {"kind": "magic", "at_days": [1.0]},
                ],
            },
            {"name": "untreated", "colour": "red"},
            "not an arm",
        ],
        "control": "nobody",
    }
    found = violations(data)
    assert found["arms[0].parameters.nope"].startswith("unknown parameter")
    assert found["arms[1].therapies[0].at_days[1]"] == "must be within [0, 30], got 40"
    assert found["arms[1].therapies[1].kind"].startswith("unknown therapy 'magic'")
    assert found["arms[2].colour"] == "unknown field"
    assert found["arms[2].name"] == "repeats arm 'untreated'"
    assert found["arms[3]"].startswith("must be a mapping")
    assert found["control"].startswith("must name an arm")


def test_the_base_scenario_therapies_come_first_and_arm_paths_skip_them() -> None:
    scenario = {"preset": "escape2004", "horizon_days": 30,
                "therapies": [{"kind": "il2", "at_days": [3.0]}]}  # fmt: skip
    arms = [
        {"name": "a"},
        {"name": "b", "therapies": [{"kind": "chemotherapy", "at_days": [-1.0]}]},
    ]
    found = violations({"scenario": scenario, "arms": arms})
    assert list(found) == ["arms[1].therapies[0].at_days[0]"]


def test_scenario_problems_are_prefixed_and_unknown_keys_reported() -> None:
    found = violations(
        ensemble_dict(scenario={"preset": "kuznetsov1994", "horizon_days": -1}, colour="red")
    )
    assert found["scenario.horizon_days"].startswith("must be within")
    assert found["colour"] == "unknown field"


def test_a_parameter_cannot_be_both_a_grid_axis_and_an_arm_override() -> None:
    arms = [{"name": "a"}, {"name": "b", "parameters": {"s": 5.0}}]
    assert violations(ensemble_dict(arms=arms)) == {"arms[1].parameters.s": "is also a grid axis"}


def test_replicates_and_size_are_capped() -> None:
    assert "replicates" in violations(ensemble_dict(replicates=0))
    assert "replicates" in violations(ensemble_dict(replicates=2.5))
    big = {"parameters": {"s": {"start": 1, "stop": 1e4, "num": 200}},
           "initial": {"T": {"start": 1, "stop": 1e6, "num": 200}}}  # fmt: skip
    found = violations(ensemble_dict(grid=big))
    assert found["grid"] == f"gives 80000 cells (grid points × arms); at most {MAX_CELLS}"
    samples = ensemble_dict(
        replicates=100_000, grid={}, scenario={**KUZNETSOV, "horizon_days": 3650}
    )
    assert "scenario.interval_days" in violations(samples)


def test_building_in_code_validates_the_same_way() -> None:
    base = Scenario.build(preset="kuznetsov1994", horizon_days=10)
    with pytest.raises(ScenarioError) as caught:
        Ensemble(scenario=base, replicates=2, grid=(Axis(field="parameters.q", values=(1.0,)),))
    assert [v.field for v in caught.value.violations] == ["grid.parameters.q"]
    with pytest.raises(ScenarioError, match="values do not match"):
        Ensemble(
            scenario=base,
            replicates=2,
            grid=(Axis(field="parameters.s", values=(1.0,), span=Span(start=1, stop=2, num=2)),),
        )


# -- the file form -----------------------------------------------------------------------------


def test_to_dict_round_trips_and_keeps_ranges() -> None:
    ensemble = Ensemble.from_dict(ensemble_dict())
    form = ensemble.to_dict()
    assert form["grid"]["initial"]["T"] == {"start": 1.0e5, "stop": 1.0e7, "num": 3, "log": True}
    assert form["grid"]["parameters"]["s"] == [1.0e4, 2.0e4]
    assert form["control"] == "untreated"
    assert Ensemble.from_dict(form) == ensemble


def test_without_grid_and_arms_there_is_one_cell_named_control() -> None:
    ensemble = Ensemble.from_dict({"scenario": {**KUZNETSOV, "replicates": 4}})
    (cell,) = ensemble.points()
    assert (cell.point, cell.arm, dict(cell.values)) == (0, "control", {})
    assert cell.scenario == Scenario.from_dict({**KUZNETSOV, "replicates": 4})


# -- expansion ---------------------------------------------------------------------------------


def test_points_are_point_major_the_last_axis_fastest_with_every_arm() -> None:
    ensemble = Ensemble.from_dict(ensemble_dict())
    cells = ensemble.points()
    assert [(c.point, c.arm) for c in cells[:4]] == [
        (0, "untreated"), (0, "strong"), (1, "untreated"), (1, "strong"),
    ]  # fmt: skip
    assert [dict(c.values) for c in cells[::2]] == [
        {"parameters.s": s, "initial.T": t} for s in (1.0e4, 2.0e4) for t in (1.0e5, 1.0e6, 1.0e7)
    ]
    last = cells[-1].scenario
    assert (last.parameters["s"], last.initial["T"], last.parameters["n"]) == (2.0e4, 1.0e7, 2.0e-7)
    assert {c.scenario.seed for c in cells} == {5}
    assert {c.scenario.replicates for c in cells} == {3}


def test_arm_therapies_are_added_to_the_base_scenarios() -> None:
    base = Scenario.build(preset="escape2004", horizon_days=30,
                          therapies=[Therapy(kind="il2", at_days=(3.0,))])  # fmt: skip
    chemo = Therapy(kind="chemotherapy", at_days=(10.0,), dose=50.0)
    ensemble = Ensemble(
        scenario=base, replicates=1, arms=(Arm(name="a"), Arm(name="b", therapies=(chemo,)))
    )
    kinds = [[t.kind for t in c.scenario.therapies] for c in ensemble.points()]
    assert kinds == [["il2"], ["il2", "chemotherapy"]]


# -- common random numbers ---------------------------------------------------------------------


def test_replicate_k_of_two_identical_arms_is_identical() -> None:
    arms = [{"name": "a"}, {"name": "b"}]
    ensemble = Ensemble.from_dict(ensemble_dict(arms=arms, grid={}, replicates=2))
    first, second = ensemble.points()
    for k in range(2):
        x, y = engine.simulate(first.scenario, k), engine.simulate(second.scenario, k)
        assert x.outcome == y.outcome
        for name in x.trajectory:
            np.testing.assert_array_equal(x.trajectory[name], y.trajectory[name])
    other = engine.simulate(first.scenario, 1)
    assert not np.array_equal(
        engine.simulate(first.scenario, 0).trajectory["T"], other.trajectory["T"]
    )


def test_a_therapy_arm_shares_the_controls_path_until_its_first_dose() -> None:
    """Common random numbers: the arms differ only from the dose on (day 10 here)."""
    base = Scenario.build(preset="escape2004", horizon_days=14, seed=3)
    chemo = Therapy(kind="chemotherapy", at_days=(10.0,), dose=100.0)
    arms = (Arm(name="control"), Arm(name="chemo", therapies=(chemo,)))
    ensemble = Ensemble(scenario=base, replicates=1, arms=arms)
    control, treated = (engine.simulate(c.scenario, 0) for c in ensemble.points())
    before = control.times <= 10.0
    for name in ("T", "CTL", "NK"):
        np.testing.assert_array_equal(
            control.trajectory[name][before], treated.trajectory[name][before]
        )
    assert treated.trajectory["T"][-1] < control.trajectory["T"][-1]


def test_arms_keep_every_field_of_the_base_scenario() -> None:
    # variant() once rebuilt scenarios from a hand-written field list that had gone
    # stale: an arm silently lost stop_at_outcome, sample_days, checkpoint_days and the
    # profile (and so ran the default mode in ensembles and sensitivity analyses).
    from escapesim.engine.ensemble_checks import variant

    base = Scenario.build(
        preset="escape2004", horizon_days=30, profile="human", stop_at_outcome=True,
        sample_days=(0.0, 10.0, 30.0), checkpoint_days=(10.0,), exact=False, seed=4,
    )  # fmt: skip
    arm = variant(base, parameters={"ctl_kill_rate": 2.0}, replicates=3)
    for name in ("profile", "stop_at_outcome", "sample_days", "checkpoint_days", "seed"):
        assert getattr(arm, name) == getattr(base, name), name
    assert arm.parameters["ctl_kill_rate"] == 2.0
    assert arm.replicates == 3
