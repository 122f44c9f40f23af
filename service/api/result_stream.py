"""A run's Parquet results as Arrow IPC chunks small enough for one gRPC message each.

Each chunk is a complete Arrow IPC stream (schema and one record batch), so a client can
decode every chunk on its own and concatenate the tables. Chunks aim at
:data:`TARGET_BYTES` and never exceed :data:`MAX_BYTES` (a batch that encodes larger is
split), well under the 4 MiB default message limit. Reading and encoding run in a thread:
a 100 MB result must not stall the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

TARGET_BYTES = 1024 * 1024
MAX_BYTES = 3 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Chunk:
    """Some rows of a table as one Arrow IPC stream."""

    data: bytes
    rows: int


async def chunks(path: Path, target_bytes: int = TARGET_BYTES) -> AsyncIterator[Chunk]:
    """The chunks of the Parquet file at ``path``, in row order (at least one chunk)."""
    reader = await asyncio.to_thread(_Reader, path, target_bytes)
    while True:
        found = await asyncio.to_thread(reader.next_chunks)
        if found is None:
            return
        for chunk in found:
            yield chunk


def encode(batch: pa.RecordBatch | pa.Table) -> bytes:
    """One Arrow IPC stream holding ``batch``."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write(batch)
    return bytes(sink.getvalue())


def decode(data: bytes) -> pa.Table:
    """The table of one chunk."""
    return pa.ipc.open_stream(data).read_all()


class _Reader:
    def __init__(self, path: Path, target_bytes: int) -> None:
        self._file = pq.ParquetFile(path)
        metadata = self._file.metadata
        total = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
        per_row = max(total / max(metadata.num_rows, 1), 1.0)
        self._schema = self._file.schema_arrow
        self._batches: Iterator[pa.RecordBatch] = self._file.iter_batches(
            batch_size=max(int(target_bytes / per_row), 1)
        )
        self._sent = False

    def next_chunks(self) -> list[Chunk] | None:
        batch = next(self._batches, None)
        if batch is None:
            if self._sent:
                return None
            self._sent = True  # an empty table still tells the client its columns
            return [Chunk(encode(self._schema.empty_table()), 0)]
        self._sent = True
        return list(_split(batch))


def _split(batch: pa.RecordBatch) -> Iterator[Chunk]:
    data = encode(batch)
    if len(data) <= MAX_BYTES or batch.num_rows <= 1:
        yield Chunk(data, batch.num_rows)
        return
    half = batch.num_rows // 2
    yield from _split(batch.slice(0, half))
    yield from _split(batch.slice(half))
