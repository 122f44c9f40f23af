"""Ensemble tables (service.results.ensemble_tables): a cell summarised from its Arrow tables — as
the service stores them — equals the cell summarised from its results."""

from __future__ import annotations

import numpy as np

from escapesim import engine
from escapesim.engine import Scenario, Therapy
from escapesim.engine.attribution import attribute
from escapesim.engine.ensemble import Arm, Ensemble
from escapesim.engine.summary import Cohort, compare, summarise
from escapesim.service.results import ensemble_tables


def test_a_cohort_from_tables_equals_the_cohort_from_results() -> None:
    scenario = Scenario.build(preset="kuznetsov1994", horizon_days=6, seed=2, initial={"T": 3})
    results = [engine.simulate(scenario, k) for k in (2, 0, 1)]
    trajectories, replicates = ensemble_tables.cell_tables(results)
    from_tables = ensemble_tables.cohort_of(trajectories, replicates, scenario.network())
    from_results = Cohort.of(sorted(results, key=lambda r: r.replicate))
    np.testing.assert_array_equal(from_tables.replicates, [0, 1, 2])
    assert from_tables.outcomes == from_results.outcomes
    np.testing.assert_array_equal(from_tables.outcome_times, from_results.outcome_times)
    np.testing.assert_array_equal(from_tables.times, from_results.times)
    assert set(from_tables.series) == set(from_results.series) == {"E", "T", "tumour"}
    for name in from_results.series:
        np.testing.assert_array_equal(from_tables.series[name], from_results.series[name])
    assert summarise(from_tables).outcomes == summarise(from_results).outcomes


def test_tables_of_a_two_arm_ensemble_keep_cell_order_and_align_counters() -> None:
    base = Scenario.build(preset="escape2004", horizon_days=3, seed=4)
    # Adoptive transfer is counted (``counters.adoptive_transfer``) only where it is given.
    transfer = Therapy(kind="adoptive_transfer", at_days=(1.0,), dose=1e5)
    ensemble = Ensemble(
        scenario=base, replicates=2, arms=(Arm(name="none"), Arm(name="act", therapies=(transfer,)))
    )
    cells = ensemble.points()
    found = [ensemble_tables.cell_tables([engine.simulate(c.scenario, k) for k in (1, 0)])
             for c in cells]  # fmt: skip
    finished = ensemble_tables.summarise_cells(ensemble, cells, found)
    assert finished[0].versus_control is None
    assert finished[1].versus_control is not None
    expected = compare(
        ensemble_tables.cohort_of(*found[1], base.network()),
        ensemble_tables.cohort_of(*found[0], base.network()),
    )
    assert finished[1].versus_control == expected
    replicates = ensemble_tables.replicate_table(finished)
    assert replicates.column("arm").to_pylist() == ["none", "none", "act", "act"]
    assert replicates.column("replicate").to_pylist() == [0, 1, 0, 1]
    assert "counters.adoptive_transfer" not in found[0][1].column_names
    transferred = replicates.column("counters.adoptive_transfer").to_pylist()
    assert transferred[:2] == [0, 0]
    assert min(transferred[2:]) > 0
    trajectories = ensemble_tables.trajectory_table(finished)
    assert trajectories.num_rows == 4 * 4
    assert trajectories.column_names[:4] == ["point", "arm", "replicate", "t"]


def test_attribution_rows_pair_each_knock_out_with_the_intact_arm_of_its_grid_point() -> None:
    # Two grid points × (intact, suppression_off): one attribution row per point, each
    # the engine's attribute() of that point's knock-out cohort against its intact one.
    ensemble = Ensemble.from_dict({
        "scenario": {"preset": "escape2004", "initial": {"T": 0, "T_ps": 1e4},
                     "horizon_days": 8, "seed": 5},
        "replicates": 2, "grid": {"initial": {"T_ps": [1e4, 3e4]}},
        "arms": [{"name": "intact"}], "knockouts": ["suppression"],
    })  # fmt: skip
    cells = ensemble.points()
    found = [ensemble_tables.cell_tables([engine.simulate(c.scenario, k) for k in (0, 1)])
             for c in cells]  # fmt: skip
    finished = ensemble_tables.summarise_cells(ensemble, cells, found)
    network = ensemble.scenario.network()
    rows = ensemble_tables.result_tables(ensemble, finished)["attribution"].to_pylist()
    assert [(r["point"], r["arm"], r["initial.T_ps"]) for r in rows] == [
        (0, "suppression_off", 1e4), (1, "suppression_off", 3e4),
    ]  # fmt: skip
    for row, (intact, knockout) in zip(rows, (found[0:2], found[2:4]), strict=True):
        expected = attribute(ensemble_tables.cohort_of(*knockout, network),
                             ensemble_tables.cohort_of(*intact, network))  # fmt: skip
        assert row["pairs"] == expected.pairs == 2
        assert {kind: row[kind] for kind in expected.kinds} == expected.kinds
        assert row["escape_difference"] == expected.escape.estimate
    assert all(done.attribution is None for done in finished if done.cell.arm == "intact")
