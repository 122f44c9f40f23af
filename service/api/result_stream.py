"""A run's Parquet results as chunks small enough for one gRPC message each.

Each chunk is a complete Arrow IPC stream (schema and one record batch), so a client can
decode every chunk on its own and concatenate the tables; or, for clients without Arrow
(grpcurl, a browser, R without arrow), the same rows as JSON Lines (one object per row,
NaN as null) or CSV (the header in the first chunk only, so the pieces concatenate). Chunks aim at
:data:`TARGET_BYTES` and never exceed :data:`MAX_BYTES` (a batch that encodes larger is
split), well under the 4 MiB default message limit. Reading and encoding run in a thread:
a 100 MB result must not stall the event loop.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

TARGET_BYTES = 1024 * 1024
MAX_BYTES = 3 * 1024 * 1024


#: The encodings of a chunk.
ARROW, JSON, CSV = "arrow", "json", "csv"


@dataclass(frozen=True, slots=True)
class Chunk:
    """Some rows of a table as one Arrow IPC stream (``data``), or as ``text``."""

    data: bytes
    rows: int
    text: str = ""


async def chunks(
    path: Path, target_bytes: int = TARGET_BYTES, encoding: str = ARROW
) -> AsyncIterator[Chunk]:
    """The chunks of the Parquet file at ``path``, in row order (at least one chunk), in
    ``encoding`` (:data:`ARROW`, :data:`JSON` or :data:`CSV`)."""
    reader = await asyncio.to_thread(_Reader, path, target_bytes, encoding)
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


def json_lines(batch: pa.RecordBatch | pa.Table) -> str:
    """The rows of ``batch`` as JSON Lines (a NaN becomes null: JSON has no NaN)."""
    return "".join(
        json.dumps({k: _plain(v) for k, v in row.items()}, allow_nan=False) + "\n"
        for row in batch.to_pylist()
    )


def csv_text(batch: pa.RecordBatch | pa.Table, *, header: bool) -> str:
    """The rows of ``batch`` as CSV, with the header row if ``header``."""
    sink = pa.BufferOutputStream()
    options = pa_csv.WriteOptions(include_header=header)
    pa_csv.write_csv(pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch)
                     else batch, sink, options)  # fmt: skip
    return bytes(sink.getvalue()).decode()


def _plain(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value


class _Reader:
    def __init__(self, path: Path, target_bytes: int, encoding: str) -> None:
        self._encoding = encoding
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
            return [self._chunk(self._schema.empty_table(), header=True)]
        first, self._sent = not self._sent, True
        return list(self._split(batch, header=first))

    def _chunk(self, batch: pa.RecordBatch | pa.Table, *, header: bool) -> Chunk:
        if self._encoding == JSON:
            return Chunk(b"", batch.num_rows, json_lines(batch))
        if self._encoding == CSV:
            return Chunk(b"", batch.num_rows, csv_text(batch, header=header))
        return Chunk(encode(batch), batch.num_rows)

    def _split(self, batch: pa.RecordBatch, *, header: bool) -> Iterator[Chunk]:
        chunk = self._chunk(batch, header=header)
        if len(chunk.data) + len(chunk.text.encode()) <= MAX_BYTES or batch.num_rows <= 1:
            yield chunk
            return
        half = batch.num_rows // 2
        yield from self._split(batch.slice(0, half), header=header)
        yield from self._split(batch.slice(half), header=False)
