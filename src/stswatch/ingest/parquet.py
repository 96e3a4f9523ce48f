"""Parquet in the canonical positions or statics schema (what ``stswatch export`` writes).

A file with the positions columns loads as positions, one with the statics columns as
statics. Rows are read in record batches, so large files stream: a plain ``.parquet`` file
is read in place (one row group at a time), never whole; only a compressed one (``.gz``) is
decompressed into memory first, since Parquet needs random access.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from stswatch import schema
from stswatch.errors import InputError
from stswatch.ingest.base import POSITION_CANDIDATES, STATIC_CANDIDATES, Chunk, ReadOptions

BATCH_ROWS = 1_000_000


def _candidates(
    batch: pa.RecordBatch, target: pa.Schema, first_row: int, opts: ReadOptions
) -> pa.Table:
    n = batch.num_rows
    cols = {}
    for f in target:
        if f.name == "line_no":
            cols["line_no"] = pa.array(np.arange(first_row, first_row + n, dtype=np.int64))
        elif f.name == "raw":
            cols["raw"] = pa.nulls(n, pa.string())
        elif f.name == "batch_id":
            cols["batch_id"] = pa.repeat(pa.scalar(opts.batch_id, pa.string()), n)
        elif f.name in batch.schema.names:
            col = batch.column(f.name)
            if f.name == "ts" and pa.types.is_timestamp(col.type) and col.type.tz is None:
                col = pc.assume_timezone(col, "UTC")
            cols[f.name] = col.cast(f.type)
        else:
            cols[f.name] = pa.nulls(n, f.type)
    return pa.table(cols, schema=target)


def _open(stream: io.RawIOBase) -> pq.ParquetFile:
    seekable = getattr(stream, "seekable_file", None)
    source = seekable() if seekable is not None else None
    if source is not None:
        return pq.ParquetFile(source)
    return pq.ParquetFile(pa.BufferReader(stream.read() or b""))


def _batches(pf: pq.ParquetFile) -> Iterator[pa.RecordBatch]:
    # One reader per row group: a single reader over the whole file keeps growing (about
    # 25 MB per million rows here), one per row group stays flat.
    for group in range(pf.num_row_groups):
        yield from pf.iter_batches(batch_size=BATCH_ROWS, row_groups=[group])


def read(stream: io.RawIOBase, opts: ReadOptions) -> Iterator[Chunk]:
    try:
        pf = _open(stream)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{opts.file} is not a readable Parquet file ({exc}).") from exc
    names = set(pf.schema_arrow.names)
    if {"lon", "lat", "mmsi", "ts"} <= names:
        kind = "positions"
    elif {"mmsi", "ts", "name"} <= names:
        kind = "statics"
    else:
        raise InputError(
            f"{opts.file} has neither the positions nor the statics columns (found: "
            f"{', '.join(sorted(names))}). Hint: write it with 'stswatch export --format parquet'."
        )
    row = 1
    for batch in _batches(pf):
        if "source" not in batch.schema.names or opts.source != "parquet":
            batch = batch.drop_columns([c for c in ("source",) if c in batch.schema.names])
            batch = batch.append_column(
                "source", pa.repeat(pa.scalar(opts.source, pa.string()), batch.num_rows)
            )
        if kind == "positions":
            pos = _candidates(batch, POSITION_CANDIDATES, row, opts)
            sta = STATIC_CANDIDATES.empty_table()
        else:
            pos = POSITION_CANDIDATES.empty_table()
            sta = _candidates(batch, STATIC_CANDIDATES, row, opts)
        row += batch.num_rows
        yield Chunk(pos, sta, schema.REJECTS.empty_table(), batch.num_rows)
