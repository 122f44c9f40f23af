"""Schema version 4: runs remember where a fork came from, and a version-3 store opens."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from escapesim import engine
from escapesim.service.store.database import Store
from escapesim.service.store.run_record import Run, RunFork, RunState
from escapesim.service.store.run_rows import SCHEMA_VERSION


def _scenario() -> engine.Scenario:
    return engine.Scenario.build(preset="birth_death", horizon_days=4.0, checkpoint_days=[2])


def test_a_fork_origin_is_stored_and_read_back(tmp_path: Path) -> None:
    origin = RunFork("parent-run", 3, 2.0, "treated")
    store = Store(tmp_path)
    try:
        run = Run.queued("forked", "key#0", _scenario(), 3, forked_from=origin)
        store.insert(run, 1)
        store.update(run.moved(RunState.RUNNING), 2)
        store.insert(Run.queued("plain", None, _scenario()), 1)
    finally:
        store.close()
    reopened = Store(tmp_path)
    try:
        forked, plain = reopened.get("forked"), reopened.get("plain")
        assert forked is not None
        assert plain is not None
        assert (forked.forked_from, forked.state, forked.first_replicate) == (
            origin, RunState.RUNNING, 3
        )  # fmt: skip
        assert plain.forked_from is None
        assert reopened.find_request("key#0") == forked
    finally:
        reopened.close()


def test_a_version_3_store_opens_keeps_its_runs_and_takes_forks(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.insert(Run.queued("old-run", "old", _scenario(), 5), 1)
    store.close()
    with sqlite3.connect(tmp_path / "runs.sqlite3") as db:  # as version 3 wrote it
        db.execute("ALTER TABLE runs DROP COLUMN forked_from")
        db.execute("PRAGMA user_version=3")
    reopened = Store(tmp_path)
    try:
        old = reopened.get("old-run")
        assert old is not None
        assert (old.first_replicate, old.request_id, old.forked_from) == (5, "old", None)
        origin = RunFork("old-run", 5, 2.0, "a")
        reopened.insert(Run.queued("new-fork", None, _scenario(), 5, forked_from=origin), 1)
        new = reopened.get("new-fork")
        assert new is not None
        assert new.forked_from == origin
    finally:
        reopened.close()
    with sqlite3.connect(tmp_path / "runs.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
