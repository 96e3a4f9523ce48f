"""JSON lines: one JSON object per line, each a position report (and maybe identity fields).

Global Fishing Watch ``gpsdio`` records ``{"ssvid", "lat", "lon", "timestamp", "speed",
"course"}`` map automatically (ssvid -> mmsi, timestamp -> ts, speed -> sog, course -> cog);
keys named like stswatch's fields (``mmsi``, ``ts``, ``lon``, ...) map themselves, and any
other key through ``--map``. Keys that are not mapped (``segment``, ``implied_speed``, ...)
are ignored, and so are ``--map`` entries for keys the input lacks (one ``--map`` may serve
several inputs); ``--time-format`` applies only to a time key given with ``--map ts=KEY``.
The keys are learnt from the first lines of the input. A line that is not a
JSON object, or an empty line, is rejected as ``malformed`` with its line number.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import polars as pl
import pyarrow as pa

from stswatch.errors import InputError
from stswatch.ingest.base import POSITION_CANDIDATES, STATIC_CANDIDATES, Chunk, ReadOptions
from stswatch.ingest.tabular import (
    CANONICAL,
    Layout,
    check_time_format,
    find_column,
    found_list,
    line_blocks,
    rejects_frame,
    resolve_columns,
    to_candidates,
)

KNOWN: dict[str, tuple[str, ...]] = {canon: (canon,) for canon in CANONICAL} | {
    "mmsi": ("mmsi", "ssvid"),
    "ts": ("ts", "timestamp"),
    "sog": ("sog", "speed"),
    "cog": ("cog", "course"),
}
SAMPLE_LINES = 1000  # lines read to learn the keys


def _keys(raws: list[str]) -> list[str]:
    """Keys of the JSON objects among ``raws``, in order of first appearance."""
    seen: dict[str, None] = {}
    for raw in raws:
        try:
            obj = json.loads(raw)
        except ValueError:
            continue
        if isinstance(obj, dict):
            seen.update(dict.fromkeys(obj))
    return list(seen)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def _fields(rows: pl.DataFrame, keys: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Non-empty lines -> (string fields ``c0..`` with line_no/raw, malformed rejects)."""
    names = [f"c{i}" for i in range(len(keys))]
    none = pl.DataFrame(schema={"line_no": pl.Int64, "raw": pl.String})
    try:
        data = (rows["raw"].str.join("\n")[0] + "\n").encode() if rows.height else b""
        parsed = pl.read_ndjson(io.BytesIO(data), schema=dict.fromkeys(keys, pl.String))
        if parsed.height != rows.height:
            raise ValueError("row count differs")
        fields = rows.hstack(parsed.rename(dict(zip(keys, names, strict=True))).get_columns())
        return fields, none.with_columns(reason=pl.lit(None, pl.String), detail=pl.lit(None))
    except (pl.exceptions.PolarsError, ValueError):
        pass
    # Slow path, only for blocks holding a bad line: look at each line.
    objs: list[dict[str, Any] | None] = []
    errors: list[str | None] = []
    for raw in rows["raw"].to_list():
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            objs.append(None)
            errors.append(f"not valid JSON: {exc}")
            continue
        ok = isinstance(obj, dict)
        objs.append(obj if ok else None)
        errors.append(None if ok else f"not a JSON object but {type(obj).__name__}")
    good = [o for o in objs if o is not None]
    columns = {n: [_text(o.get(k)) for o in good] for n, k in zip(names, keys, strict=True)}
    mask = pl.Series([o is not None for o in objs])
    strings = pl.DataFrame(columns, schema=dict.fromkeys(names, pl.String))
    fields = rows.filter(mask).hstack(strings.get_columns())
    bad = rows.filter(~mask).with_columns(
        reason=pl.lit("malformed"),
        detail=pl.Series([e for e in errors if e is not None], dtype=pl.String),
    )
    return fields, bad


def _layout(raws: list[str], opts: ReadOptions) -> tuple[Layout, list[str]]:
    """The layout learnt from the keys of the first lines, and the keys to read."""
    found = _keys(raws[:SAMPLE_LINES])
    if not found:
        raise InputError(
            f"{opts.file} has no JSON object in its first {SAMPLE_LINES:,} lines. "
            "Hint: check the format, or pass --format for another reader."
        )
    # --time-format belongs to a time key named by --map, not to the GFW "timestamp"
    mapped_ts = "ts" in opts.column_map and find_column(found, opts.column_map["ts"]) is not None
    time_format = opts.time_format if mapped_ts else None
    if time_format:
        check_time_format(time_format)
    index = resolve_columns(
        found,
        KNOWN,
        opts,
        hint=f"pass --map mmsi=KEY,ts=KEY,lon=KEY,lat=KEY (keys: {found_list(found)}).",
        map_must_exist=False,
    )
    keys = list(dict.fromkeys(found[i] for i in index.values()))
    layout = Layout(
        columns={canon: f"c{keys.index(found[i])}" for canon, i in index.items()},
        labels={canon: found[i] for canon, i in index.items()},
        time_format=time_format,
    )
    return layout, keys


def read(stream: io.RawIOBase, opts: ReadOptions) -> Iterator[Chunk]:
    layout: Layout | None = None
    keys: list[str] = []
    for lines, cut in line_blocks(stream):
        if layout is None and lines.height:
            layout, keys = _layout(lines["raw"].head(SAMPLE_LINES).to_list(), opts)
        if layout is None:  # the input broke inside its first line
            yield Chunk(
                POSITION_CANDIDATES.empty_table(),
                STATIC_CANDIDATES.empty_table(),
                rejects_frame(cut, opts),
                cut.height,
            )
            continue
        blank = pl.col("raw").str.strip_chars() == ""
        empty = lines.filter(blank).with_columns(
            reason=pl.lit("malformed"), detail=pl.lit("empty line")
        )
        fields, bad = _fields(lines.filter(~blank), keys)
        positions, statics, rejects, skipped = to_candidates(fields, layout, opts)
        yield Chunk(
            positions,
            statics,
            pa.concat_tables([rejects_frame(t, opts) for t in (empty, bad, cut)] + [rejects]),
            lines.height + cut.height,
            skipped,
        )
