"""Runs as rows of the ``runs`` table and back, scenarios as their canonical JSON.

A stored scenario is rebuilt even if this build no longer accepts it (a preset or
parameter removed since): the run, FAILED by recovery, must stay readable.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from escapesim.engine import Scenario, ScenarioError, Therapy
from escapesim.engine.frozen import FrozenMap
from escapesim.service.store.run_record import Run, RunFork, RunState, no_outcomes, tally

#: Schema version in ``PRAGMA user_version``; bump with a migration when columns change.
SCHEMA_VERSION = 4

#: What brings a store of version ``v - 1`` to version ``v`` (applied in order on open).
MIGRATIONS = {
    # 2: runs may start at any replicate (``simulate --first-replicate K --server``).
    2: "ALTER TABLE runs ADD COLUMN first_replicate INTEGER NOT NULL DEFAULT 0",
    # 3: runs count their replicates by outcome (the Run message's tally).
    3: "ALTER TABLE runs ADD COLUMN outcomes TEXT NOT NULL DEFAULT '{}'",
    # 4: runs may continue a stored run's checkpoint (ForkRun): where they came from.
    4: "ALTER TABLE runs ADD COLUMN forked_from TEXT",
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    position INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order: newest-first paging
    run_id TEXT NOT NULL UNIQUE,
    request_id TEXT UNIQUE,
    state TEXT NOT NULL,
    scenario TEXT NOT NULL,                      -- JSON of Scenario.to_dict()
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    replicates_total INTEGER NOT NULL,
    replicates_done INTEGER NOT NULL,
    simulated_day REAL NOT NULL,
    error TEXT,
    partial INTEGER NOT NULL,
    sequence INTEGER NOT NULL,                   -- the run's last event sequence
    first_replicate INTEGER NOT NULL DEFAULT 0,  -- replicates first … first + total − 1
    outcomes TEXT NOT NULL DEFAULT '{}',         -- JSON: replicates by outcome (version 3)
    forked_from TEXT                             -- JSON of RunFork, or NULL (version 4)
);
CREATE INDEX IF NOT EXISTS runs_by_state ON runs (state, position);
"""

COLUMNS = (
    "run_id, request_id, state, scenario, created_at, updated_at, replicates_total, "
    "replicates_done, simulated_day, error, partial, sequence, first_replicate, outcomes, "
    "forked_from"
)
#: One ``?`` per column of :data:`COLUMNS`, for an INSERT.
PLACEHOLDERS = ", ".join("?" for _ in COLUMNS.split(","))


def scenario_json(scenario: Scenario) -> str:
    """The canonical stored form of a scenario (also used to compare two scenarios)."""
    return json.dumps(scenario.to_dict(), sort_keys=True, separators=(",", ":"))


def row_of(run: Run, sequence: int) -> tuple[Any, ...]:
    """The values of :data:`COLUMNS` for ``run`` at event ``sequence``."""
    return (
        run.run_id,
        run.request_id,
        run.state.value,
        scenario_json(run.scenario),
        run.created_at.isoformat(),
        run.updated_at.isoformat(),
        run.replicates_total,
        run.replicates_done,
        run.simulated_day,
        run.error,
        int(run.partial),
        sequence,
        run.first_replicate,
        outcomes_json(run),
        None if run.forked_from is None else json.dumps(dataclasses.asdict(run.forked_from)),
    )


def outcomes_json(run: Run) -> str:
    """The stored form of a run's outcome tally (it changes with the run's state)."""
    return json.dumps(dict(run.outcomes), separators=(",", ":"))


def run_of(row: tuple[Any, ...], scenario: Scenario | None) -> Run:
    """The run of a row of :data:`COLUMNS` (``scenario``: already parsed, if known)."""
    return Run(
        run_id=str(row[0]),
        request_id=row[1],
        state=RunState(row[2]),
        scenario=scenario or stored_scenario(json.loads(row[3])),
        created_at=datetime.fromisoformat(row[4]),
        updated_at=datetime.fromisoformat(row[5]),
        replicates_total=int(row[6]),
        replicates_done=int(row[7]),
        simulated_day=float(row[8]),
        error=row[9],
        partial=bool(row[10]),
        first_replicate=int(row[12]),
        outcomes=tally(no_outcomes(), json.loads(row[13])),
        forked_from=None if row[14] is None else RunFork(**json.loads(row[14])),
    )


def stored_scenario(data: dict[str, Any]) -> Scenario:
    """The scenario of a stored run, even one this build no longer accepts (unvalidated)."""
    try:
        return Scenario.from_dict(data)
    except ScenarioError:
        fields = {k: v for k, v in data.items() if k in _SCENARIO_FIELDS}
        for name in ("parameters", "initial", "mechanisms"):
            fields[name] = FrozenMap(fields.get(name) or {})
        fields["therapies"] = tuple(
            Therapy(
                kind=t["kind"],
                at_days=tuple(t["at_days"]),
                dose=t["dose"],
                parameters=FrozenMap(t["parameters"]),
            )
            for t in fields.get("therapies", [])
        )
        return Scenario(**fields)


_SCENARIO_FIELDS = frozenset(f.name for f in dataclasses.fields(Scenario))
