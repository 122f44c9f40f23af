"""Durable ensembles: a table in the run store's database, and files per ensemble.

Layout under the data directory::

    runs.sqlite3                       the ``ensembles`` table (next to ``runs``)
    ensembles/<id>/cells/<index>/      one finished cell: trajectories.parquet,
                                       replicates.parquet (as a run's, see combine)
    ensembles/<id>/trajectories.parquet, replicates.parquet, outcomes.parquet,
    ensembles/<id>/bands.parquet, attribution.parquet,
    ensembles/<id>/summary.json                      the summarised ensemble

The same durability rules as runs (:mod:`service.store.database`): one SQLite transaction per
state change, every file written under a temporary name, fsynced and renamed. A cell's
files are its proof of completion: after a crash, a cell whose two files are in place
is not simulated again, so nothing finished is lost.
"""

from __future__ import annotations

import json
import shutil
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from escapesim.engine.ensemble import Ensemble
from escapesim.service.store.database import (
    IDENTIFIER,
    REPLICATES,
    TRAJECTORIES,
    Store,
    write_table_durably,
)
from escapesim.service.store.ensemble_record import CellProgress, EnsembleRun, fresh_cells
from escapesim.service.store.files import (
    TEMPORARY_SUFFIX,
    private_directory,
    write_bytes_durably,
)
from escapesim.service.store.run_record import RunState, utc_now

#: The summarised results, by part name, in streaming order.
RESULT_FILES = {
    "trajectories": "trajectories.parquet",
    "replicates": "replicates.parquet",
    "outcomes": "outcomes.parquet",
    "bands": "bands.parquet",
    "attribution": "attribution.parquet",
}
SUMMARY = "summary.json"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ensembles (
    position INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order: newest-first paging
    ensemble_id TEXT NOT NULL UNIQUE,
    request_id TEXT UNIQUE,
    state TEXT NOT NULL,
    spec TEXT NOT NULL,                          -- JSON of Ensemble.to_dict()
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    cells TEXT NOT NULL,                         -- JSON [[state, replicates_done], ...]
    error TEXT,
    partial INTEGER NOT NULL,
    sequence INTEGER NOT NULL                    -- the ensemble's last event sequence
);
CREATE INDEX IF NOT EXISTS ensembles_by_state ON ensembles (state, position);
"""
_COLUMNS = (
    "ensemble_id, request_id, state, spec, created_at, updated_at, cells, error, partial, sequence"
)


class EnsembleStore:
    """Ensemble metadata in ``store``'s database and files under ``store.data_dir``."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.root = private_directory(store.data_dir / "ensembles")
        with store.transaction() as db:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
        self._specs: dict[str, Ensemble] = {}

    # -- metadata ------------------------------------------------------------------------

    @property
    def page_key(self) -> bytes:
        """The run store's page-token secret."""
        return self._store.page_key

    def transaction(self) -> AbstractContextManager[Any]:
        """The run store's transaction (writes inside it commit together)."""
        return self._store.transaction()

    def insert(self, run: EnsembleRun, sequence: int) -> None:
        """Record a new ensemble."""
        with self._store.transaction() as db:
            db.execute(
                f"INSERT INTO ensembles ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    run.ensemble_id,
                    run.request_id,
                    run.state.value,
                    spec_json(run.ensemble),
                    run.created_at.isoformat(),
                    run.updated_at.isoformat(),
                    _cells_json(run.cells),
                    run.error,
                    int(run.partial),
                    sequence,
                ),
            )
        self._specs[run.ensemble_id] = run.ensemble

    def update(self, run: EnsembleRun, sequence: int) -> None:
        """Record an ensemble's new state and cells (the spec never changes)."""
        with self._store.transaction() as db:
            found = db.execute(
                "UPDATE ensembles SET state=?, updated_at=?, cells=?, error=?, partial=?, "
                "sequence=? WHERE ensemble_id=?",
                (
                    run.state.value,
                    run.updated_at.isoformat(),
                    _cells_json(run.cells),
                    run.error,
                    int(run.partial),
                    sequence,
                    run.ensemble_id,
                ),
            ).rowcount
        if found != 1:
            raise KeyError(run.ensemble_id)

    def get(self, ensemble_id: str) -> EnsembleRun | None:
        """The stored ensemble, or ``None``."""
        rows = self._store.query(
            f"SELECT {_COLUMNS} FROM ensembles WHERE ensemble_id=?", (ensemble_id,)
        )
        return self._ensemble(rows[0]) if rows else None

    def sequence(self, ensemble_id: str) -> int:
        """The sequence of the last event recorded for ``ensemble_id`` (0 if unknown)."""
        rows = self._store.query(
            "SELECT sequence FROM ensembles WHERE ensemble_id=?", (ensemble_id,)
        )
        return int(rows[0][0]) if rows else 0

    def find_request(self, request_id: str) -> EnsembleRun | None:
        """The ensemble created with client ``request_id``, or ``None``."""
        rows = self._store.query(
            f"SELECT {_COLUMNS} FROM ensembles WHERE request_id=?", (request_id,)
        )
        return self._ensemble(rows[0]) if rows else None

    def page(
        self, limit: int, before: int | None, state: RunState | None
    ) -> list[tuple[int, EnsembleRun]]:
        """Up to ``limit`` (position, ensemble) pairs, newest first, before ``before``."""
        rows = self._store.newest_first("ensembles", _COLUMNS, limit, before, state)
        return [(int(row[0]), self._ensemble(row[1:])) for row in rows]

    def unfinished(self) -> list[tuple[str, str]]:
        """(ensemble_id, spec JSON) of ensembles not in a terminal state, oldest first."""
        rows = self._store.unfinished_rows("ensembles", "ensemble_id, spec")
        return [(str(r[0]), str(r[1])) for r in rows]

    def force_failed(self, ensemble_id: str, error: str) -> None:
        """Mark FAILED without reading the ensemble (its spec no longer builds)."""
        with self._store.transaction() as db:
            db.execute(
                "UPDATE ensembles SET state=?, error=?, updated_at=?, sequence=sequence+1 "
                "WHERE ensemble_id=?",
                (RunState.FAILED.value, error, utc_now().isoformat(), ensemble_id),
            )

    # -- cells ---------------------------------------------------------------------------

    def cell_done(self, ensemble_id: str, index: int) -> bool:
        """Whether both tables of cell ``index`` are stored."""
        return all(path.is_file() for path in self._cell_files(ensemble_id, index))

    def write_cell(
        self, ensemble_id: str, index: int, trajectories: pa.Table, replicates: pa.Table
    ) -> None:
        """Store a finished cell's tables durably (replicates last: it marks completion)."""
        private_directory(self._folder(ensemble_id) / "cells" / str(index))
        trajectory_path, replicate_path = self._cell_files(ensemble_id, index)
        write_table_durably(trajectories, trajectory_path)
        write_table_durably(replicates, replicate_path)

    def read_cell(self, ensemble_id: str, index: int) -> tuple[pa.Table, pa.Table]:
        """The (trajectories, replicates) tables of a stored cell."""
        trajectory_path, replicate_path = self._cell_files(ensemble_id, index)
        return pq.read_table(trajectory_path), pq.read_table(replicate_path)

    # -- summarised results --------------------------------------------------------------

    def result_files(self, ensemble_id: str) -> dict[str, Path]:
        """Where each part of the results is (``summary`` included; they may not exist)."""
        folder = self._folder(ensemble_id)
        files = {name: folder / file for name, file in RESULT_FILES.items()}
        return {**files, "summary": folder / SUMMARY}

    def write_results(
        self, ensemble_id: str, tables: dict[str, pa.Table], summary: dict[str, Any]
    ) -> None:
        """Write every table, then the summary, durably (before marking SUCCEEDED)."""
        files = self.result_files(ensemble_id)
        private_directory(files["summary"].parent)
        for name, table in tables.items():
            write_table_durably(table, files[name])
        write_bytes_durably(json.dumps(summary, indent=2).encode() + b"\n", files["summary"])

    def write_table(self, ensemble_id: str, name: str, table: pa.Table) -> None:
        """Write one summarised table durably (one an older version did not write)."""
        write_table_durably(table, self.result_files(ensemble_id)[name])

    def remove_results(self, ensemble_id: str) -> None:
        """Delete the summarised files (not the cells) before summarising again."""
        for path in self.result_files(ensemble_id).values():
            path.unlink(missing_ok=True)

    def clean_temporary(self) -> list[Path]:
        """Delete temporary files a crash left under ``ensembles/``."""
        removed = list(self.root.rglob(f"*{TEMPORARY_SUFFIX}"))
        for path in removed:
            path.unlink(missing_ok=True)
        return removed

    def remove(self, ensemble_id: str) -> None:
        """Delete every file of an ensemble (used by tests and tools, never by recovery)."""
        shutil.rmtree(self._folder(ensemble_id), ignore_errors=True)

    # -- internals -----------------------------------------------------------------------

    def _folder(self, ensemble_id: str) -> Path:
        # Ids reach file paths: never let one climb out of ensembles/.
        if not IDENTIFIER.fullmatch(ensemble_id):
            raise ValueError(f"not an ensemble id: {ensemble_id!r}")
        return self.root / ensemble_id

    def _cell_files(self, ensemble_id: str, index: int) -> tuple[Path, Path]:
        folder = self._folder(ensemble_id) / "cells" / str(index)
        return folder / TRAJECTORIES, folder / REPLICATES

    def _ensemble(self, row: tuple[Any, ...]) -> EnsembleRun:
        ensemble_id = str(row[0])
        ensemble = self._specs.get(ensemble_id)
        if ensemble is None:
            ensemble = Ensemble.from_dict(json.loads(row[3]))
            self._specs[ensemble_id] = ensemble
        return EnsembleRun(
            ensemble_id=ensemble_id,
            request_id=row[1],
            state=RunState(row[2]),
            ensemble=ensemble,
            created_at=datetime.fromisoformat(row[4]),
            updated_at=datetime.fromisoformat(row[5]),
            cells=_cells_from_json(ensemble, row[6]),
            error=row[7],
            partial=bool(row[8]),
        )


def spec_json(ensemble: Ensemble) -> str:
    """The canonical stored form of an ensemble (also used to compare two ensembles)."""
    return json.dumps(ensemble.to_dict(), sort_keys=True, separators=(",", ":"))


def _cells_json(cells: tuple[CellProgress, ...]) -> str:
    return json.dumps([[c.state.value, c.replicates_done] for c in cells], separators=(",", ":"))


def _cells_from_json(ensemble: Ensemble, raw: str) -> tuple[CellProgress, ...]:
    stored = json.loads(raw)
    cells = fresh_cells(ensemble)
    if len(stored) != len(cells):
        return cells
    return tuple(
        CellProgress(
            point=cell.point,
            arm=cell.arm,
            values=cell.values,
            state=RunState(state),
            replicates_total=cell.replicates_total,
            replicates_done=int(done),
        )
        for cell, (state, done) in zip(cells, stored, strict=True)
    )
