"""Tabular inputs (CSV, JSON lines) turned into candidate rows: the core the tabular readers share.

A tabular reader says, in a ``Layout``, which input column carries each canonical field
(``CANONICAL``). Lines arrive in line-aligned blocks; each block is split into string fields
with Polars and every field is cast with ``strict=False``, so a bad value is found per row.
Each good row gives a position candidate; a row that carries identity fields also gives a
static candidate, but only when its identity differs from the previous row of the same MMSI
in the block (sort + shift), it is the last row before such a change, or it is the MMSI's
first in a new hour (``STATIC_EVERY``),
which keeps the identity history, and how long each identity was broadcast, without a copy
per row (AIS itself repeats static reports every 6 minutes). A row
with an unparseable number (or the wrong number of fields) is rejected as ``malformed``, one
with an unparseable time as ``bad_time``; the reject carries its 1-based line number (header
= line 1) and the raw text, and the rest of the input goes on. Times may be ISO 8601 (naive
times are UTC), ``YYYYMMDD_HHMMSS``, ``dd/mm/yyyy HH:MM:SS`` (day first, as DMA writes it) or
epoch seconds (9 to 11 digits), unless the layout carries a strftime ``--time-format``
(generic CSV, and JSON keys given with ``--map``; DMA and MarineCadastre ignore it). Text values
of coded fields (navigational status, ship type) that a layout does not know become null,
never a reject.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import polars as pl
import pyarrow as pa

from stswatch import schema
from stswatch.errors import InputError, UsageError
from stswatch.ingest.base import POSITION_CANDIDATES, STATIC_CANDIDATES, Chunk, ReadOptions
from stswatch.ingest.stream import BLOCK_BYTES as _DEFAULT_BLOCK_BYTES
from stswatch.ingest.stream import iter_line_blocks

CANONICAL = (
    "mmsi", "ts", "lon", "lat", "sog", "cog", "heading", "nav_status", "msg_type", "station",
    "imo", "name", "callsign", "ship_type", "to_bow", "to_stern", "to_port", "to_starboard",
    "length_m", "width_m", "draught_m", "destination", "eta",
)  # fmt: skip
REQUIRED = ("mmsi", "ts", "lon", "lat")
# A static row is kept at least this often per MMSI (besides every change of identity).
STATIC_EVERY = "1h"
IDENTITY = (
    "imo", "name", "callsign", "ship_type", "to_bow", "to_stern", "to_port", "to_starboard",
    "length_m", "width_m", "draught_m", "destination", "eta",
)  # fmt: skip
INT_FIELDS: dict[str, pl.DataType] = {
    "mmsi": pl.Int64(), "heading": pl.Int16(), "nav_status": pl.Int8(), "msg_type": pl.Int8(),
    "imo": pl.Int64(), "ship_type": pl.Int16(), "to_bow": pl.Int16(), "to_stern": pl.Int16(),
    "to_port": pl.Int16(), "to_starboard": pl.Int16(),
}  # fmt: skip
FLOAT_FIELDS: dict[str, pl.DataType] = {
    "lon": pl.Float64(), "lat": pl.Float64(), "sog": pl.Float32(), "cog": pl.Float32(),
    "length_m": pl.Float32(), "width_m": pl.Float32(), "draught_m": pl.Float32(),
}  # fmt: skip
TEXT_FIELDS = ("station", "name", "callsign", "destination", "eta")
_WORDS = {"mmsi": "MMSI", "ts": "timestamp", "lon": "longitude", "lat": "latitude"}

# Values that mean "no value" in any column.
DEFAULT_NULLS = ("", "NA", "N/A", "NaN", "nan", "None", "none", "null", "NULL")

# ITU-R M.1371 navigational status, as text (lower case) -> code. DMA writes these texts.
NAV_STATUS_CODES: dict[str, int] = {
    "under way using engine": 0, "underway using engine": 0, "at anchor": 1,
    "not under command": 2, "restricted maneuverability": 3, "restricted manoeuvrability": 3,
    "constrained by her draught": 4, "moored": 5, "aground": 6, "engaged in fishing": 7,
    "under way sailing": 8, "underway sailing": 8, "reserved for future amendment [hsc]": 9,
    "reserved for future amendment [wig]": 10, "power-driven vessel towing astern": 11,
    "reserved for future use [11]": 11, "reserved for future use [12]": 12,
    "power-driven vessel pushing ahead or towing alongside": 12,
    "reserved for future use [13]": 13, "ais-sart": 14, "ais-sart is active": 14,
    "unknown value": 15, "unknown": 15, "undefined": 15, "not defined": 15,
}  # fmt: skip

# Column names that probably hold a required field; used only to suggest a --map in hints.
_GUESSES = {
    "mmsi": ("mmsi", "ssvid", "userid", "user_id"),
    "ts": ("ts", "timestamp", "# timestamp", "basedatetime", "time", "datetime", "date_time"),
    "lon": ("lon", "longitude", "long", "lng"),
    "lat": ("lat", "latitude"),
}

_ISO = (
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?))?"
    r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$"
)
_OTHER_TIME_FORMATS = ("%Y%m%d_%H%M%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y/%m/%d %H:%M:%S")
_EPOCH = r"^\d{9,11}(?:\.\d+)?$"
_QUOTED = r'"(?:[^"]|"")*"'
BLOCK_BYTES = _DEFAULT_BLOCK_BYTES  # bytes per block (a module value, so tests can shrink it)


@dataclass(frozen=True)
class Layout:
    """Where each canonical field is in a tabular input, and how its values are written."""

    columns: dict[str, str]  # canonical name -> column of the parsed frame
    labels: dict[str, str]  # canonical name -> column name as the input spells it
    null_tokens: tuple[str, ...] = DEFAULT_NULLS
    codes: dict[str, dict[str, int]] = field(
        default_factory=lambda: {"nav_status": NAV_STATUS_CODES}
    )  # canonical name -> {lower-case text: code}
    skip_column: str | None = None  # frame column whose values mark rows to skip
    skip_values: dict[str, str] = field(default_factory=dict)  # lower-case value -> skip kind
    time_format: str | None = None  # strftime format of the time column (None: the usual forms)


LayoutFactory = Callable[[list[str]], Layout]


# --- columns ------------------------------------------------------------------------------


def found_list(names: list[str], limit: int = 12) -> str:
    """Column names for an error message, shortened when there are many."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... ({len(names)} in all)"


def find_column(header: list[str], name: str) -> int | None:
    """Index of a column by exact name, else by case-insensitive name, else None."""
    if name in header:
        return header.index(name)
    lowered = [h.lower() for h in header]
    return lowered.index(name.lower()) if name.lower() in lowered else None


def check_map(column_map: dict[str, str]) -> None:
    unknown = sorted(set(column_map) - set(CANONICAL))
    if unknown:
        raise UsageError(
            f"--map names {', '.join(repr(u) for u in unknown)}, which stswatch does not know "
            f"(known: {', '.join(CANONICAL)}). Hint: write --map CANONICAL=COLUMN, "
            "e.g. --map ts=BaseDateTime."
        )


def resolve_columns(
    header: list[str],
    known: dict[str, tuple[str, ...]],
    opts: ReadOptions,
    *,
    hint: str,
    map_must_exist: bool = True,
) -> dict[str, int]:
    """Canonical name -> column index: ``known`` names first, ``opts.column_map`` over them.

    Raises InputError when a required field has no column, or a mapped column is absent
    and ``map_must_exist`` (formats with a layout of their own ignore such entries, so one
    ``--map`` can serve an ingest of several formats).
    """
    check_map(opts.column_map)
    found: dict[str, int] = {}
    for canon, names in known.items():
        for name in names:
            idx = find_column(header, name)
            if idx is not None:
                found[canon] = idx
                break
    for canon, name in opts.column_map.items():
        idx = find_column(header, name)
        if idx is None and not map_must_exist:
            continue
        if idx is None:
            raise InputError(
                f"--map {canon}={name}: {opts.file} has no column {name!r} "
                f"(found: {found_list(header)}). Hint: column names must match the header."
            )
        found[canon] = idx
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise InputError(missing_message(opts.file, missing, header, hint))
    return found


def missing_message(file: str, missing: list[str], header: list[str], hint: str) -> str:
    words = [_WORDS[m] for m in missing]
    what = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    plural = "column" if len(words) == 1 else "columns"
    return f"{file} has no {what} {plural} (found: {found_list(header)}). Hint: {hint}"


def suggest_map(header: list[str], missing: list[str]) -> str:
    """A ``--map`` suggestion for the missing required fields, from likely column names."""
    lowered = {h.lower(): h for h in header}
    pairs = []
    for canon in missing:
        guess = next((lowered[g] for g in _GUESSES[canon] if g in lowered), None)
        pairs.append(f"{canon}={guess or _WORDS[canon].upper()}")
    return "--map " + ",".join(pairs)


# --- times --------------------------------------------------------------------------------


def check_time_format(time_format: str) -> None:
    """Raise UsageError when a strftime format cannot read back a time it wrote."""
    sample = datetime(2001, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=1)))
    try:
        text = sample.strftime(time_format)
        parsed = pl.Series([text]).str.strptime(pl.Datetime("us"), time_format, strict=False)
        ok = parsed.null_count() == 0
    except (ValueError, pl.exceptions.PolarsError):
        ok = False
    if not ok or "%" not in time_format:
        raise UsageError(
            f"--time-format {time_format!r} cannot read times. Hint: give a strftime format "
            "with date and time, e.g. --time-format '%Y%m%d_%H%M%S'."
        )


def _to_utc(parsed: pl.Expr, aware: bool) -> pl.Expr:
    if aware:
        return parsed.dt.convert_time_zone("UTC")
    return parsed.dt.replace_time_zone("UTC")


def _iso_time(text: pl.Expr) -> pl.Expr:
    parts = text.str.extract_groups(_ISO)
    day, clock, zone = (parts.struct.field(k) for k in ("1", "2", "3"))
    clock = (
        pl.when(clock.is_null())
        .then(pl.lit("00:00:00"))
        .when(clock.str.len_chars() == 5)
        .then(clock + ":00")
        .otherwise(clock.str.replace(",", ".", literal=True))
    )
    base = pl.concat_str([day, pl.lit(" "), clock]).str.strptime(
        pl.Datetime("us"), "%Y-%m-%d %H:%M:%S%.f", strict=False
    )
    digits = zone.str.replace(":", "", literal=True)
    offset_min = (
        pl.when(zone.is_null() | zone.is_in(["Z", "z", "UTC"]))
        .then(pl.lit(0))
        .otherwise(
            pl.when(digits.str.starts_with("-")).then(pl.lit(-1)).otherwise(pl.lit(1))
            * (
                digits.str.slice(1, 2).cast(pl.Int32, strict=False) * 60
                + digits.str.slice(3, 2).cast(pl.Int32, strict=False).fill_null(0)
            )
        )
    )
    return base.dt.replace_time_zone("UTC") - pl.duration(minutes=offset_min)


def _iso_plain(text: pl.Expr) -> pl.Expr:
    """The common ``2022-01-03T00:00:00`` alone, on Polars' fast path."""
    return text.str.strptime(
        pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S", strict=False
    ).dt.replace_time_zone("UTC")


def _epoch_time(text: pl.Expr) -> pl.Expr:
    return pl.when(text.str.contains(_EPOCH)).then(
        (text.cast(pl.Float64, strict=False) * 1e6)
        .cast(pl.Int64)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
    )


def time_parsers(time_format: str | None = None) -> list[Callable[[pl.Expr], pl.Expr]]:
    """Text -> ``Datetime('us', 'UTC')`` parsers, tried in this order (null: not that form)."""
    if time_format:
        aware = any(d in time_format for d in ("%z", "%:z", "%#z"))
        fmt = time_format
        return [lambda t: _to_utc(t.str.strptime(pl.Datetime("us"), fmt, strict=False), aware)]
    others = [
        lambda t, f=fmt: _to_utc(t.str.strptime(pl.Datetime("us"), f, strict=False), False)
        for fmt in _OTHER_TIME_FORMATS
    ]
    return [_iso_plain, _iso_time, *others, _epoch_time]


def parse_times(text: pl.Series, time_format: str | None = None) -> pl.Series:
    """Parse times; each further form is tried only while unparsed values are left."""
    frame = text.to_frame("t")
    out = pl.Series("ts", [], dtype=pl.Datetime("us", "UTC")).extend_constant(None, len(text))
    present = text.is_not_null()
    for parser in time_parsers(time_format):
        if not (present & out.is_null()).any():
            break
        parsed = frame.select(parser(pl.col("t"))).to_series()
        out = out.zip_with(out.is_not_null(), parsed)
    return out.alias("ts")


# --- values -------------------------------------------------------------------------------


def _text(column: str, nulls: tuple[str, ...]) -> pl.Expr:
    value = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(value.is_in(list(nulls))).then(None).otherwise(value)


def _eta(value: pl.Expr) -> pl.Expr:
    """DMA ``dd/mm/yyyy HH:MM:SS`` and ISO times -> the broadcast form ``MM-DDTHH:MM``."""
    return value.str.replace(
        r"^(\d{2})/(\d{2})/\d{4} (\d{2}):(\d{2})(?::\d{2})?$", "${2}-${1}T${3}:${4}"
    ).str.replace(r"^\d{4}-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})\S*$", "${1}-${2}T${3}:${4}")


def _typed(canon: str, text: pl.Expr, layout: Layout) -> pl.Expr:
    """Clean text -> the typed value of one (non-time) field; null where unreadable."""
    if canon in TEXT_FIELDS:
        return _eta(text) if canon == "eta" else text
    if canon in FLOAT_FIELDS:
        return text.cast(FLOAT_FIELDS[canon], strict=False)
    dtype = INT_FIELDS[canon]
    number = text.cast(pl.Float64, strict=False)
    typed = pl.when(number == number.floor()).then(number).cast(dtype, strict=False)
    if canon in layout.codes:
        coded = text.str.to_lowercase().replace_strict(
            layout.codes[canon], default=None, return_dtype=dtype
        )
        return pl.coalesce([typed, coded])
    return typed


def _failed(canon: str, text: pl.Expr, layout: Layout) -> pl.Expr:
    """True where a present number or time could not be read (coded: numeric-looking only)."""
    failed = text.is_not_null() & pl.col(canon).is_null()
    if canon in layout.codes:
        return failed & text.str.contains(r"^[+-]?[0-9.eE+-]+$")
    return failed


def _available(canon: str) -> pl.Expr:
    """True where an identity field holds a value (not null, not an AIS 'not available' 0)."""
    col = pl.col(canon)
    if canon in TEXT_FIELDS:
        return col.is_not_null() & (col.str.strip_chars("@ ") != "")
    return col.is_not_null() & (col > 0)


def rejects_frame(df: pl.DataFrame, opts: ReadOptions) -> pa.Table:
    """``line_no, raw, reason, detail`` rows -> a ``schema.REJECTS`` table."""
    out = df.select(
        pl.lit(opts.batch_id).alias("batch_id"),
        pl.lit(opts.file).alias("file"),
        pl.col("line_no").cast(pl.Int64),
        pl.col("reason"),
        pl.col("detail"),
        pl.col("raw").fill_null(""),
    )
    return to_arrow(out, schema.REJECTS)


def to_arrow(df: pl.DataFrame, target: pa.Schema) -> pa.Table:
    """A Polars frame as an Arrow table of ``target`` (absent columns are nulls).

    Required fields may still hold nulls here; the clean stage rejects those rows.
    """
    table = df.to_arrow()
    cols = [
        table.column(f.name).cast(f.type)
        if f.name in table.column_names
        else pa.nulls(table.num_rows, f.type)
        for f in target
    ]
    return pa.table(cols, schema=target)


def _dtype(canon: str) -> pl.DataType:
    if canon == "ts":
        return pl.Datetime("us", "UTC")
    return INT_FIELDS.get(canon) or FLOAT_FIELDS.get(canon) or pl.String()


def to_candidates(
    frame: pl.DataFrame, layout: Layout, opts: ReadOptions
) -> tuple[pa.Table, pa.Table, pa.Table, dict[str, int]]:
    """String fields (with ``line_no``, ``raw``) -> (positions, statics, rejects, skipped)."""
    mapped = [c for c in CANONICAL if c in layout.columns]
    texts = []
    for canon in mapped:
        text = _text(layout.columns[canon], layout.null_tokens)
        if canon == "imo":
            text = text.str.replace(r"^(?i)imo\s*", "")
            text = pl.when(text == "").then(None).otherwise(text)
        texts.append(text.alias(f"_s_{canon}"))
    if layout.skip_column is not None:
        texts.append(
            pl.col(layout.skip_column)
            .str.strip_chars()
            .str.to_lowercase()
            .replace_strict(layout.skip_values, default=None, return_dtype=pl.String)
            .alias("_skip")
        )
    df = frame.select(pl.col("line_no"), pl.col("raw"), *texts)
    df = df.with_columns(
        [
            _typed(c, pl.col(f"_s_{c}"), layout).alias(c)
            if c in layout.columns and c != "ts"
            else pl.lit(None, _dtype(c)).alias(c)
            for c in CANONICAL
            if c != "ts"
        ]
        + [
            parse_times(df["_s_ts"], layout.time_format)
            if "ts" in layout.columns
            else pl.lit(None, _dtype("ts")).alias("ts")
        ]
    )
    flags = {c: _failed(c, pl.col(f"_s_{c}"), layout) for c in mapped if c not in TEXT_FIELDS}
    details = [
        pl.when(flag).then(
            pl.concat_str(
                [
                    pl.lit(f"{layout.labels[c]}='"),
                    pl.col(f"_s_{c}"),
                    pl.lit("' is not a time" if c == "ts" else "' is not a number"),
                ]
            )
        )
        for c, flag in flags.items()
    ]
    number_flags = [flag for c, flag in flags.items() if c != "ts"]
    reason = (
        pl.when(pl.any_horizontal(number_flags) if number_flags else pl.lit(False))
        .then(pl.lit("malformed"))
        .when(flags.get("ts", pl.lit(False)))
        .then(pl.lit("bad_time"))
    )
    df = df.with_columns(
        reason.alias("reason"),
        (pl.coalesce(details) if details else pl.lit(None, pl.String)).alias("detail"),
    )
    rejects = rejects_frame(df.filter(pl.col("reason").is_not_null()), opts)
    good = df.filter(pl.col("reason").is_null())
    skipped: dict[str, int] = {}
    if layout.skip_column is not None:
        counts = good.filter(pl.col("_skip").is_not_null()).group_by("_skip").len()
        skipped = dict(zip(counts["_skip"].to_list(), counts["len"].to_list(), strict=True))
        good = good.filter(pl.col("_skip").is_null())
    good = good.with_columns(
        pl.any_horizontal([_available(c) for c in IDENTITY]).alias("_identity"),
        (pl.col("lat").is_null() & pl.col("lon").is_null()).alias("_no_position"),
        pl.lit(opts.source).alias("source"),
        pl.lit(opts.batch_id).alias("batch_id"),
    )
    positions = good.filter(~(pl.col("_no_position") & pl.col("_identity")))
    bucket = pl.col("ts").dt.truncate(STATIC_EVERY)

    def same_mmsi(step: int) -> pl.Expr:
        return (pl.col("mmsi") == pl.col("mmsi").shift(step)).fill_null(False)

    def identity_differs(step: int) -> pl.Expr:
        return pl.any_horizontal([pl.col(c).ne_missing(pl.col(c).shift(step)) for c in IDENTITY])

    # the first row of an MMSI or of a new identity, the last row of an identity that changes
    # (so a change is timed by both sides), and the first row of each hour
    changed = (
        ~same_mmsi(1)
        | identity_differs(1)
        | (same_mmsi(-1) & identity_differs(-1))
        | bucket.ne_missing(bucket.shift(1))
    )
    statics = (
        good.filter(pl.col("_identity"))
        .sort(["mmsi", "ts", "line_no"], nulls_last=True)
        .filter(changed | pl.col("_no_position"))
    )
    return (
        to_arrow(positions, POSITION_CANDIDATES),
        to_arrow(statics, STATIC_CANDIDATES),
        rejects,
        skipped,
    )


# --- lines and fields -----------------------------------------------------------------------


def decode(block: bytes) -> str:
    """UTF-8, or Latin-1 for a block that is not valid UTF-8 (never fails)."""
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError:
        return block.decode("latin-1")


def split_lines(block: bytes, first_line_no: int) -> pl.DataFrame:
    """A block of text -> one row per line: ``line_no`` (1-based) and ``raw`` (no newline)."""
    text = decode(block)
    parts = pl.Series("raw", [text]).str.split("\n").explode(empty_as_null=False)
    if text.endswith("\n"):
        parts = parts.slice(0, len(parts) - 1)
    return pl.DataFrame({"raw": parts.str.strip_suffix("\r")}).select(
        pl.int_range(first_line_no, first_line_no + pl.len(), dtype=pl.Int64).alias("line_no"),
        pl.col("raw"),
    )


def _csv_module_fields(lines: pl.DataFrame, n: int, delimiter: str) -> pl.DataFrame:
    """Fields of awkwardly quoted lines, one line at a time (a rare path: stray quotes)."""
    rows = [next(csv.reader([line], delimiter=delimiter), []) for line in lines["raw"].to_list()]
    counts = pl.Series("_n", [len(r) for r in rows], dtype=pl.Int64)
    padded = [(r + [""] * n)[:n] for r in rows]
    fields = pl.DataFrame(padded, schema=[f"c{i}" for i in range(n)], orient="row")
    return lines.select("line_no", "raw").hstack([counts, *fields.get_columns()])


def split_fields(
    lines: pl.DataFrame, n: int, delimiter: str, header_raw: str
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Lines -> (fields ``c0..c{n-1}`` with line_no/raw, rejects, repeated header lines).

    Lines without quotes are split with ``str.split_exact``; quoted ones with Polars' CSV
    parser; lines whose quotes are not whole fields with Python's csv module.
    """
    names = [f"c{i}" for i in range(n)]
    raw = pl.col("raw")
    quoted = raw.str.contains('"', literal=True)
    bare = pl.when(quoted).then(raw.str.replace_all(_QUOTED, "")).otherwise(raw)
    df = lines.with_columns(
        quoted.alias("_q"),
        bare.str.contains('"', literal=True).alias("_odd"),
        (bare.str.count_matches(delimiter, literal=True) + 1).cast(pl.Int64).alias("_n"),
    )
    repeated = df.filter(raw == header_raw).height
    df = df.filter(raw != header_raw)
    plain = df.filter(~pl.col("_q") & (pl.col("_n") == n))
    parts = [
        plain.select(
            "line_no",
            "raw",
            raw.str.split_exact(delimiter, n - 1).struct.rename_fields(names).alias("_fields"),
        ).unnest("_fields")
    ]
    whole = df.filter(pl.col("_q") & ~pl.col("_odd") & (pl.col("_n") == n))
    odd = df.filter(pl.col("_odd"))
    if whole.height:
        try:
            parsed = pl.read_csv(
                io.BytesIO((whole["raw"].str.join("\n")[0] + "\n").encode()),
                has_header=False,
                new_columns=names,
                infer_schema=False,
                separator=delimiter,
                quote_char='"',
            )
            if parsed.height != whole.height or parsed.width != n:
                raise ValueError("row count differs")
            parts.append(whole.select("line_no", "raw").hstack(parsed.get_columns()))
        except (pl.exceptions.PolarsError, ValueError):
            odd = pl.concat([odd, whole]).sort("line_no")
    wrong = df.filter(~pl.col("_odd") & (pl.col("_n") != n))
    if odd.height:
        odd_fields = _csv_module_fields(odd, n, delimiter)
        wrong = pl.concat(
            [wrong.select("line_no", "raw", "_n"), odd_fields.filter(pl.col("_n") != n)],
            how="diagonal",
        )
        parts.append(odd_fields.filter(pl.col("_n") == n).drop("_n"))
    fields = pl.concat(
        [p.with_columns(pl.col(c).cast(pl.String) for c in names) for p in parts],
        how="vertical",
    ).sort("line_no")
    rejects = wrong.select(
        "line_no",
        "raw",
        pl.lit("malformed").alias("reason"),
        pl.when(pl.col("raw").str.strip_chars() == "")
        .then(pl.lit("empty line"))
        .otherwise(pl.format("{} fields, expected {}", pl.col("_n"), pl.lit(n)))
        .alias("detail"),
    )
    return fields, rejects, repeated


def sniff_delimiter(header_raw: str) -> str:
    """The separator the header uses most: comma, semicolon, tab or pipe."""
    bare = header_raw.replace('""', "")
    counts = {d: bare.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_header(header_raw: str, delimiter: str) -> list[str]:
    row = next(csv.reader([header_raw.lstrip("\ufeff")], delimiter=delimiter), [])
    return [name.strip() for name in row]


def line_blocks(stream: io.RawIOBase) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """(lines, cut) per block; ``cut`` holds a last line that a broken input ended inside.

    When a compressed input breaks, the text stops mid-line; that line is rejected as
    ``malformed`` rather than read with a value cut short.
    """
    for first_line_no, block in iter_line_blocks(stream, BLOCK_BYTES):
        lines = split_lines(block, first_line_no)
        cut = lines.clear()
        if not block.endswith(b"\n") and getattr(stream, "error", None) is not None:
            cut, lines = lines.tail(1), lines.head(lines.height - 1)
        yield (
            lines,
            cut.with_columns(
                reason=pl.lit("malformed"), detail=pl.lit("line cut off where the input breaks")
            ),
        )


def read_delimited(
    stream: io.RawIOBase, opts: ReadOptions, make_layout: LayoutFactory
) -> Iterator[Chunk]:
    """Read a delimited text input with a header line, block by block."""
    header: list[str] | None = None
    header_raw = ""
    delimiter = ","
    layout: Layout | None = None
    for lines, cut in line_blocks(stream):
        if header is None:
            if lines.height == 0:
                continue
            header_raw = lines["raw"][0]
            delimiter = sniff_delimiter(header_raw)
            header = parse_header(header_raw, delimiter)
            layout = make_layout(header)
            lines = lines.slice(1)
        assert layout is not None  # set together with header
        fields, bad, repeated = split_fields(lines, len(header), delimiter, header_raw)
        positions, statics, rejects, skipped = to_candidates(fields, layout, opts)
        if repeated:
            skipped["repeated_header"] = skipped.get("repeated_header", 0) + repeated
        yield Chunk(
            positions,
            statics,
            pa.concat_tables([rejects_frame(bad, opts), rejects_frame(cut, opts), rejects]),
            lines.height + cut.height,
            skipped,
        )
    if header is None and getattr(stream, "error", None) is None:
        # (an input that broke before its first line is reported by the caller as partial)
        raise InputError(f"{opts.file} is empty. Hint: check that the file was fully written.")


def layout_for(
    header: list[str],
    known: dict[str, tuple[str, ...]],
    opts: ReadOptions,
    *,
    hint: str,
    null_tokens: tuple[str, ...] = DEFAULT_NULLS,
    codes: dict[str, dict[str, int]] | None = None,
    skip: tuple[str, dict[str, str]] | None = None,
    map_must_exist: bool = False,
    use_time_format: bool = False,
) -> Layout:
    """The ``Layout`` of a delimited input from its header (columns become ``c0..cN``).

    Formats with a time form of their own leave ``use_time_format`` off, so that one
    ``--time-format`` given for a generic CSV does not break them in the same ingest.
    """
    time_format = opts.time_format if use_time_format else None
    if time_format:
        check_time_format(time_format)
    index = resolve_columns(header, known, opts, hint=hint, map_must_exist=map_must_exist)
    skip_column = None
    skip_values: dict[str, str] = {}
    if skip is not None:
        idx = find_column(header, skip[0])
        if idx is not None:
            skip_column, skip_values = f"c{idx}", skip[1]
    return Layout(
        columns={canon: f"c{i}" for canon, i in index.items()},
        labels={canon: header[i] for canon, i in index.items()},
        null_tokens=null_tokens,
        codes=codes if codes is not None else {"nav_status": NAV_STATUS_CODES},
        skip_column=skip_column,
        skip_values=skip_values,
        time_format=time_format,
    )
