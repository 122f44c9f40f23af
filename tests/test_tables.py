"""Results ⇄ Arrow tables and Parquet files (service.results.tables), and the figure
(service.results.plot)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from escapesim import engine
from escapesim.service.results import tables

PRESET = "kirschner_panetta1998"


@pytest.fixture(scope="module")
def scenario() -> engine.Scenario:
    """A short run in which one replicate escapes early (a low escape threshold)."""
    return engine.Scenario.build(
        preset=PRESET, horizon_days=10, seed=4, replicates=3, escape_threshold=2_000
    )


@pytest.fixture(scope="module")
def results(scenario: engine.Scenario) -> list[engine.Result]:
    return [engine.simulate(scenario, k) for k in range(scenario.replicates)]


def test_trajectory_table_has_typed_columns_and_the_engine_values(
    results: list[engine.Result],
) -> None:
    table = tables.trajectory_table(results)
    assert table.schema == pa.schema(
        [
            pa.field("replicate", pa.int32(), nullable=False),
            pa.field("t", pa.float64(), nullable=False),
            pa.field("E", pa.int64(), nullable=False),
            pa.field("T", pa.int64(), nullable=False),
            pa.field("I", pa.float64(), nullable=False),
        ]
    )
    rows = results[0].times.size
    assert table.num_rows == 3 * rows
    second = table.slice(rows, rows)
    assert second.column("replicate").to_pylist() == [1] * rows
    assert second.column("t").to_pylist() == results[1].times.tolist()
    for name in ("E", "T", "I"):
        assert second.column(name).to_pylist() == results[1].trajectory[name].tolist()


def test_replicate_table_has_outcomes_finals_and_every_counter(
    results: list[engine.Result],
) -> None:
    table = tables.replicate_table(results)
    rows = table.to_pylist()
    assert [row["replicate"] for row in rows] == [0, 1, 2]
    for row, result in zip(rows, results, strict=True):
        assert row["outcome"] == str(result.outcome.kind)
        assert row["outcome_time"] == result.outcome.time
        assert row["final.T"] == result.final()["T"]
        assert math.isclose(row["final.I"], result.final()["I"])
        for name, count in result.counters.items():
            assert row[f"counters.{name}"] == count
    assert table.schema.field("final.T").type == pa.int64()
    assert table.schema.field("outcome_time").nullable


def test_a_counter_one_replicate_lacks_is_zero(results: list[engine.Result]) -> None:
    first = results[0]
    extra = engine.Result(
        times=first.times,
        trajectory=first.trajectory,
        counters=engine.frozen.FrozenMap({**first.counters, "vaccine_dose": 3}),
        outcome=first.outcome,
        provenance=engine.Provenance(scenario=first.provenance.scenario, replicate=9),
    )
    table = tables.replicate_table([first, extra])
    assert table.column("counters.vaccine_dose").to_pylist() == [0, 3]


def test_results_come_back_exactly_from_their_tables(
    scenario: engine.Scenario, results: list[engine.Result]
) -> None:
    trajectories, replicates = tables.trajectory_table(results), tables.replicate_table(results)
    # Replicates in another order (as batches may arrive) come back sorted.
    shuffled = pa.concat_tables([tables.trajectory_table([r]) for r in reversed(results)])
    back = tables.results_from_tables(scenario, shuffled, replicates[::-1])
    assert [r.replicate for r in back] == [r.replicate for r in results]
    for ours, theirs in zip(results, back, strict=True):
        assert np.array_equal(theirs.times, ours.times)
        assert set(theirs.trajectory) == set(ours.trajectory)
        for name, values in ours.trajectory.items():
            assert np.array_equal(theirs.trajectory[name], values), name
        assert list(theirs.counters.items()) == list(ours.counters.items())
        assert theirs.outcome == ours.outcome
        assert theirs.provenance.scenario == scenario
    assert {r.outcome.kind for r in back} == {r.outcome.kind for r in results}
    assert tables.trajectory_table(back).equals(trajectories)
    assert tables.replicate_table(back).equals(replicates)


def test_no_results_need_their_network(scenario: engine.Scenario) -> None:
    empty = tables.trajectory_table([], network=scenario.network())
    assert empty.num_rows == 0
    assert empty.column_names == ["replicate", "t", "E", "T", "I"]
    assert tables.replicate_table([], network=scenario.network()).num_rows == 0
    with pytest.raises(ValueError, match="network"):
        tables.trajectory_table([])


def test_results_of_different_presets_do_not_mix(results: list[engine.Result]) -> None:
    other = engine.Scenario.build(preset="kuznetsov1994", horizon_days=1)
    with pytest.raises(ValueError, match="different presets"):
        tables.trajectory_table([results[0], engine.simulate(other)])


def test_frame_table_equals_the_trajectory_table(scenario: engine.Scenario) -> None:
    frames = engine.Simulation(scenario, 1).frames()
    streamed = tables.frame_table(frames, scenario.network())
    assert streamed.equals(tables.trajectory_table([engine.simulate(scenario, 1)]))


def test_write_parquet_round_trips_and_leaves_no_temporary_file(
    results: list[engine.Result], tmp_path: Path
) -> None:
    table = tables.trajectory_table(results)
    path = tmp_path / "run.parquet"
    tables.write_parquet(table, path)
    assert tables.read_parquet(path).equals(table)
    assert list(tmp_path.iterdir()) == [path]


def test_a_failed_write_keeps_the_old_file(
    results: list[engine.Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "run.parquet"
    path.write_bytes(b"old")

    def fail(table: pa.Table, where: object) -> None:
        Path(str(where)).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", fail)
    with pytest.raises(OSError, match="disk full"):
        tables.write_parquet(tables.trajectory_table(results), path)
    assert path.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [path]


def test_written_files_get_ordinary_permissions(
    results: list[engine.Result], tmp_path: Path
) -> None:
    umask = os.umask(0)
    os.umask(umask)
    path = tmp_path / "run.parquet"
    tables.write_parquet(tables.trajectory_table(results), path)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
