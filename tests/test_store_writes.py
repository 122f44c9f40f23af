"""Store commits happen off the event loop, and are still durable before acknowledged."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from escapesim.service.store.database import Store
from escapesim.service.store.ensembles import EnsembleStore
from escapesim.service.store.run_record import RunState
from tests.hostile_support import hostile_server

TINY = {"preset": "kuznetsov1994", "horizon_days": 3, "replicates": 1}


def test_commits_run_on_the_writer_threads_and_precede_the_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    for cls in (Store, EnsembleStore):
        for name in ("insert", "update"):
            original = getattr(cls, name)

            def recorded(self: Any, *args: Any, _original: Any = original) -> None:
                threads.append(threading.current_thread().name)
                _original(self, *args)

            monkeypatch.setattr(cls, name, recorded)
    data = tmp_path / "data"
    with hostile_server(data) as server, server.client() as client:
        run = client.create_run(TINY)
        # Acknowledged: the run is already in the database file, seen by another connection.
        with sqlite3.connect(data / "runs.sqlite3") as db:
            (state,) = db.execute("SELECT state FROM runs WHERE run_id=?", (run.run_id,)).fetchone()
        assert state in ("queued", "running", "persisting", "succeeded")
        assert client.wait(run.run_id, timeout=120).state is RunState.SUCCEEDED
        ensemble = client.create_ensemble(
            {"scenario": TINY, "replicates": 1, "grid": {"initial": {"T": [10.0]}}}
        )
        assert client.wait_ensemble(ensemble.ensemble_id, timeout=120).state is RunState.SUCCEEDED
    assert len(threads) >= 8  # inserts and every state change of both
    writers = ("escapesim-run-store", "escapesim-ensemble-store")
    assert all(name.startswith(writers) for name in threads), threads
