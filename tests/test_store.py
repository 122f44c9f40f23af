"""The durable store on a real SQLite file and real Parquet files (no worker processes)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from escapesim import engine
from escapesim.service.store.database import Store, StoreCorrupt, StoreLocked
from escapesim.service.store.run_record import Run, RunState


def scenario(seed: int = 1) -> engine.Scenario:
    return engine.Scenario.build(preset="kuznetsov1994", horizon_days=20, seed=seed, replicates=2)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "data")
    yield opened
    opened.close()


def test_a_run_round_trips_through_sqlite(store: Store) -> None:
    run = Run.queued("r1", "req-1", scenario())
    store.insert(run, sequence=1)
    moved = run.moved(RunState.FAILED, error="boom", replicates_done=1, simulated_day=3.5)
    store.update(moved, sequence=4)

    assert store.get("r1") == moved
    assert store.sequence("r1") == 4
    assert store.find_request("req-1") == moved
    assert store.get("missing") is None
    assert store.find_request("other") is None


def test_a_run_read_back_after_reopening_is_identical(tmp_path: Path) -> None:
    first = Store(tmp_path)
    run = Run.queued("r1", None, scenario(seed=7))
    first.insert(run, sequence=1)
    first.close()

    second = Store(tmp_path)
    try:
        assert second.get("r1") == run
        assert second.integrity_check() == ["ok"]
    finally:
        second.close()


def test_request_ids_and_run_ids_are_unique(store: Store) -> None:
    store.insert(Run.queued("r1", "same", scenario()), sequence=1)
    with pytest.raises(sqlite3.IntegrityError):
        store.insert(Run.queued("r2", "same", scenario()), sequence=1)
    with pytest.raises(sqlite3.IntegrityError):
        store.insert(Run.queued("r1", None, scenario()), sequence=1)


def test_pages_are_newest_first_filtered_and_stable_under_inserts(store: Store) -> None:
    for i in range(5):
        run = Run.queued(f"r{i}", None, scenario())
        store.insert(run, sequence=1)
        if i % 2:
            store.update(run.moved(RunState.CANCELLED), sequence=2)

    first = store.page(2, None, None)
    assert [r.run_id for _, r in first] == ["r4", "r3"]
    store.insert(Run.queued("r5", None, scenario()), sequence=1)  # must not shift page two
    second = store.page(2, first[-1][0], None)
    assert [r.run_id for _, r in second] == ["r2", "r1"]
    cancelled = store.page(10, None, RunState.CANCELLED)
    assert [r.run_id for _, r in cancelled] == ["r3", "r1"]
    assert [run_id for run_id, _ in store.unfinished()] == ["r0", "r2", "r4", "r5"]


def test_results_are_written_whole_with_no_temporary_files_left(store: Store) -> None:
    table = pa.table({"replicate": pa.array([0, 1], pa.int32()), "x": [1.0, 2.0]})
    store.write_results("r1", table, table)

    trajectories, replicates = store.result_files("r1")
    assert pq.read_table(trajectories).equals(table)
    assert pq.read_table(replicates).equals(table)
    assert sorted(p.name for p in trajectories.parent.iterdir()) == [
        "replicates.parquet",
        "trajectories.parquet",
    ]


def test_a_failed_write_leaves_whole_files_and_no_temporary(store: Store) -> None:
    old = pa.table({"x": [1.0]})
    store.write_results("r1", old, old)
    trajectories, replicates = store.result_files("r1")
    # Parquet has no interval type, so the second file fails after the first is written.
    unwritable = pa.table({"x": pa.array([(1, 2, 3)], pa.month_day_nano_interval())})
    with pytest.raises(pa.ArrowNotImplementedError):
        store.write_results("r1", pa.table({"x": [2.0]}), unwritable)

    assert pq.read_table(trajectories).equals(pa.table({"x": [2.0]}))
    assert pq.read_table(replicates).equals(old)
    assert not list(trajectories.parent.glob("*.tmp"))


def test_clean_temporary_removes_only_temporary_files(store: Store) -> None:
    folder = store.results_root / "r1"
    folder.mkdir()
    (folder / ".trajectories.parquet.abc.tmp").write_bytes(b"half a file")
    (folder / "trajectories.parquet").write_bytes(b"kept")

    removed = store.clean_temporary()

    assert [p.name for p in removed] == [".trajectories.parquet.abc.tmp"]
    assert [p.name for p in folder.iterdir()] == ["trajectories.parquet"]


def test_run_ids_cannot_reach_outside_the_results_folder(store: Store) -> None:
    with pytest.raises(ValueError, match="not a run id"):
        store.result_files("../../etc")


def test_a_second_store_on_the_same_directory_is_refused(store: Store) -> None:
    with pytest.raises(StoreLocked):
        Store(store.data_dir)


def test_a_corrupt_database_is_reported_not_used(tmp_path: Path) -> None:
    tmp_path.joinpath("runs.sqlite3").write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreCorrupt, match=r"runs\.sqlite3"):
        Store(tmp_path)
    # The lock was released: a repaired directory opens again.
    tmp_path.joinpath("runs.sqlite3").unlink()
    Store(tmp_path).close()


def test_force_state_fails_a_run_without_parsing_it(store: Store) -> None:
    run = Run.queued("r1", None, scenario())
    store.insert(run, sequence=3)
    store.force_state("r1", RunState.FAILED, "cannot run again")

    failed = store.get("r1")
    assert failed is not None
    assert failed == replace(
        run, state=RunState.FAILED, error="cannot run again", updated_at=failed.updated_at
    )
    assert failed.updated_at > run.updated_at
    assert store.sequence("r1") == 4
