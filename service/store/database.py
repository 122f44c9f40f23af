"""The durable store: run metadata in SQLite, results as Parquet files, under one directory.

Layout of ``data_dir`` (folders 0700, files 0600, whatever the umask)::

    runs.sqlite3              run metadata (WAL; this process is its only writer)
    store.lock                held with an exclusive lock while a Store is open
    page.key                  the secret that signs page tokens
    results/<run_id>/trajectories.parquet
    results/<run_id>/replicates.parquet

Durability rules (a crash or SIGKILL at any instant loses nothing finished):

* every metadata change is one SQLite transaction with ``synchronous=FULL``, so a
  committed state survives power loss, not only a process crash;
* a result file is written by :func:`~escapesim.service.store.files.write_durably`, so a
  reader sees no file or the whole file; a run is marked SUCCEEDED only after both of its
  files are in place;
* temporary files a crash left behind are removed by :meth:`Store.clean_temporary`.

Writes go through one connection and reads through another: under WAL a read never waits
for a commit (and its fsync) in progress in another thread.
"""

from __future__ import annotations

import re
import secrets
import shutil
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from escapesim.engine import Scenario
from escapesim.service.store import sqlite
from escapesim.service.store.files import (
    TEMPORARY_SUFFIX,
    private_directory,
    write_bytes_durably,
    write_durably,
)
from escapesim.service.store.run_record import Run, RunState, utc_now
from escapesim.service.store.run_rows import (
    COLUMNS,
    MIGRATIONS,
    PLACEHOLDERS,
    SCHEMA,
    SCHEMA_VERSION,
    outcomes_json,
    row_of,
    run_of,
    scenario_json,
)
from escapesim.service.store.sqlite import StoreCorrupt, StoreError, StoreLocked

__all__ = [
    "IDENTIFIER",
    "REPLICATES",
    "TRAJECTORIES",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "StoreLocked",
    "scenario_json",
    "write_table_durably",
]

TRAJECTORIES = "trajectories.parquet"
REPLICATES = "replicates.parquet"
CHECKPOINTS = "checkpoints.parquet"
#: Parsed scenarios kept in memory (a scenario never changes once stored).
_SCENARIO_CACHE = 4096
#: What a run or ensemble identifier may be (they name files under the data directory).
IDENTIFIER = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Store:
    """Run metadata and results under ``data_dir`` (created if missing).

    Methods are safe to call from several threads (a write connection and a read
    connection, each behind its lock), but only one process may open a data directory at
    a time. Call :meth:`close` when done.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = private_directory(Path(data_dir))
        self.results_root = private_directory(self.data_dir / "results")
        self._lock_file = sqlite.acquire_lock(self.data_dir / "store.lock")
        self._lock = threading.RLock()  # re-entered by transactions inside a group commit
        self._depth = 0  # transactions open on the write connection (by the lock's owner)
        self._read_lock = threading.Lock()
        self._scenarios: OrderedDict[str, Scenario] = OrderedDict()
        #: Signs page tokens (:mod:`escapesim.service.jobs.paging`); kept across restarts.
        self.page_key = _page_key(self.data_dir / "page.key")
        path = self.data_dir / "runs.sqlite3"
        try:
            self._db = sqlite.connect(path, SCHEMA, SCHEMA_VERSION, MIGRATIONS)
            self._reader = sqlite.reader(path)
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
        with self._read_lock:
            self._reader.close()
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
                f"INSERT INTO runs ({COLUMNS}) VALUES ({PLACEHOLDERS})",
                row_of(run, sequence),
            )
        self._remember(run.run_id, run.scenario)

    def update(self, run: Run, sequence: int) -> None:
        """Record a run's new state and counters (the scenario never changes)."""
        with self._transaction() as db:
            found = db.execute(
                "UPDATE runs SET state=?, updated_at=?, replicates_done=?, simulated_day=?, "
                "error=?, partial=?, sequence=?, outcomes=? WHERE run_id=?",
                (
                    run.state.value,
                    run.updated_at.isoformat(),
                    run.replicates_done,
                    run.simulated_day,
                    run.error,
                    int(run.partial),
                    sequence,
                    outcomes_json(run),
                    run.run_id,
                ),
            ).rowcount
        if found != 1:
            raise KeyError(run.run_id)

    def get(self, run_id: str) -> Run | None:
        """The stored run, or ``None``."""
        row = self._one(f"SELECT {COLUMNS} FROM runs WHERE run_id=?", (run_id,))
        return None if row is None else self._run(row)

    def sequence(self, run_id: str) -> int:
        """The sequence of the last event recorded for ``run_id`` (0 if unknown)."""
        row = self._one("SELECT sequence FROM runs WHERE run_id=?", (run_id,))
        return 0 if row is None else int(row[0])

    def find_request(self, request_id: str) -> Run | None:
        """The run created with client ``request_id``, or ``None``."""
        row = self._one(f"SELECT {COLUMNS} FROM runs WHERE request_id=?", (request_id,))
        return None if row is None else self._run(row)

    def page(self, limit: int, before: int | None, state: RunState | None) -> list[tuple[int, Run]]:
        """Up to ``limit`` runs, newest first, created before position ``before``.

        Returns (position, run) pairs; a position is the cursor for the next page and
        stays valid while new runs are added (they only get larger positions).
        """
        rows = self.newest_first("runs", COLUMNS, limit, before, state)
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
                "simulated_day=0, partial=0, outcomes='{}', sequence=sequence+1 WHERE run_id=?",
                (state.value, error, utc_now().isoformat(), run_id),
            )

    # -- results -------------------------------------------------------------------------

    def result_files(self, run_id: str) -> tuple[Path, Path]:
        """Where a run's (trajectories, replicates) Parquet files are (they may not exist)."""
        folder = self._results_dir(run_id)
        return folder / TRAJECTORIES, folder / REPLICATES

    def write_results(
        self,
        run_id: str,
        trajectories: pa.Table,
        replicates: pa.Table,
        checkpoints: pa.Table | None = None,
    ) -> None:
        """Write the result files atomically and durably (call before marking SUCCEEDED);
        ``checkpoints`` (if any rows) goes to ``checkpoints.parquet`` first."""
        private_directory(self._results_dir(run_id))
        trajectory_path, replicate_path = self.result_files(run_id)
        if checkpoints is not None and checkpoints.num_rows:
            write_table_durably(checkpoints, self.checkpoint_file(run_id))
        write_table_durably(trajectories, trajectory_path)
        write_table_durably(replicates, replicate_path)

    def checkpoint_file(self, run_id: str) -> Path:
        """Where a run's kept checkpoints are (the file exists only if it kept some)."""
        return self._results_dir(run_id) / CHECKPOINTS

    def remove_results(self, run_id: str) -> None:
        """Delete a run's result files (before it is simulated again from scratch)."""
        shutil.rmtree(self._results_dir(run_id), ignore_errors=True)

    def clean_temporary(self) -> list[Path]:
        """Delete temporary files a crash left in ``results/``; returns what was removed."""
        removed = []
        for path in self.results_root.glob(f"*/*{TEMPORARY_SUFFIX}"):
            path.unlink(missing_ok=True)
            removed.append(path)
        return removed

    # -- shared with other resources (ensembles) -----------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One committed SQLite transaction on the store's connection (serialised).

        Transactions opened inside one (in the same thread) join it: every write in the
        outer block commits together, once, when it ends (a group commit), or none does.
        """
        with self._transaction() as db:
            yield db

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Every row of a read-only query (on the read connection)."""
        with self._read_lock:
            rows: list[tuple[Any, ...]] = self._reader.execute(sql, args).fetchall()
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
        with self._lock:
            if self._depth:  # inside an outer transaction: it commits
                self._depth += 1
                try:
                    yield self._db
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                with self._db:
                    yield self._db
            finally:
                self._depth = 0

    def _one(self, sql: str, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        with self._read_lock:
            row: tuple[Any, ...] | None = self._reader.execute(sql, args).fetchone()
        return row

    def _run(self, row: tuple[Any, ...]) -> Run:
        run_id = str(row[0])
        run = run_of(row, self._scenarios.get(run_id))
        self._remember(run_id, run.scenario)
        return run

    def _remember(self, run_id: str, scenario: Scenario) -> None:
        with self._read_lock:
            self._scenarios[run_id] = scenario
            self._scenarios.move_to_end(run_id)
            while len(self._scenarios) > _SCENARIO_CACHE:
                self._scenarios.popitem(last=False)


def _page_key(path: Path) -> bytes:
    """The 32-byte secret in ``path``, made (0600, durably) if missing or unusable."""
    key = path.read_bytes() if path.is_file() else b""
    if len(key) != 32:
        key = secrets.token_bytes(32)
        write_bytes_durably(key, path)
    return key


def write_table_durably(table: pa.Table, target: Path) -> None:
    """Write ``table`` as Parquet to ``target`` atomically and durably (private, 0600)."""
    write_durably(target, lambda sink: pq.write_table(table, sink))
