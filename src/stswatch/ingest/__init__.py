"""Ingest: read inputs of any supported format into the store.

``ingest_paths`` expands paths, detects formats, runs the matching reader (one module per
format in this package, found through the ``stswatch.ingest`` entry-point group), applies
the clean stage and stores each input chunk by chunk, recording it last (``Store``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import entry_points

import pyarrow.compute as pc

from stswatch import __version__
from stswatch.clean import clean_positions, clean_statics
from stswatch.errors import CorruptInputError, InputError, StswatchError, UsageError
from stswatch.ingest.base import Chunk, Reader, ReadOptions
from stswatch.ingest.stream import Input, expand_inputs
from stswatch.store import Store

FORMATS = ("auto", "nmea", "dma", "marinecadastre", "csv", "jsonl", "parquet")


def reader_names() -> list[str]:
    """Formats with a reader registered under the ``stswatch.ingest`` entry-point group."""
    return sorted(ep.name for ep in entry_points(group="stswatch.ingest"))


def load_reader(name: str) -> Reader:
    for ep in entry_points(group="stswatch.ingest", name=name):
        reader: Reader = ep.load()
        return reader
    raise UsageError(
        f"No reader for format {name!r} is installed (have: {', '.join(reader_names())})."
    )


def sniff_format(inp: Input) -> str:
    """Guess the format of an input from its name and first bytes."""
    name = inp.inner_name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".json", ".jsonl", ".ndjson")):
        return "jsonl"
    with inp.open() as stream:
        head = stream.read(65536) or b""
    text = head.decode("latin-1")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if first.startswith("# Timestamp,Type of mobile") or first.startswith(
        "Timestamp,Type of mobile"
    ):
        return "dma"
    if first.startswith("MMSI,BaseDateTime") or (",BaseDateTime," in first and "MMSI" in first):
        return "marinecadastre"
    if "VDM," in text or "VDO," in text:
        return "nmea"
    if name.endswith((".csv", ".tsv", ".txt")) and "," in first:
        return "csv"
    raise InputError(
        f"Cannot tell the format of {inp.display}. Hint: pass --format "
        "nmea|dma|marinecadastre|csv|jsonl|parquet."
    )


def _sha256(inp: Input) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(inp.path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
            size += len(block)
    if inp.member:
        h.update(b"\0" + inp.member.encode())
    return h.hexdigest(), size


@dataclass
class FileResult:
    file: str
    format: str
    status: str  # complete, partial, skipped (already ingested), failed
    batch_id: str | None = None
    lines: int = 0
    positions_read: int = 0
    positions_added: int = 0
    statics_read: int = 0
    statics_added: int = 0
    rejects: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    error: str | None = None


Progress = Callable[[str, int, int, int], None]  # (file, bytes done, bytes total, rows so far)


def ingest_paths(
    store: Store,
    paths: list[str],
    *,
    fmt: str = "auto",
    source: str | None = None,
    assume_time: datetime | None = None,
    column_map: dict[str, str] | None = None,
    time_format: str | None = None,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Ingest every input under ``paths``; one failing input never stops the others."""
    if fmt not in FORMATS:
        raise UsageError(f"Unknown format {fmt!r}. Hint: use one of {', '.join(FORMATS)}.")
    results: list[FileResult] = []
    store.discard_unfinished()  # what an ingest killed earlier left behind
    for inp in expand_inputs(paths):
        try:
            results.append(
                ingest_one(
                    store,
                    inp,
                    fmt=fmt,
                    source=source,
                    assume_time=assume_time,
                    column_map=column_map or {},
                    time_format=time_format,
                    progress=progress,
                )
            )
        except StswatchError as exc:
            results.append(FileResult(inp.display, fmt, "failed", error=str(exc)))
    return results


def _store_chunk(store: Store, chunk: Chunk, opts: ReadOptions, res: FileResult) -> None:
    pos, pos_rej = clean_positions(chunk.positions, opts)
    sta, sta_rej = clean_statics(chunk.statics, opts)
    res.lines += chunk.lines
    res.positions_read += chunk.positions.num_rows
    res.statics_read += chunk.statics.num_rows
    for kind, n in chunk.skipped.items():
        res.skipped[kind] = res.skipped.get(kind, 0) + n
    res.positions_added += store.add_positions(pos, defer=True)
    res.statics_added += store.add_statics(sta, defer=True)
    for rej in (chunk.rejects, pos_rej, sta_rej):
        store.add_rejects(rej)
        for item in pc.value_counts(rej.column("reason")).to_pylist():
            reason, n = item["values"], item["counts"]
            res.rejects[reason] = res.rejects.get(reason, 0) + n


def ingest_one(
    store: Store,
    inp: Input,
    *,
    fmt: str,
    source: str | None,
    assume_time: datetime | None,
    column_map: dict[str, str],
    time_format: str | None,
    progress: Progress | None,
) -> FileResult:
    kind = sniff_format(inp) if fmt == "auto" else fmt
    read = load_reader(kind)
    digest, size = _sha256(inp)
    batch_id = digest[:16]
    done = store.ingested(batch_id)
    if done is not None:
        return FileResult(
            inp.display,
            kind,
            "skipped",
            batch_id,
            error=f"already ingested on {done['finished']:%Y-%m-%d %H:%M} UTC",
        )
    now = datetime.now(UTC)
    opts = ReadOptions(
        file=inp.display,
        source=source or kind,
        batch_id=batch_id,
        now=now,
        assume_time=assume_time,
        column_map=column_map,
        time_format=time_format,
    )
    res = FileResult(inp.display, kind, "complete", batch_id)
    stream = inp.open()
    try:
        # One transaction per chunk keeps memory flat however large the file; the file's
        # ingest record is written last, and rows of a batch without one are deleted
        # (here on error, by the next ingest after a kill): a re-run stores each row once.
        for chunk in read(stream, opts):
            with store.transaction():
                _store_chunk(store, chunk, opts, res)
            if progress:
                progress(inp.display, stream.raw_offset, size, res.lines)
        with store.transaction():
            # chunks that were set aside (an input in neither time nor vessel order)
            added = store.merge_staged()
            res.positions_added += added["positions"]
            res.statics_added += added["statics"]
            if stream.error is not None:
                res.status = "partial"
                res.error = str(
                    CorruptInputError(inp.display, stream.error_offset or 0, stream.error)
                )
            store.add_ingest(
                {
                    "batch_id": batch_id,
                    "file": inp.display,
                    "sha256": digest,
                    "size_bytes": size,
                    "format": kind,
                    "source": opts.source,
                    "started": now,
                    "finished": datetime.now(UTC),
                    "status": res.status,
                    "error": res.error,
                    "lines_read": res.lines,
                    "positions_read": res.positions_read,
                    "positions_added": res.positions_added,
                    "statics_read": res.statics_read,
                    "statics_added": res.statics_added,
                    "rejects": sum(res.rejects.values()),
                    "skipped": sum(res.skipped.values()),
                    "stswatch_version": __version__,
                }
            )
    except BaseException:
        store.discard_unfinished(batch_id)
        raise
    finally:
        stream.close()
    return res
