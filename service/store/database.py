"""The durable store: run metadata in SQLite, results as Parquet files, under one directory.

Layout of ``data_dir``::

    runs.sqlite3              run metadata (WAL; this process is its only writer)
    store.lock                held with an exclusive lock while a Store is open
    results/<run_id>/trajectories.parquet
    results/<run_id>/replicates.parquet

Durability rules (a crash or SIGKILL at any instant loses nothing finished):

* every metadata change is one SQLite transaction with ``synchronous=FULL``, so a
  committed state survives power loss, not only a process crash;
* a result file is written under a temporary name, fsynced, renamed into place and the
  directory fsynced, so a reader sees no file or the whole file; a run is marked
  SUCCEEDED only after both of its files are in place;
* temporary files a crash left behind are removed by :meth:`Store.clean_temporary`.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import re
import shutil
import sqlite3
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from escapesim.engine import Scenario, ScenarioError, Therapy
from escapesim.engine.frozen import FrozenMap
from escapesim.service.store.run_record import Run, RunState, utc_now

TRAJECTORIES = "trajectories.parquet"
REPLICATES = "replicates.parquet"
_TEMPORARY_SUFFIX = ".tmp"
#: Schema version in ``PRAGMA user_version``; bump with a migration when columns change.
_SCHEMA_VERSION = 1
#: Parsed scenarios kept in memory (a scenario never changes once stored).
_SCENARIO_CACHE = 4096
#: What a run or ensemble identifier may be (they name files under the data directory).
IDENTIFIER = re.compile(r"[A-Za-z0-9_-]{1,64}")

_SCHEMA = """
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
    sequence INTEGER NOT NULL                    -- the run's last event sequence
);
CREATE INDEX IF NOT EXISTS runs_by_state ON runs (state, position);
"""

_COLUMNS = (
    "run_id, request_id, state, scenario, created_at, updated_at, replicates_total, "
    "replicates_done, simulated_day, error, partial, sequence"
)


class StoreError(Exception):
    """The store cannot be opened or used safely."""


class StoreLocked(StoreError):  # noqa: N818 - the agreed interface names
    """Another process has the data directory open (the store allows one writer)."""


class StoreCorrupt(StoreError):  # noqa: N818 - the agreed interface names
    """SQLite's integrity check failed; the message lists what it found."""


class Store:
    """Run metadata and results under ``data_dir`` (created if missing).

    Methods are safe to call from several threads (one connection behind a lock), but
    only one process may open a data directory at a time. Call :meth:`close` when done.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.results_root = self.data_dir / "results"
        self.results_root.mkdir(parents=True, exist_ok=True)
        self._lock_file = _acquire_lock(self.data_dir / "store.lock")
        self._lock = threading.Lock()
        self._scenarios: OrderedDict[str, Scenario] = OrderedDict()
        try:
            self._db = _connect(self.data_dir / "runs.sqlite3")
            problems = self.integrity_check()
            if problems != ["ok"]:
                self._db.close()
                raise StoreCorrupt("; ".join(problems))
        except sqlite3.DatabaseError as error:
            self._lock_file.close()
            raise StoreCorrupt(f"runs.sqlite3 cannot be read: {error}") from error
        except BaseException:
            self._lock_file.close()
            raise

    def close(self) -> None:
        """Checkpoint the WAL, close the database and release the directory lock."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()
        self._lock_file.close()

    # -- metadata ------------------------------------------------------------------------

    def integrity_check(self) -> list[str]:
        """SQLite's ``PRAGMA integrity_check``: ``["ok"]`` or a list of problems."""
        with self._lock:
            return [row[0] for row in self._db.execute("PRAGMA integrity_check")]

    def insert(self, run: Run, sequence: int) -> None:
        """Record a new run (raises ``sqlite3.IntegrityError`` on a duplicate id)."""
        with self._transaction() as db:
            db.execute(
                f"INSERT INTO runs ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                _row(run, sequence),
            )
        self._remember(run.run_id, run.scenario)

    def update(self, run: Run, sequence: int) -> None:
        """Record a run's new state and counters (the scenario never changes)."""
        with self._transaction() as db:
            found = db.execute(
                "UPDATE runs SET state=?, updated_at=?, replicates_done=?, simulated_day=?, "
                "error=?, partial=?, sequence=? WHERE run_id=?",
                (
                    run.state.value,
                    run.updated_at.isoformat(),
                    run.replicates_done,
                    run.simulated_day,
                    run.error,
                    int(run.partial),
                    sequence,
                    run.run_id,
                ),
            ).rowcount
        if found != 1:
            raise KeyError(run.run_id)

    def get(self, run_id: str) -> Run | None:
        """The stored run, or ``None``."""
        row = self._one(f"SELECT {_COLUMNS} FROM runs WHERE run_id=?", (run_id,))
        return None if row is None else self._run(row)

    def sequence(self, run_id: str) -> int:
        """The sequence of the last event recorded for ``run_id`` (0 if unknown)."""
        row = self._one("SELECT sequence FROM runs WHERE run_id=?", (run_id,))
        return 0 if row is None else int(row[0])

    def find_request(self, request_id: str) -> Run | None:
        """The run created with client ``request_id``, or ``None``."""
        row = self._one(f"SELECT {_COLUMNS} FROM runs WHERE request_id=?", (request_id,))
        return None if row is None else self._run(row)

    def page(
        self, limit: int, before: int | None, state: RunState | None
    ) -> list[tuple[int, Run]]:
        """Up to ``limit`` runs, newest first, created before position ``before``.

        Returns (position, run) pairs; a position is the cursor for the next page and
        stays valid while new runs are added (they only get larger positions).
        """
        rows = self.newest_first("runs", _COLUMNS, limit, before, state)
        return [(int(row[0]), self._run(row[1:])) for row in rows]

    def unfinished(self) -> list[tuple[str, str]]:
        """(run_id, scenario JSON) of runs not in a terminal state, oldest first.

        The raw JSON is returned so that recovery can fail a run whose scenario no
        longer builds (for example a preset removed in a newer version).
        """
        rows = self.unfinished_rows("runs", "run_id, scenario")
        return [(str(r[0]), str(r[1])) for r in rows]

    def force_state(self, run_id: str, state: RunState, error: str | None) -> None:
        """Set a state without reading the run (recovery of rows that do not parse)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE runs SET state=?, error=?, updated_at=?, replicates_done=0, "
                "simulated_day=0, partial=0, sequence=sequence+1 WHERE run_id=?",
                (state.value, error, utc_now().isoformat(), run_id),
            )

    # -- results -------------------------------------------------------------------------

    def result_files(self, run_id: str) -> tuple[Path, Path]:
        """Where a run's (trajectories, replicates) Parquet files are (they may not exist)."""
        folder = self._results_dir(run_id)
        return folder / TRAJECTORIES, folder / REPLICATES

    def write_results(self, run_id: str, trajectories: pa.Table, replicates: pa.Table) -> None:
        """Write both result files atomically and durably (call before marking SUCCEEDED)."""
        folder = self._results_dir(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        _fsync_directory(self.results_root)
        trajectory_path, replicate_path = self.result_files(run_id)
        _write_atomically(trajectories, trajectory_path)
        _write_atomically(replicates, replicate_path)
        _fsync_directory(folder)

    def remove_results(self, run_id: str) -> None:
        """Delete a run's result files (before it is simulated again from scratch)."""
        shutil.rmtree(self._results_dir(run_id), ignore_errors=True)

    def clean_temporary(self) -> list[Path]:
        """Delete temporary files a crash left in ``results/``; returns what was removed."""
        removed = []
        for path in self.results_root.glob(f"*/*{_TEMPORARY_SUFFIX}"):
            path.unlink(missing_ok=True)
            removed.append(path)
        return removed

    # -- shared with other resources (ensembles) -----------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One committed SQLite transaction on the store's connection (serialised)."""
        with self._transaction() as db:
            yield db

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Every row of a read-only query."""
        with self._lock:
            rows: list[tuple[Any, ...]] = self._db.execute(sql, args).fetchall()
        return rows

    def newest_first(
        self, table: str, columns: str, limit: int, before: int | None, state: RunState | None
    ) -> list[tuple[Any, ...]]:
        """Up to ``limit`` rows of ``table`` as (position, ``columns``...), newest first,
        created before position ``before`` and in ``state`` (each if given)."""
        clauses: list[str] = []
        args: list[object] = []
        if before is not None:
            clauses.append("position < ?")
            args.append(before)
        if state is not None:
            clauses.append("state = ?")
            args.append(state.value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT position, {columns} FROM {table} {where} ORDER BY position DESC LIMIT ?"
        return self.query(sql, (*args, limit))

    def unfinished_rows(self, table: str, columns: str) -> list[tuple[Any, ...]]:
        """``columns`` of the rows of ``table`` not in a terminal state, oldest first."""
        states = tuple(s.value for s in RunState if not s.terminal)
        marks = ",".join("?" * len(states))
        return self.query(
            f"SELECT {columns} FROM {table} WHERE state IN ({marks}) ORDER BY position", states
        )

    # -- internals -----------------------------------------------------------------------

    def _results_dir(self, run_id: str) -> Path:
        # Run ids reach file paths: never let one climb out of results/.
        if not IDENTIFIER.fullmatch(run_id):
            raise ValueError(f"not a run id: {run_id!r}")
        return self.results_root / run_id

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._db:
            yield self._db

    def _one(self, sql: str, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._db.execute(sql, args).fetchone()
        return row

    def _run(self, row: tuple[Any, ...]) -> Run:
        run_id = str(row[0])
        scenario = self._scenarios.get(run_id)
        if scenario is None:
            scenario = _stored_scenario(json.loads(row[3]))
            self._remember(run_id, scenario)
        return Run(
            run_id=run_id,
            request_id=row[1],
            state=RunState(row[2]),
            scenario=scenario,
            created_at=datetime.fromisoformat(row[4]),
            updated_at=datetime.fromisoformat(row[5]),
            replicates_total=int(row[6]),
            replicates_done=int(row[7]),
            simulated_day=float(row[8]),
            error=row[9],
            partial=bool(row[10]),
        )

    def _remember(self, run_id: str, scenario: Scenario) -> None:
        with self._lock:
            self._scenarios[run_id] = scenario
            self._scenarios.move_to_end(run_id)
            while len(self._scenarios) > _SCENARIO_CACHE:
                self._scenarios.popitem(last=False)


def scenario_json(scenario: Scenario) -> str:
    """The canonical stored form of a scenario (also used to compare two scenarios)."""
    return json.dumps(scenario.to_dict(), sort_keys=True, separators=(",", ":"))


def _stored_scenario(data: dict[str, Any]) -> Scenario:
    """The scenario of a stored run, even one this build no longer accepts.

    A run stored by an older build may name a preset or parameter that has since gone;
    the run (FAILED by recovery) must still be readable, so its scenario is rebuilt
    as recorded, without validation.
    """
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


def _row(run: Run, sequence: int) -> tuple[Any, ...]:
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
    )


def _connect(path: Path) -> sqlite3.Connection:
    # check_same_thread=False: the Store's own lock serialises every use of the connection.
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > _SCHEMA_VERSION:
        db.close()
        raise StoreError(f"store schema {version} is newer than this build's {_SCHEMA_VERSION}")
    db.executescript(_SCHEMA)
    db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
    return db


def _acquire_lock(path: Path) -> Any:
    handle = path.open("a")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StoreLocked(f"{path.parent} is in use by another process") from None
    return handle


def write_durably(table: pa.Table, target: Path) -> None:
    """Write ``table`` to ``target`` atomically and durably (the directory must exist)."""
    _write_atomically(table, target)
    _fsync_directory(target.parent)


def write_bytes_durably(data: bytes, target: Path) -> None:
    """Write ``data`` to ``target`` atomically and durably (the directory must exist)."""
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=_TEMPORARY_SUFFIX, dir=target.parent
    )
    try:
        with os.fdopen(handle, "wb") as sink:
            sink.write(data)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def fsync_directory(path: Path) -> None:
    """Make renames and new entries in directory ``path`` durable."""
    _fsync_directory(path)


TEMPORARY_SUFFIX = _TEMPORARY_SUFFIX


def _write_atomically(table: pa.Table, target: Path) -> None:
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=_TEMPORARY_SUFFIX, dir=target.parent
    )
    try:
        with os.fdopen(handle, "wb") as sink:
            pq.write_table(table, sink)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _fsync_directory(path: Path) -> None:
    # A rename is durable only once its directory entry is on disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
