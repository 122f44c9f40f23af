"""Durability: a server killed with SIGKILL loses nothing and finishes every run the same.

Runs are queued and running when the server dies without any chance to clean up; after a
restart on the same data directory every run ends SUCCEEDED with results identical to a
clean run of the same scenario and seed, and the SQLite file passes its integrity check.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd

from escapesim import engine
from escapesim.engine import Scenario
from escapesim.service.results import tables
from escapesim.service.store.run_record import RunState
from escapesim.service.testing import SMALL_SETTINGS, ServerProcess, wait_until

SCENARIOS = [
    # The first must still be running when the server is killed: ~2.5 s of simulation.
    {"preset": "kuznetsov1994", "horizon_days": 3000, "replicates": 50, "seed": 7},
    {"preset": "kuznetsov1994", "horizon_days": 60, "replicates": 3, "seed": 8},
    {"preset": "kirschner_panetta1998", "horizon_days": 30, "replicates": 2, "seed": 9},
]


def _clean_run(data: dict[str, object]) -> tuple[pd.DataFrame, pd.DataFrame]:
    scenario = Scenario.from_dict(data)
    results = [engine.simulate(scenario, k) for k in range(scenario.replicates)]
    trajectories = tables.trajectory_table(results).to_pandas()
    replicates = tables.replicate_table(results).to_pandas()
    return trajectories, replicates


def test_sigkill_with_runs_queued_and_running_loses_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**SMALL_SETTINGS, "ESCAPESIM_MAX_CONCURRENT_RUNS": "1"}
    server = ServerProcess(data, env=env)
    server.start()
    with server.client() as client:
        run_ids = [
            client.create_run(s, request_id=f"durable-{i}").run_id for i, s in enumerate(SCENARIOS)
        ]
        first = run_ids[0]
        wait_until(lambda: client.get_run(first).replicates_done >= 1, timeout=60)
        states = [client.get_run(r).state for r in run_ids]
    assert states[0] is RunState.RUNNING
    assert RunState.QUEUED in states[1:]
    server.kill()

    server.start()
    with server.client() as client:
        # A retried create after the crash finds the same run instead of a second one.
        assert client.create_run(SCENARIOS[1], request_id="durable-1").run_id == run_ids[1]
        finished = [client.wait(r, timeout=120) for r in run_ids]
        assert [r.state for r in finished] == [RunState.SUCCEEDED] * len(run_ids)
        fetched = [client.result_tables(r) for r in run_ids]
    assert server.stop() == 0

    for scenario, found in zip(SCENARIOS, fetched, strict=True):
        trajectories, replicates = _clean_run(scenario)
        pd.testing.assert_frame_equal(found["trajectories"].to_pandas(), trajectories)
        remote = found["replicates"].to_pandas()
        pd.testing.assert_frame_equal(remote[replicates.columns], replicates)
    with sqlite3.connect(data / "runs.sqlite3") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
