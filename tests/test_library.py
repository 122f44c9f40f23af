"""The notebook API: ``escapesim.run`` / ``ensemble`` / ``validate`` here and on a real
server (in this process, on a loopback port, with its real SQLite store and spawned
workers) give the same DataFrames; runs carry their outcome tally; the client's
``simulate`` returns a DataFrame; listings iterate every page.

Identity, not statistics, is checked: a replicate is a function of (seed, replicate) only
(per-component streams, docs/design.md section 2), so the local executor and the server's
workers must produce the very same tables.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import escapesim
from escapesim.engine import FieldViolation
from escapesim.service.api.settings import Settings
from escapesim.service.client import Client
from escapesim.service.store.database import Store
from escapesim.service.store.run_rows import SCHEMA_VERSION
from escapesim.service.testing import InProcessServer

# kuznetsov1994 at its defaults escapes or is eliminated within weeks; 6 replicates of
# 40 days are enough to see more than one outcome and take a fraction of a second.
SCENARIO = {"preset": "kuznetsov1994", "horizon_days": 40, "replicates": 6, "seed": 11}
ENSEMBLE = {
    "scenario": {"preset": "kuznetsov1994", "horizon_days": 20, "seed": 11},
    "replicates": 4,
    "grid": {"parameters": {"s": [0.0, 0.13]}},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    data = tmp_path_factory.mktemp("library") / "data"
    settings = Settings.load(
        environ={},
        flags={"addr": "127.0.0.1:0", "data": str(data), "workers": 1, "drain_seconds": 1},
    )
    with InProcessServer(settings) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: InProcessServer) -> Iterator[Client]:
    with server.client() as connected:
        yield connected


def test_a_run_here_and_on_a_server_gives_the_same_frames(server: InProcessServer) -> None:
    here = escapesim.run(SCENARIO)
    there = escapesim.run(SCENARIO, server=server.address)
    assert isinstance(here, escapesim.RunFrames)
    assert len(here.replicates) == SCENARIO["replicates"]
    assert set(here.trajectories.replicate) == set(range(SCENARIO["replicates"]))
    pd.testing.assert_frame_equal(here.trajectories, there.trajectories)
    pd.testing.assert_frame_equal(here.replicates, there.replicates)
    pd.testing.assert_frame_equal(here.summary, there.summary)


def test_the_summary_counts_every_outcome_with_its_interval() -> None:
    found = escapesim.run(SCENARIO)
    summary = found.summary.set_index("outcome")
    assert list(summary.index) == ["elimination", "equilibrium", "escape"]
    counts = found.replicates.outcome.value_counts()
    for kind, row in summary.iterrows():
        assert row.replicates == counts.get(kind, 0)
        assert row.n == SCENARIO["replicates"]
        assert row.low <= row.probability <= row.high
    assert summary.replicates.sum() == SCENARIO["replicates"]


def test_a_run_carries_its_outcome_tally(client: Client) -> None:
    made = client.create_run(SCENARIO)
    final = client.wait(made.run_id, timeout=120)
    counts = client.results(made.run_id, "replicates").outcome.value_counts()
    assert final.outcomes == {k: int(counts.get(k, 0)) for k in final.outcomes}
    assert sum(final.outcomes.values()) == SCENARIO["replicates"]
    assert client.get_run(made.run_id).outcomes == final.outcomes  # stored, not only live


def test_an_ensemble_here_and_on_a_server_gives_the_same_frames(
    server: InProcessServer,
) -> None:
    here = escapesim.ensemble(ENSEMBLE)
    there = escapesim.ensemble(ENSEMBLE, server=server.address)
    for name in ("trajectories", "replicates", "outcomes", "bands", "attribution"):
        pd.testing.assert_frame_equal(getattr(here, name), getattr(there, name))
    assert sorted(set(here.replicates.point)) == [0, 1]
    assert len(here.summary["cells"]) == 2


def test_validate_returns_the_problems_here_and_on_a_server(server: InProcessServer) -> None:
    bad = {"preset": "kuznetsov1994", "horizon_days": -1, "parameters": {"nope": 1}}
    here = escapesim.validate(bad)
    there = escapesim.validate(bad, server=server.address)
    assert {v.field for v in here} == {"horizon_days", "parameters.nope"}
    assert {v.field for v in there} == {v.field for v in here}
    assert all(isinstance(v, FieldViolation) for v in there)
    assert escapesim.validate(SCENARIO) == escapesim.validate(SCENARIO, server=server.address) == []


def test_a_bad_scenario_raises_naming_the_field() -> None:
    with pytest.raises(escapesim.engine.ScenarioError, match="horizon_days"):
        escapesim.run({**SCENARIO, "horizon_days": 0})


def test_simulate_returns_a_dataframe_like_the_trajectories(client: Client) -> None:
    tiny = {**SCENARIO, "replicates": 2, "horizon_days": 10}
    frame = client.simulate(tiny, as_frame=True)
    stored = escapesim.run(tiny).trajectories
    pd.testing.assert_frame_equal(
        frame[list(stored.columns)].reset_index(drop=True), stored, check_dtype=False
    )


def test_listings_iterate_every_page(client: Client) -> None:
    made = {client.create_run({**SCENARIO, "replicates": 1, "seed": s}).run_id for s in range(5)}
    seen = [run.run_id for run in client.iter_runs(page_size=2)]
    assert made <= set(seen)
    assert len(seen) == len(set(seen))


def test_runs_here_inside_a_running_event_loop() -> None:
    # A notebook's kernel runs an event loop; a local run must still work from inside it.
    async def inside() -> int:
        return len(escapesim.run({**SCENARIO, "replicates": 1}).replicates)

    assert asyncio.run(inside()) == 1


def test_a_version_1_store_gains_the_tally_column(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE runs (position INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL "
        "UNIQUE, request_id TEXT UNIQUE, state TEXT NOT NULL, scenario TEXT NOT NULL, "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, replicates_total INTEGER NOT NULL,"
        " replicates_done INTEGER NOT NULL, simulated_day REAL NOT NULL, error TEXT, partial "
        "INTEGER NOT NULL, sequence INTEGER NOT NULL); PRAGMA user_version=1;"
    )
    old.close()
    store = Store(tmp_path)
    try:
        assert store.integrity_check() == ["ok"]
    finally:
        store.close()
    columns = [row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(runs)")]
    assert "outcomes" in columns
    version = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION
