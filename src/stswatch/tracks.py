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
segments are just the runs between long silences, computed column-wise. Only MMSIs with at
least one out-of-reach pair go through the sequential assignment (a loop over their reports,
vectorized over the open segments).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from stswatch.resample import sort_reports
from stswatch.units import KNOTS_TO_MPS, SECONDS_PER_HOUR, haversine_m


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
    df = with_previous(sort_reports(positions, ("mmsi", "ts"), ("lon", "lat"))).with_row_index(
        "_row"
    )
    max_gap_s = params.max_gap_h * SECONDS_PER_HOUR
    reach = params.noise_dist_m + params.max_speed_mps * pl.col("dt_s")
    df = df.with_columns(
        (pl.col("dt_s") > max_gap_s).fill_null(False).alias("_gap"),
        ((pl.col("dist_m") > reach) & (pl.col("dt_s") <= max_gap_s))
        .fill_null(False)
        .alias("_jump"),
    ).with_columns(
        pl.col("_gap").cum_sum().over("mmsi").cast(pl.Int64).alias("_seg"),
        pl.col("_jump").any().over("mmsi").alias("_slow"),
    )
    slow = df.filter(pl.col("_slow"))
    if slow.height:
        t_s = slow["ts"].dt.epoch("us").to_numpy() / 1e6
        lon = slow["lon"].to_numpy()
        lat = slow["lat"].to_numpy()
        bounds = (
            slow.with_row_index("_i")
            .group_by("mmsi", maintain_order=True)
            .agg(pl.col("_i").min().alias("lo"), pl.col("_i").max().alias("hi"))
        )
        seg = np.empty(slow.height, dtype=np.int64)
        for lo, hi in bounds.select("lo", "hi").iter_rows():
            seg[lo : hi + 1] = _sequential(
                lon[lo : hi + 1], lat[lo : hi + 1], t_s[lo : hi + 1], params
            )
        seg_all = df["_seg"].to_numpy().copy()
        seg_all[slow["_row"].to_numpy()] = seg  # back in place: no second sort
        df = df.with_columns(pl.Series("_seg", seg_all))
    return df.with_columns(
        pl.format("{}-{}", pl.col("mmsi"), pl.col("_seg")).alias("seg_id")
    ).select(*positions.columns, "seg_id")
