"""Windowed detection: the in-memory kernel run window by window with bounded memory.

The time range is cut into windows of ``window_h`` hours (aligned on UTC midnight). Each
window reads its positions plus ``overlap_h`` hours either side, and for every MMSI also
its last report before and its first report after that span, so each vessel's reports form
an unbroken stretch of its whole history: a silence across the edge is seen as a silence,
never as the end of the data. The kernel (``runner.run_detectors``) runs on that, and the
window keeps the events whose ``start`` lies in it: each event is found by exactly one
window.

An event kept by a window must be whole and carry the same evidence as a run over all data:
its vessels' reports must reach ``context_h`` hours before its start and after its end (the
longest time any setting refers to: segment closure, dark windows around an encounter,
merge gaps). When they do not (a long port call, a meeting across midnight), the kernel runs
again for the vessels involved only (and their partners), on a span widened to cover that
context, and their events are replaced. Detectors look at one vessel, or one pair of
vessels, at a time, so running on fewer vessels does not change an event.

``tests/test_windows.py`` checks that windowed and in-memory runs give the same events.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from stswatch.config import Config
from stswatch.detect.base import empty_events
from stswatch.store import Store

# What the detectors read of a position (not its source, station or batch: less memory).
COLUMNS = "mmsi, ts, lon, lat, sog, cog, heading, nav_status, msg_type"

Span = tuple[datetime, datetime]
# read(lo, hi, mmsis, around): positions in [lo, hi] (of ``mmsis`` only, if given) and of
# every vessel within the ``around`` spans, each vessel with its reports either side.
Reader = Callable[[datetime, datetime, list[int] | None, list[Span]], pl.DataFrame]
# kernel(positions) -> (events, MMSIs whose reports fell into more than one track segment)
Kernel = Callable[[pl.DataFrame], tuple[pl.DataFrame, set[int]]]


@dataclass(frozen=True)
class Params:
    """How detection is cut into time windows (the ``[partition]`` section)."""

    window_h: float = field(
        default=24.0,
        metadata={"help": "Window length, hours (day by day); 0 runs everything in memory"},
    )
    # Covers the 4 h merge gaps of encounters and port calls, with room to spare.
    overlap_h: float = field(
        default=6.0, metadata={"help": "Positions read either side of a window, hours"}
    )
    context_h: float = field(
        default=0.0,
        metadata={"help": "Context an event needs either side, hours (0: longest *_h setting)"},
    )


# Peak resident memory per position held by the detection kernel, with a margin: measured
# 3.1 GB for a 9.8M-position pass (bench/endtoend.py), including the reference geography.
BYTES_PER_POSITION = 400


# The settings that say how far before an event's start or after its end a detector looks
# at its vessels' reports (merge gaps, dark windows, silences inside a stay). A detector not
# listed here (a plug-in) gets its longest hour setting.
CONTEXT_SETTINGS = {
    "encounter": ("dark_window_h", "max_merge_gap_h", "max_interpolation_gap_h"),
    "loitering": ("max_report_gap_h",),
    "gap": ("near_max_dt_h",),
    "spoofing": (),
    "identity_change": (),
    "port_visit": ("min_port_gap_h",),
}
# Detectors whose evidence names any vessel within this setting's hours of the event's start
# and end (the nearest vessel to each end of a gap); their re-runs read every vessel there.
NEIGHBOUR_SETTINGS = {"gap": "near_max_dt_h"}


def context_hours(config: Config) -> dict[str, float]:
    """Per event type, how many hours of its vessels' reports an event needs either side to
    be whole: at least the overlap; ``context_h`` in ``[partition]`` overrides all."""
    part = config.params("partition")
    out: dict[str, float] = {}
    for name, params in config.detectors.items():
        if name in ("partition", "score", "tracks"):
            continue
        names = CONTEXT_SETTINGS.get(name)
        if names is None:
            names = tuple(f.name for f in fields(params) if f.name.endswith("_h"))
        hours = [float(getattr(params, n)) for n in names]
        out[name] = float(part.context_h) if part.context_h > 0 else max([part.overlap_h, *hours])
    return out


def neighbour_hours(config: Config) -> dict[str, float]:
    return {
        name: float(getattr(config.params(name), setting))
        for name, setting in NEIGHBOUR_SETTINGS.items()
        if name in config.detectors
    }


def window_hours_for(memory_bytes: int, positions: int, span_h: float, overlap_h: float) -> float:
    """The longest window (whole hours, at most a day) whose positions, with the overlap,
    fit ``memory_bytes``; 0 when everything fits at once."""
    if positions * BYTES_PER_POSITION <= memory_bytes:
        return 0.0
    per_hour = positions / max(span_h, 1.0)
    fit_h = memory_bytes / BYTES_PER_POSITION / per_hour - 2 * overlap_h
    return float(min(24, max(1, math.floor(fit_h))))


def windows(
    first: datetime, last: datetime, window_h: float
) -> Iterator[tuple[datetime, datetime]]:
    """Half-open windows [start, end) covering first..last, aligned on UTC midnight."""
    step = timedelta(hours=window_h)
    day = datetime(first.year, first.month, first.day, tzinfo=first.tzinfo or UTC)
    start = day + step * ((first - day) // step)
    while start <= last:
        yield start, start + step
        start += step


def _owned(events: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    return events.filter((pl.col("start") >= start) & (pl.col("start") < end))


def _vessels(events: pl.DataFrame) -> set[int]:
    ids = set(events["mmsi"].to_list())
    ids.update(x for x in events["other_mmsi"].to_list() if x is not None)
    return ids


def _within(events: pl.DataFrame, vessels: set[int]) -> pl.Expr:
    """Events whose vessels are all in ``vessels``."""
    ids = list(vessels)
    return pl.col("mmsi").is_in(ids) & (
        pl.col("other_mmsi").is_null() | pl.col("other_mmsi").is_in(ids)
    )


def window_events(
    read: Reader,
    kernel: Kernel,
    start: datetime,
    end: datetime,
    *,
    overlap: timedelta,
    context: dict[str, float],
    neighbours: dict[str, float] | None = None,
    segment_h: float = 0.0,
    first: datetime,
    last: datetime,
) -> tuple[pl.DataFrame, int]:
    """Events starting in [start, end), whole; and the number of positions read."""
    lo, hi = start - overlap, end + overlap
    positions = read(lo, hi, None, [])
    n_read = positions.height
    events, split = kernel(positions)
    del positions
    owned = _owned(events, start, end)
    default_h = max(context.values(), default=overlap.total_seconds() / 3600)
    # Segments stay open for ``segment_h``: a vessel split into several segments (a jump, a
    # shared MMSI) is segmented again with that much more of its history either side.
    history = timedelta(hours=segment_h)
    if split and segment_h > 0:
        more = read(lo - history, hi + history, sorted(split), [])
        n_read += more.height
        redone = _owned(kernel(more)[0], start, end)
        redone = redone.filter(_within(redone, split))
        owned = pl.concat([owned.filter(~_within(owned, split)), redone], how="vertical")
    while owned.height:
        need = pl.duration(
            microseconds=(
                pl.col("type").replace_strict(context, default=default_h, return_dtype=pl.Float64)
                * 3_600_000_000
            ).cast(pl.Int64)
        )
        spans = owned.select(
            (pl.col("start") - need).alias("from"), (pl.col("end") + need).alias("to")
        )
        short_mask = ((spans["from"] < lo) & (lo > first)) | ((spans["to"] > hi) & (hi < last))
        if not short_mask.any():
            break
        short, reach = owned.filter(short_mask), spans.filter(short_mask)
        vessels = _vessels(short)
        earliest: datetime = reach["from"].min()  # type: ignore[assignment]
        latest: datetime = reach["to"].max()  # type: ignore[assignment]
        # Widen the end at least twice as far each time: events still growing converge fast.
        lo, hi = min(lo, earliest), max(latest, hi + (hi - end))
        pad = history if vessels & split else timedelta(0)
        more = read(lo - pad, hi + pad, sorted(vessels), _around(short, neighbours or {}))
        n_read += more.height
        redone = _owned(kernel(more)[0], start, end)
        # Vessels read only around the ends (neighbours) keep their first-pass events.
        redone = redone.filter(_within(redone, vessels))
        owned = pl.concat([owned.filter(~_within(owned, vessels)), redone], how="vertical")
    return owned, n_read


def _around(events: pl.DataFrame, neighbours: dict[str, float]) -> list[Span]:
    """Spans around the start and end of the events whose evidence looks at any vessel."""
    spans: list[Span] = []
    for kind, hours in neighbours.items():
        h = timedelta(hours=hours)
        for t0, t1 in events.filter(pl.col("type") == kind).select("start", "end").rows():
            spans += [(t0 - h, t0 + h), (t1 - h, t1 + h)]
    return spans


# Reports either side of a span are first looked for this close to it, where DuckDB reads
# only the row groups of that time; vessels silent longer are looked up in the whole table.
NEAR = timedelta(days=1)


def _merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def duckdb_reader(store: Store, where: str, params: list[Any]) -> Reader:
    """Positions matching ``where`` in [lo, hi] (only ``mmsis`` if given) and in the
    ``around`` spans (every vessel), plus per MMSI its last report before and first after
    those, sorted by (mmsi, ts). Each query has constant time bounds, so DuckDB skips the
    row groups outside them."""

    def frame(sql: str, args: list[Any]) -> pl.DataFrame:
        df = pl.from_arrow(store.query(sql, args))
        assert isinstance(df, pl.DataFrame)
        return df

    def rows(only: str = "") -> str:
        return f"SELECT {COLUMNS} FROM positions WHERE {where} AND ts >= ? AND ts <= ? {only}"

    def read(
        lo: datetime, hi: datetime, mmsis: list[int] | None, around: list[Span]
    ) -> pl.DataFrame:
        ids = "mmsi IN (SELECT unnest(?::BIGINT[]))"
        if mmsis is None:
            parts = [frame(rows(), [*params, lo, hi])]
        else:
            parts = [frame(rows(f"AND {ids}"), [*params, lo, hi, mmsis])]
        for a, b in _merge(around):  # neighbours: every other vessel there
            parts.append(frame(rows(f"AND NOT {ids}"), [*params, a, b, mmsis or []]))
        inside = pl.concat(parts, how="vertical")
        lims = inside.group_by("mmsi").agg(
            pl.col("ts").min().alias("t0"), pl.col("ts").max().alias("t1")
        )
        edges = [inside]
        for side, agg, cmp, bound in (("t0", "max", "<", lo - NEAR), ("t1", "min", ">", hi + NEAR)):
            near_cmp = ">=" if cmp == "<" else "<="
            store.con.register("_lims", lims.to_arrow())
            try:
                near = frame(
                    f"SELECT mmsi, {agg}(ts) AS ts FROM positions JOIN _lims USING (mmsi) "
                    f"WHERE {where} AND ts {cmp} _lims.{side} AND ts {near_cmp} ? GROUP BY mmsi",
                    [*params, bound],
                )
                far_ids = lims.join(near, on="mmsi", how="anti")["mmsi"].to_list()
                far = frame(
                    f"SELECT mmsi, {agg}(ts) AS ts FROM positions WHERE {where} "
                    f"AND {ids} AND ts {cmp} ? GROUP BY mmsi",
                    [*params, far_ids, bound],
                )
            finally:
                store.con.unregister("_lims")
            for found in (near, far):
                if found.height == 0:
                    continue
                store.con.register("_edge", found.rename({"mmsi": "e_mmsi", "ts": "e_ts"}))
                try:
                    edges.append(
                        frame(
                            f"SELECT {COLUMNS} FROM positions JOIN _edge "
                            f"ON mmsi = e_mmsi AND ts = e_ts WHERE {where} AND ts >= ? AND ts <= ?",
                            [*params, found["ts"].min(), found["ts"].max()],
                        )
                    )
                finally:
                    store.con.unregister("_edge")
        return pl.concat(edges, how="vertical").sort("mmsi", "ts", maintain_order=True)

    return read


@dataclass
class Plan:
    """What a windowed run will do, for progress and the runs table."""

    window_h: float
    overlap_h: float
    context_h: dict[str, float]
    first: datetime | None = None
    last: datetime | None = None
    spans: list[tuple[datetime, datetime]] = field(default_factory=list)


def plan(store: Store, config: Config, where: str, params: list[Any], window_h: float) -> Plan:
    part = config.params("partition")
    p = Plan(window_h, part.overlap_h, context_hours(config))
    row = store.con.execute(f"SELECT min(ts), max(ts) FROM positions WHERE {where}", params)
    first, last = row.fetchone() or (None, None)
    if first is not None and last is not None:
        p.first, p.last = first, last
        p.spans = list(windows(first, last, window_h))
    return p


def detect_windows(
    store: Store,
    config: Config,
    where: str,
    params: list[Any],
    p: Plan,
    kernel_for: Callable[[], Kernel],
    progress: Callable[[int, int, int], None] | None = None,
) -> tuple[pl.DataFrame, int]:
    """All events of the positions matching ``where``, window by window."""
    if p.first is None or p.last is None:
        return empty_events(), 0
    read = duckdb_reader(store, where, params)
    kernel = kernel_for()
    frames, total = [], 0
    for i, (start, end) in enumerate(p.spans):
        events, n = window_events(
            read,
            kernel,
            start,
            end,
            overlap=timedelta(hours=p.overlap_h),
            context=p.context_h,
            neighbours=neighbour_hours(config),
            segment_h=float(config.params("tracks").max_gap_h),
            first=p.first,
            last=p.last,
        )
        frames.append(events)
        total += n
        if progress:
            progress(i + 1, len(p.spans), n)
    frames = [f for f in frames if f.height]
    events = pl.concat(frames, how="vertical") if frames else empty_events()
    return events, total
