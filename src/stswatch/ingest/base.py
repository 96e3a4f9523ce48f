"""The contract every input reader follows.

A reader is a function ``read(stream, options) -> Iterator[Chunk]``. It turns line-aligned
blocks of one input into candidate rows and rejects. Candidates carry ``line_no`` and ``raw``
so the clean stage can quarantine them with their reason; readers never drop a line silently.
Readers are registered under the ``stswatch.ingest`` entry-point group.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

from stswatch import schema

# Candidate tables: the stored schema plus where the row came from.
_ORIGIN = [pa.field("line_no", pa.int64(), nullable=False), pa.field("raw", pa.string())]
POSITION_CANDIDATES = pa.schema(list(schema.POSITIONS) + _ORIGIN)
STATIC_CANDIDATES = pa.schema(list(schema.STATICS) + _ORIGIN)


@dataclass(frozen=True)
class ReadOptions:
    """What a reader needs to know beyond the bytes."""

    file: str  # display name of the input (used in rejects)
    source: str  # --source
    batch_id: str
    now: datetime  # ingest wall-clock time, UTC (only for the future-time check)
    assume_time: datetime | None = None  # --assume-time for inputs without times
    column_map: dict[str, str] = field(default_factory=dict)  # canonical name -> input column
    time_format: str | None = None  # strftime format for CSV time columns, when not ISO 8601


@dataclass
class Chunk:
    """Output of a reader for one block of input."""

    positions: pa.Table  # POSITION_CANDIDATES
    statics: pa.Table  # STATIC_CANDIDATES
    rejects: pa.Table  # schema.REJECTS
    lines: int  # input lines (or CSV rows) consumed by this chunk
    # Well-formed messages deliberately not stored (not rejects), by kind, e.g.
    # {"type_8": 12, "type_4": 40}: counted in the ingest record, never quarantined.
    skipped: dict[str, int] = field(default_factory=dict)


Reader = Callable[[io.RawIOBase, ReadOptions], Iterator[Chunk]]


def rejects_table(
    opts: ReadOptions,
    line_nos: list[int],
    reasons: list[str],
    details: list[str | None],
    raws: list[str],
) -> pa.Table:
    """Build a rejects table for one input from parallel lists."""
    n = len(line_nos)
    return pa.table(
        {
            "batch_id": pa.array([opts.batch_id] * n, pa.string()),
            "file": pa.array([opts.file] * n, pa.string()),
            "line_no": pa.array(line_nos, pa.int64()),
            "reason": pa.array(reasons, pa.string()),
            "detail": pa.array(details, pa.string()),
            "raw": pa.array(raws, pa.string()),
        },
        schema=schema.REJECTS,
    )
