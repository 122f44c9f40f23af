"""Checkpoints as an Arrow table: one row per (replicate, day), the checkpoint's bytes.

A run whose scenario lists ``checkpoint_days`` stores this table beside its results
(``checkpoints.parquet``), so a replicate can later be forked at one of those days
without simulating its past again. The bytes are the engine's versioned form
(:meth:`escapesim.engine.checkpoint.Checkpoint.to_bytes`), not a pickle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from escapesim.engine.checkpoint import Checkpoint

SCHEMA = pa.schema(
    [("replicate", pa.int64()), ("day", pa.float64()), ("checkpoint", pa.large_binary())]
)


def checkpoint_table(checkpoints: Iterable[Checkpoint]) -> pa.Table:
    """The table of ``checkpoints`` (serialised), in the order given."""
    kept = list(checkpoints)
    return pa.table(
        {
            "replicate": pa.array([c.replicate for c in kept], pa.int64()),
            "day": pa.array([c.day for c in kept], pa.float64()),
            "checkpoint": pa.array([c.to_bytes() for c in kept], pa.large_binary()),
        },
        schema=SCHEMA,
    )


def combined(tables: Sequence[pa.Table]) -> pa.Table:
    """Batches' checkpoint tables as one, sorted by replicate then day."""
    if not tables:
        return SCHEMA.empty_table()
    table = pa.concat_tables(tables)
    return table.sort_by([("replicate", "ascending"), ("day", "ascending")])


def find(table: pa.Table, replicate: int, day: float) -> bytes | None:
    """The stored bytes of replicate ``replicate``'s checkpoint at ``day``, if kept."""
    mask = pc.and_(pc.equal(table["replicate"], replicate), pc.equal(table["day"], day))
    found = table.filter(mask)["checkpoint"].to_pylist()
    return found[0] if found else None


def read_one(path: Path, replicate: int, day: float) -> bytes | None:
    """The bytes of replicate ``replicate``'s checkpoint at ``day`` in the stored file
    ``path`` (if there is one), read by a filtered scan: a fork needs one row, and a large
    run's file holds replicates × days checkpoints of tens of KiB each."""
    if not path.is_file():
        return None
    wanted = [("replicate", "=", replicate), ("day", "=", day)]
    return find(pq.read_table(path, filters=wanted), replicate, day)
