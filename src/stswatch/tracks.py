"""Tracks: split each MMSI's reports into segments that one vessel could have sailed.

A *segment* is a run of one MMSI's reports, in time order, in which every report is within
physical reach of the previous report of the same segment: the distance between them is at
most ``noise_dist_m + max_speed_kn * dt`` and the silence at most ``max_gap_h``. Reports are
assigned in time order, gpsdio-segment style (Global Fishing Watch): each report joins the
open segment of its MMSI that it fits best (smallest distance relative to the allowed
distance), or opens a new segment when it fits none. Segments are kept apart, never
averaged, so two vessels sharing an MMSI, or a spoofed position, end up in separate
segments. Segment ids are ``"<mmsi>-<n>"``, numbered from 0 in order of the first report.

Most MMSIs never jump: when every consecutive pair of an MMSI's reports is within reach, its
segments are just the runs between long silences, computed column-wise (the exact distance is
only computed for steps that a cheap upper bound does not already put within reach). An MMSI
with an out-of-reach pair is in those segments up to its first jump; from there on its reports
go through the sequential assignment, all such MMSIs at once (``_batched``: a loop over the
position in the sequence, vectorized over the MMSIs and their open segments).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from stswatch.resample import sort_reports
from stswatch.units import EARTH_RADIUS_M, KNOTS_TO_MPS, SECONDS_PER_HOUR, haversine_m


@dataclass(frozen=True)
class Params:
    """Segmentation thresholds (the ``[tracks]`` section of ``stswatch.toml``)."""

    # gpsdio-segment: its reference segmentation of MMSI 416000000 (tests/test_cli.py) was
    # produced with --max-speed=30; core.py notes "with max speed of 30" as the working value.
    max_speed_kn: float = field(
        default=30.0, metadata={"help": "Fastest plausible speed between two reports, knots"}
    )
    # gpsdio-segment 0.1-0.12: DEFAULT_MAX_HOURS = 24 ("it would be possible to travel around
    # the whole earth in that time"); later versions use 7 * 24.
    max_gap_h: float = field(
        default=24.0, metadata={"help": "A segment closes after this long without a report, h"}
    )
    # gpsdio-segment 0.1-0.5: DEFAULT_NOISE_DIST = round(500 / 1852, 3) nautical miles.
    noise_dist_m: float = field(
        default=500.0,
        metadata={"help": "Position noise allowed on top of max speed (short dt), m"},
    )

    @property
    def max_speed_mps(self) -> float:
        return self.max_speed_kn * KNOTS_TO_MPS


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def with_previous(positions: pl.DataFrame, over: str = "mmsi") -> pl.DataFrame:
    """Add ``dt_s`` and ``dist_m`` to the previous report of the same ``over`` group (null on
    the first). ``positions`` must already be sorted by (over, ts)."""
    if positions.height == 0:
        return positions.with_columns(
            pl.lit(None, pl.Float64).alias("dt_s"), pl.lit(None, pl.Float64).alias("dist_m")
        )
    key = pl.col(over)
    firsts = positions.select(
        (key != key.shift(1)).fill_null(True).sum().alias("runs"), key.n_unique().alias("groups")
    )
    if firsts["runs"].item() != firsts["groups"].item():
        return _with_previous_over(positions, over)  # groups not contiguous: per group
    # groups are contiguous runs: the previous row is the previous report unless a run starts
    same = (key == key.shift(1)).fill_null(False)
    dt = pl.col("ts").diff().dt.total_microseconds() / 1e6
    df = positions.with_columns(pl.when(same).then(dt).alias("dt_s"))
    lon = df["lon"].to_numpy()
    lat = df["lat"].to_numpy()
    dist = np.full(df.height, np.nan)
    dist[1:] = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
    first = ~df.select(same.alias("s"))["s"].to_numpy()
    dist[first] = np.nan
    return df.with_columns(pl.Series("dist_m", dist).fill_nan(None))


def _with_previous_over(positions: pl.DataFrame, over: str) -> pl.DataFrame:
    """``with_previous`` for groups that are not contiguous (window functions per group)."""
    prev_lon = pl.col("lon").shift(1).over(over)
    prev_lat = pl.col("lat").shift(1).over(over)
    dt = (pl.col("ts") - pl.col("ts").shift(1).over(over)).dt.total_microseconds() / 1e6
    df = positions.with_columns(dt.alias("dt_s"), prev_lon.alias("_plon"), prev_lat.alias("_plat"))
    dist = haversine_m(
        df["_plon"].fill_null(np.nan).to_numpy(),
        df["_plat"].fill_null(np.nan).to_numpy(),
        df["lon"].to_numpy(),
        df["lat"].to_numpy(),
    )
    return df.with_columns(pl.Series("dist_m", dist).fill_nan(None)).drop("_plon", "_plat")


def _sequential(lon: FloatArray, lat: FloatArray, t_s: FloatArray, params: Params) -> IntArray:
    """Segment numbers for one MMSI's reports (sorted by time), assigned one report at a time.

    Each report is compared with the last report of every open segment; it joins the one
    with the smallest distance / allowed-distance ratio among those within reach, else it
    opens a new segment. A segment closes once the report time is more than ``max_gap_h``
    after its last report.
    """
    n = len(lon)
    seg = np.empty(n, dtype=np.int64)
    last_lon = np.empty(n)
    last_lat = np.empty(n)
    last_t = np.empty(n)
    alive = np.empty(0, dtype=np.int64)
    n_seg = 0
    max_gap_s = params.max_gap_h * SECONDS_PER_HOUR
    vmax = params.max_speed_mps
    for i in range(n):
        if alive.size:
            alive = alive[t_s[i] - last_t[alive] <= max_gap_s]
        best = -1
        if alive.size:
            dt = t_s[i] - last_t[alive]
            dist = haversine_m(last_lon[alive], last_lat[alive], lon[i], lat[i])
            allowed = params.noise_dist_m + vmax * dt
            ratio = np.where(dist <= allowed, dist / np.maximum(allowed, 1e-9), np.inf)
            j = int(np.argmin(ratio))
            if np.isfinite(ratio[j]):
                best = int(alive[j])
        if best < 0:
            best = n_seg
            n_seg += 1
            alive = np.append(alive, best)
        seg[i] = best
        last_lon[best], last_lat[best], last_t[best] = lon[i], lat[i], t_s[i]
    return seg


def _batched(
    starts: IntArray,
    stops: IntArray,
    seg0: IntArray,
    lon: FloatArray,
    lat: FloatArray,
    t_s: FloatArray,
    params: Params,
) -> IntArray:
    """``_sequential`` for many MMSIs at once, continuing from a known state.

    MMSI ``k`` has its reports in rows ``starts[k] - 1`` to ``stops[k] - 1`` (sorted by time);
    the report at ``starts[k] - 1`` is the last of segment ``seg0[k]``, the only open one, and
    ``seg0[k] + 1`` segments exist. Returns the segment numbers of rows ``starts[k]`` to
    ``stops[k] - 1`` of every MMSI, concatenated in the order of the MMSIs. The loop runs over
    the position in the sequence (the longest MMSI's length), each step vectorized over the
    MMSIs and their open segments, with the same arithmetic and tie-breaking (the lowest
    segment number among equally good fits) as ``_sequential``.
    """
    m = starts.size
    lengths = stops - starts
    out_at = np.cumsum(lengths) - lengths  # where each MMSI's numbers go in the output
    out = np.empty(int(lengths.sum()), dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")  # longest first: active MMSIs are a prefix
    starts, lengths, out_at = starts[order], lengths[order], out_at[order]
    n_active = np.searchsorted(-lengths, -np.arange(int(lengths.max(initial=0))), side="left")
    width = 4
    seg = np.full((m, width), -1, dtype=np.int64)  # segment held by each slot; -1: free
    last_lon = np.zeros((m, width))
    last_lat = np.zeros((m, width))
    last_t = np.zeros((m, width))
    prev = starts - 1
    seg[:, 0] = seg0[order]
    last_lon[:, 0], last_lat[:, 0], last_t[:, 0] = lon[prev], lat[prev], t_s[prev]
    n_seg = seg0[order] + 1
    max_gap_s = params.max_gap_h * SECONDS_PER_HOUR
    vmax = params.max_speed_mps
    big = np.iinfo(np.int64).max
    for i, k in enumerate(n_active):
        rows = starts[:k] + i
        t_i = t_s[rows][:, None]
        lon_i = lon[rows][:, None]
        lat_i = lat[rows][:, None]
        s = seg[:k]
        dt = t_i - last_t[:k]
        s[(s >= 0) & ~(dt <= max_gap_s)] = -1  # segments silent too long close
        alive = s >= 0
        dist = haversine_m(last_lon[:k], last_lat[:k], lon_i, lat_i)
        allowed = params.noise_dist_m + vmax * dt
        ratio = np.where(alive & (dist <= allowed), dist / np.maximum(allowed, 1e-9), np.inf)
        best_ratio = ratio.min(axis=1)
        fits = np.isfinite(best_ratio)
        # among the slots with the best ratio, the lowest segment number (as _sequential)
        tied = (ratio == best_ratio[:, None]) & fits[:, None]
        slot = np.argmin(np.where(tied, s, big), axis=1)
        new = np.flatnonzero(~fits)
        if new.size:
            free = s[new] < 0
            if not free.any(axis=1).all():  # some MMSI has no free slot: widen
                grow = width
                seg = np.pad(seg, ((0, 0), (0, grow)), constant_values=-1)
                last_lon, last_lat, last_t = (
                    np.pad(a, ((0, 0), (0, grow))) for a in (last_lon, last_lat, last_t)
                )
                width += grow
                s = seg[:k]
                free = s[new] < 0
            slot[new] = np.argmax(free, axis=1)
            s[new, slot[new]] = n_seg[new]
            n_seg[new] += 1
        r = np.arange(k)
        number = s[r, slot]
        out[out_at[:k] + i] = number
        last_lon[r, slot] = lon_i[:, 0]
        last_lat[r, slot] = lat_i[:, 0]
        last_t[r, slot] = t_i[:, 0]
    return out


def segment(positions: pl.DataFrame, params: Params | None = None) -> pl.DataFrame:
    """``positions`` plus ``seg_id`` (Utf8, ``"<mmsi>-<n>"``), sorted by (mmsi, ts).

    The input is not modified; its row order does not matter (ties in time are broken by
    position, so the same reports always give the same segments).
    """
    params = params or Params()
    if "seg_id" in positions.columns:
        positions = positions.drop("seg_id")
    if positions.height == 0:
        return positions.with_columns(pl.lit(None, pl.Utf8).alias("seg_id"))
    df = sort_reports(positions, ("mmsi", "ts"), ("lon", "lat"))
    n = df.height
    mmsi = df["mmsi"].to_numpy()
    lon = df["lon"].to_numpy().astype(np.float64, copy=False)
    lat = df["lat"].to_numpy().astype(np.float64, copy=False)
    same = np.zeros(n, dtype=bool)  # the previous row is a report of the same MMSI
    same[1:] = mmsi[1:] == mmsi[:-1]
    dt_s = np.zeros(n)
    dt_s[1:] = df.select(pl.col("ts").diff().dt.total_microseconds())["ts"].to_numpy()[1:] / 1e6
    max_gap_s = params.max_gap_h * SECONDS_PER_HOUR
    reach = params.noise_dist_m + params.max_speed_mps * dt_s
    gap = same & (dt_s > max_gap_s)
    jump = _out_of_reach(lon, lat, reach, same & (dt_s <= max_gap_s))
    # MMSIs that never jump: segments are the runs between long silences
    row = np.arange(n)
    first_row = np.maximum.accumulate(np.where(same, 0, row))  # first row of the row's MMSI
    gaps = np.cumsum(gap)
    seg: IntArray = gaps - gaps[first_row]
    jumps = np.flatnonzero(jump)
    if jumps.size:
        # up to its first jump an MMSI is in the segment its silences say; from there on
        # reports are assigned one step at a time, every such MMSI at once
        first_jump = jumps[np.r_[True, first_row[jumps[1:]] != first_row[jumps[:-1]]]]
        ends = np.r_[np.flatnonzero(~same)[1:], n]  # one past the last row of each MMSI
        stops = ends[np.searchsorted(ends, first_jump, side="right")]
        t_s = df["ts"].dt.epoch("us").to_numpy() / 1e6
        numbers = _batched(first_jump, stops, seg[first_jump - 1], lon, lat, t_s, params)
        lengths = stops - first_jump
        at = np.repeat(first_jump - (np.cumsum(lengths) - lengths), lengths)
        seg[at + np.arange(at.size)] = numbers
    # one string per run of rows with the same (mmsi, segment), repeated over the run
    starts = np.flatnonzero(np.r_[True, ~same[1:] | (seg[1:] != seg[:-1])])
    names = pl.DataFrame({"mmsi": mmsi[starts], "seg": seg[starts]}).select(
        pl.format("{}-{}", "mmsi", "seg").alias("seg_id")
    )["seg_id"]
    run = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, n]))
    return df.with_columns(names.gather(run)).select(*positions.columns, "seg_id")


def _out_of_reach(
    lon: FloatArray, lat: FloatArray, reach: FloatArray, check: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Where ``check`` holds and the great-circle distance from the previous row's position
    to the row's is above ``reach`` (metres; False on the first row and for NaN positions).

    The exact distance (``haversine_m``) is only computed where a cheap upper bound does not
    already show the step within reach: a great circle is never longer than the path along
    the parallel and then the meridian, at most ``R * (|dlat| + |dlon|)`` (radians, dlon the
    short way round); the bound is only trusted with a margin far above rounding.
    """
    out = np.zeros(lon.size, dtype=bool)
    if lon.size < 2:
        return out
    dlat = np.abs(lat[1:] - lat[:-1])
    dlon = np.abs(lon[1:] - lon[:-1])
    dlon = np.minimum(dlon, np.abs(360.0 - dlon))  # never below the short way round
    bound = (dlat + dlon) * (EARTH_RADIUS_M * np.pi / 180.0)
    near = (
        (bound * (1.0 + 1e-6) + 1.0 <= reach[1:])
        & (np.abs(lat[1:]) <= 90.0)
        & (np.abs(lat[:-1]) <= 90.0)
    )
    rows = np.flatnonzero(check[1:] & ~near)  # steps the bound does not settle
    dist = haversine_m(lon[rows], lat[rows], lon[rows + 1], lat[rows + 1])
    out[rows + 1] = dist > reach[rows + 1]
    return out
