"""Durable analyses: a table in the run store's database, and result files per analysis.

Layout under the data directory::

    runs.sqlite3                   the ``analyses`` table (next to ``runs``, ``ensembles``)
    analyses/<id>/work/            scratch while computing (pyABC's database, figures)
    analyses/<id>/<part>.parquet   the results (particles, generations, predictive;
    analyses/<id>/summary.json     design, indices) and the summary, written last

The durability rules of runs and ensembles (:mod:`escapesim.service.store.database`): one
SQLite transaction per state change, every result file written under a temporary name,
fsynced and renamed, all before the analysis is marked SUCCEEDED. An analysis has no
partial results: a restart removes what an unfinished one left and computes it again.
"""

from __future__ import annotations

import shutil
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

from escapesim.service.store.analysis_record import AnalysisRequest, AnalysisRun
from escapesim.service.store.database import IDENTIFIER, Store
from escapesim.service.store.files import (
    TEMPORARY_SUFFIX,
    private_directory,
    write_bytes_durably,
)
from escapesim.service.store.run_record import RunState, utc_now

#: The result files of each kind, by part name, in streaming order (summary last).
RESULT_FILES = {
    "calibration": ("particles", "generations", "predictive", "summary"),
    "sensitivity": ("design", "indices", "summary"),
}
SUMMARY = "summary"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS analyses (
    position INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order: newest-first paging
    analysis_id TEXT NOT NULL UNIQUE,
    request_id TEXT UNIQUE,
    state TEXT NOT NULL,
    spec TEXT NOT NULL,                          -- JSON of AnalysisRequest.to_json()
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    error TEXT,
    progress TEXT NOT NULL,                      -- "generations,evaluations,total"
    sequence INTEGER NOT NULL                    -- the analysis's last event sequence
);
CREATE INDEX IF NOT EXISTS analyses_by_state ON analyses (state, position);
"""
_COLUMNS = "analysis_id, request_id, state, spec, created_at, updated_at, error, progress, sequence"


class AnalysisStore:
    """Analysis metadata in ``store``'s database and files under ``store.data_dir``."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.root = private_directory(store.data_dir / "analyses")
        with store.transaction() as db:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)

    @property
    def page_key(self) -> bytes:
        """The run store's page-token secret."""
        return self._store.page_key

    def transaction(self) -> AbstractContextManager[Any]:
        """The run store's transaction (writes inside it commit together)."""
        return self._store.transaction()

    def insert(self, run: AnalysisRun, sequence: int) -> None:
        """Record a new analysis."""
        with self._store.transaction() as db:
            db.execute(
                f"INSERT INTO analyses ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
                (run.analysis_id, run.request_id, run.state.value, run.request.to_json(),
                 run.created_at.isoformat(), run.updated_at.isoformat(), run.error,
                 _progress(run), sequence),
            )  # fmt: skip

    def update(self, run: AnalysisRun, sequence: int) -> None:
        """Record an analysis's new state and progress (the spec never changes)."""
        with self._store.transaction() as db:
            found = db.execute(
                "UPDATE analyses SET state=?, updated_at=?, error=?, progress=?, sequence=? "
                "WHERE analysis_id=?",
                (run.state.value, run.updated_at.isoformat(), run.error, _progress(run),
                 sequence, run.analysis_id),
            ).rowcount  # fmt: skip
        if found != 1:
            raise KeyError(run.analysis_id)

    def get(self, analysis_id: str) -> AnalysisRun | None:
        """The stored analysis, or ``None``."""
        rows = self._store.query(
            f"SELECT {_COLUMNS} FROM analyses WHERE analysis_id=?", (analysis_id,)
        )
        return _analysis(rows[0]) if rows else None

    def sequence(self, analysis_id: str) -> int:
        """The sequence of the last event recorded for ``analysis_id`` (0 if unknown)."""
        rows = self._store.query("SELECT sequence FROM analyses WHERE analysis_id=?",
                                 (analysis_id,))  # fmt: skip
        return int(rows[0][0]) if rows else 0

    def find_request(self, request_id: str) -> AnalysisRun | None:
        """The analysis created with client ``request_id``, or ``None``."""
        rows = self._store.query(
            f"SELECT {_COLUMNS} FROM analyses WHERE request_id=?", (request_id,)
        )
        return _analysis(rows[0]) if rows else None

    def page(
        self, limit: int, before: int | None, state: RunState | None
    ) -> list[tuple[int, AnalysisRun]]:
        """Up to ``limit`` (position, analysis) pairs, newest first, before ``before``."""
        rows = self._store.newest_first("analyses", _COLUMNS, limit, before, state)
        return [(int(row[0]), _analysis(row[1:])) for row in rows]

    def unfinished(self) -> list[tuple[str, str]]:
        """(analysis_id, spec JSON) of analyses not in a terminal state, oldest first."""
        rows = self._store.unfinished_rows("analyses", "analysis_id, spec")
        return [(str(r[0]), str(r[1])) for r in rows]

    def force_failed(self, analysis_id: str, error: str) -> None:
        """Mark FAILED without reading the analysis (its spec no longer builds)."""
        with self._store.transaction() as db:
            db.execute(
                "UPDATE analyses SET state=?, error=?, updated_at=?, sequence=sequence+1 "
                "WHERE analysis_id=?",
                (RunState.FAILED.value, error, utc_now().isoformat(), analysis_id),
            )

    # -- files ---------------------------------------------------------------------------

    def work_folder(self, analysis_id: str) -> Path:
        """A fresh scratch folder for computing ``analysis_id`` (emptied first)."""
        folder = self._folder(analysis_id) / "work"
        shutil.rmtree(folder, ignore_errors=True)
        private_directory(self._folder(analysis_id))
        return private_directory(folder)

    def result_files(self, analysis_id: str, kind: str) -> dict[str, Path]:
        """Where each part of a ``kind`` analysis's results is (they may not exist)."""
        folder = self._folder(analysis_id)
        return {
            part: folder / (f"{part}.json" if part == SUMMARY else f"{part}.parquet")
            for part in RESULT_FILES[kind]
        }

    def keep_results(self, analysis_id: str, kind: str, found: dict[str, Path]) -> None:
        """Copy the computed files ``found`` (by part) durably into place, the summary
        last, then drop the scratch folder (before the analysis is marked SUCCEEDED)."""
        for part, target in self.result_files(analysis_id, kind).items():
            write_bytes_durably(found[part].read_bytes(), target)
        shutil.rmtree(self._folder(analysis_id) / "work", ignore_errors=True)

    def remove_files(self, analysis_id: str) -> None:
        """Delete every file of an analysis (before computing it again after a restart)."""
        shutil.rmtree(self._folder(analysis_id), ignore_errors=True)

    def clean_temporary(self) -> list[Path]:
        """Delete temporary files a crash left under ``analyses/``."""
        removed = list(self.root.rglob(f"*{TEMPORARY_SUFFIX}"))
        for path in removed:
            path.unlink(missing_ok=True)
        return removed

    def _folder(self, analysis_id: str) -> Path:
        # Ids reach file paths: never let one climb out of analyses/.
        if not IDENTIFIER.fullmatch(analysis_id):
            raise ValueError(f"not an analysis id: {analysis_id!r}")
        return self.root / analysis_id


def _progress(run: AnalysisRun) -> str:
    return f"{run.generations_done},{run.evaluations_done},{run.evaluations_total}"


def _analysis(row: tuple[Any, ...]) -> AnalysisRun:
    generations, evaluations, total = (int(x) for x in str(row[7]).split(","))
    return AnalysisRun(
        analysis_id=str(row[0]), request_id=row[1], state=RunState(row[2]),
        request=AnalysisRequest.from_json(row[3]),
        created_at=datetime.fromisoformat(row[4]), updated_at=datetime.fromisoformat(row[5]),
        error=row[6], generations_done=generations, evaluations_done=evaluations,
        evaluations_total=total,
    )  # fmt: skip
