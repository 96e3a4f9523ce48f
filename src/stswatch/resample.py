"""The shared grid: tracks resampled onto fixed time slots, and spatial cells to join on.

Encounters are found the Global Fishing Watch way (``pipe-encounters``): every track is
resampled onto one time grid shared by all vessels, so that "where were A and B at 12:10"
is a join on the slot rather than a search; and every resampled point gets a spatial cell,
so that the neighbours of a point are found by joining on its cell and the 8 around it
instead of comparing all pairs.

Resampling (``resample``): slot ``k`` is the instant ``k * interval_s`` seconds after the
Unix epoch, so every track shares it. A slot between two consecutive reports of one track
gets a position and speed interpolated linearly between them, but only when the reports
are less than ``max_gap_s`` apart: nothing is invented before a track's first report,
after its last, or inside a longer silence (no extrapolation). A report exactly on a slot
is used as is. Longitude is interpolated the short way round, so a track that crosses the
antimeridian stays at sea. ``speed_kn`` is the interpolated reported speed over ground;
where neither report has one it is the implied speed between the two reports.

Cells (``CellGrid``): latitude bands at least ``cell_m`` high, each split into equal
longitude columns at least ``cell_m`` wide even at the poleward edge of the band and its
neighbours (columns are wider in degrees toward the poles), wrapping at the antimeridian;
bands within 0.5 degrees of a pole are one column. Two points within ``cell_m`` of each
other are then always in the same or adjacent cells, which ``neighbour_cells`` lists;
``probes`` gives the looking side of such a join.

Also here, the small column helpers every detector shares: ``track_column`` (seg_id or
mmsi), ``sort_reports`` and ``first_of`` (order and de-duplicate reports without caring
about the caller's row order), ``haversine_m_expr``, ``wrap_lon``, ``circular_mean_lon``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from stswatch.units import EARTH_RADIUS_M, KNOTS_TO_MPS

INTERVAL_S = 600  # GFW pipe-encounters: RESAMPLE_INCREMENT_MINUTES = 10
MAX_GAP_S = 3600.0  # GFW pipe-encounters: MAX_GAP_HOURS = 1 (no interpolation across longer)
METERS_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180.0  # along a meridian
US_PER_S = 1_000_000

IntArray = npt.NDArray[np.int64]

RESAMPLED_COLUMNS = ["track", "mmsi", "slot", "ts", "lon", "lat", "speed_kn"]


def track_column(positions: pl.DataFrame) -> str:
    """``seg_id`` when segmentation has run (segments are separate tracks), else ``mmsi``."""
    return "seg_id" if "seg_id" in positions.columns else "mmsi"


def haversine_m_expr(lon1: pl.Expr, lat1: pl.Expr, lon2: pl.Expr, lat2: pl.Expr) -> pl.Expr:
    """Great-circle distance in metres as a Polars expression (same formula as units)."""
    p1, p2 = lat1.radians(), lat2.radians()
    a = ((p2 - p1) / 2).sin() ** 2 + p1.cos() * p2.cos() * (
        ((lon2 - lon1).radians() / 2).sin() ** 2
    )
    return 2.0 * EARTH_RADIUS_M * a.clip(0.0, 1.0).sqrt().arcsin()


def wrap_lon(lon: pl.Expr) -> pl.Expr:
    """Longitude brought into [-180, 180)."""
    return (lon + 180.0) % 360.0 - 180.0


def circular_mean_lon(lon: pl.Expr) -> pl.Expr:
    """Mean longitude that is right across the antimeridian (an aggregation)."""
    r = lon.radians()
    return pl.arctan2(r.sin().mean(), r.cos().mean()).degrees()


def epoch_us_to_ts(us: pl.Expr) -> pl.Expr:
    return pl.from_epoch(us, time_unit="us").dt.replace_time_zone("UTC")


def first_of(*keys: str) -> pl.Expr:
    """True on the first row of each run of equal ``keys`` (rows sorted by them): a cheap
    de-duplication that keeps the order."""
    differs = [pl.col(k) != pl.col(k).shift(1) for k in keys]
    return pl.any_horizontal(differs).fill_null(True)


def sort_reports(df: pl.DataFrame, by: tuple[str, str], ties: tuple[str, ...]) -> pl.DataFrame:
    """``df`` sorted by ``by`` (a track and a time column), rows at equal times ordered by
    ``ties``. Input already strictly sorted by ``by`` (no equal times), the usual case for
    positions sorted by (mmsi, ts), is returned as is after one cheap check; input whose
    tracks are runs of rows in time order (positions sorted by (mmsi, ts) and grouped by
    segment) has its runs put in order without a sort of the rows (``_run_order``)."""
    track, t = pl.col(by[0]), pl.col(by[1])
    same = track == track.shift(1)
    strictly = (track > track.shift(1)) | (same & (t > t.shift(1)))
    nulls = pl.sum_horizontal(pl.col(*by).null_count())
    marks = df.select(
        strictly.fill_null(True).all().alias("strictly"),
        (same & (t <= t.shift(1))).fill_null(False).any().alias("disorder"),
        nulls.alias("nulls"),
    ).row(0, named=True)
    if marks["strictly"]:
        return df
    if not marks["disorder"] and not marks["nulls"]:
        order = _run_order(df, by)
        if order is not None:
            return _take(df, order)
    return df.sort(*by, *ties, nulls_last=True)


_MAX_PIECES = 1000


def _take(df: pl.DataFrame, order: IntArray) -> pl.DataFrame:
    """``df[order]``, keeping the stretches that stay in place as slices (no copy): usually
    only the few tracks whose runs move are gathered."""
    n = df.height
    moved = np.r_[False, order != np.arange(n), False].astype(np.int8)
    edges = np.flatnonzero(np.diff(moved))
    zone_start, zone_stop = edges[::2], edges[1::2]
    if zone_start.size > _MAX_PIECES:
        return df[order]
    pieces, at = [], 0
    for a, b in zip(zone_start.tolist(), zone_stop.tolist(), strict=True):
        if a > at:
            pieces.append(df.slice(at, a - at))
        pieces.append(df[order[a:b]])
        at = b
    if at < n:
        pieces.append(df.slice(at, n - at))
    return pl.concat(pieces, rechunk=False)


def _run_order(df: pl.DataFrame, by: tuple[str, str]) -> IntArray | None:
    """The row order of ``df.sort(*by, ...)`` when it only moves whole runs of rows, else
    None (the caller sorts). ``df`` has no nulls in ``by`` and its times rise strictly
    within each run.

    A run is a stretch of consecutive rows with the same track. When times also rise from
    each run to the next run of the same track, every track's times are distinct, so ties
    never matter and sorting is putting the runs in order of (track, first time): a sort of
    the runs, not of the rows.
    """
    track = pl.col(by[0])
    new = df.select((track != track.shift(1)).fill_null(True).alias("new"))["new"]
    starts = np.flatnonzero(new.to_numpy())
    if starts.size > df.height // 4:  # many short runs: a plain sort is as good
        return None
    stops = np.r_[starts[1:], df.height]
    runs = pl.DataFrame(
        {
            "track": df[by[0]].gather(starts),
            "t0": df[by[1]].gather(starts),
            "t1": df[by[1]].gather(stops - 1),
            "start": starts,
            "stop": stops,
        }
    ).sort("track", "t0")
    later = (pl.col("track") != pl.col("track").shift(1)) | (pl.col("t0") > pl.col("t1").shift(1))
    if not runs.select(later.fill_null(True).all()).item():
        return None  # two runs of one track overlap in time: rows must be merged
    lengths = (runs["stop"] - runs["start"]).to_numpy()
    first = runs["start"].to_numpy()
    return np.repeat(first - (np.cumsum(lengths) - lengths), lengths) + np.arange(df.height)


def track_reports(positions: pl.DataFrame) -> pl.DataFrame:
    """Columns track, mmsi, ts, lon, lat, sog (floats), sorted by (track, ts), one report per
    track and time (the smallest lon, lat, sog: row order never matters)."""
    key = track_column(positions)
    pts = positions.select(
        pl.col(key).alias("track"),
        pl.col("mmsi").cast(pl.Int64),
        "ts",
        pl.col("lon").cast(pl.Float64),
        pl.col("lat").cast(pl.Float64),
        pl.col("sog").cast(pl.Float64),
    )
    out = sort_reports(pts, ("track", "ts"), ("lon", "lat", "sog")).filter(first_of("track", "ts"))
    return out.rechunk()


def resample(
    positions: pl.DataFrame, interval_s: int = INTERVAL_S, max_gap_s: float = MAX_GAP_S
) -> pl.DataFrame:
    """Every track on the shared grid: columns ``RESAMPLED_COLUMNS``, sorted by (track, slot).

    ``track`` is ``seg_id`` when present, else ``mmsi``; ``slot`` counts ``interval_s`` steps
    since the epoch and ``ts`` is its time. Reports with the same track and time count once
    (the one with the smallest lon, lat, sog: row order never matters).
    """
    key = track_column(positions)
    step_us = int(interval_s) * US_PER_S
    max_gap_us = max_gap_s * US_PER_S
    pts = positions.select(
        pl.col(key).alias("track"),
        pl.col("mmsi").cast(pl.Int64),
        pl.col("ts").dt.epoch("us").alias("t"),
        pl.col("lon").cast(pl.Float64),
        pl.col("lat").cast(pl.Float64),
        pl.col("sog").cast(pl.Float64),
    )
    pts = sort_reports(pts, ("track", "t"), ("lon", "lat", "sog"))
    # sorted, each track is one run of rows: number the runs, compare numbers, not tracks
    new_track = (pl.col("track") != pl.col("track").shift(1)).fill_null(True)
    pts = pts.with_columns(new_track.cum_sum().alias("tid")).filter(first_of("tid", "t"))
    nxt = [pl.col(c).shift(-1).alias(f"{c}1") for c in ("tid", "t", "lon", "lat", "sog")]
    bridged = (pl.col("tid1") == pl.col("tid")) & (pl.col("t1") - pl.col("t") < max_gap_us)
    on_grid = pl.col("t") % step_us == 0
    pairs = (
        pts.lazy()
        .with_columns(nxt)
        .with_columns(bridged.fill_null(False).alias("bridged"))
        .with_columns(
            # a bridged pair covers the slots in [t, t1) (the slot at t1 is the next pair's);
            # any other report covers its own slot if it is on one
            pl.when(pl.col("bridged"))
            .then(-((-pl.col("t")) // step_us))
            .when(on_grid)
            .then(pl.col("t") // step_us)
            .alias("first"),
            pl.when(pl.col("bridged"))
            .then((pl.col("t1") - 1) // step_us)
            .when(on_grid)
            .then(pl.col("t") // step_us)
            .alias("last"),
        )
        .filter(pl.col("last") >= pl.col("first"))
    )
    dt_us = pl.col("t1") - pl.col("t")
    mix = (pl.col("slot") * step_us - pl.col("t")) / dt_us
    implied_kn = (
        haversine_m_expr(pl.col("lon"), pl.col("lat"), pl.col("lon1"), pl.col("lat1"))
        / (dt_us / US_PER_S)
        / KNOTS_TO_MPS
    )
    along = pl.col("bridged")
    out = (
        pairs.with_columns(pl.int_ranges("first", pl.col("last") + 1).alias("slot"))
        .explode("slot", empty_as_null=False)
        .select(
            "track",
            "mmsi",
            "slot",
            epoch_us_to_ts(pl.col("slot") * step_us).alias("ts"),
            pl.when(along)
            .then(wrap_lon(pl.col("lon") + mix * wrap_lon(pl.col("lon1") - pl.col("lon"))))
            .otherwise(pl.col("lon"))
            .alias("lon"),
            pl.when(along)
            .then(pl.col("lat") + mix * (pl.col("lat1") - pl.col("lat")))
            .otherwise(pl.col("lat"))
            .alias("lat"),
            pl.when(along)
            .then(
                pl.coalesce(
                    pl.col("sog") + mix * (pl.col("sog1") - pl.col("sog")),
                    pl.col("sog"),
                    pl.col("sog1"),
                    implied_kn,
                )
            )
            .otherwise(pl.col("sog"))
            .alias("speed_kn"),
        )
    )
    return out.collect()


@dataclass(frozen=True)
class CellGrid:
    """Spatial cells at least ``cell_m`` across; see the module docstring. Vectorized NumPy."""

    cell_m: float

    @property
    def band_deg(self) -> float:
        return self.cell_m / METERS_PER_DEGREE

    @property
    def n_bands(self) -> int:
        return math.ceil(180.0 / self.band_deg)

    @property
    def max_cols(self) -> int:
        return max(1, math.floor(360.0 * METERS_PER_DEGREE / self.cell_m))

    @property
    def n_cells(self) -> int:
        """Upper bound of cell ids plus one (to combine a cell with a time key)."""
        return self.n_bands * self.max_cols

    def band(self, lat: npt.ArrayLike) -> IntArray:
        b = np.floor((np.asarray(lat, dtype=np.float64) + 90.0) / self.band_deg)
        return np.clip(b, 0, self.n_bands - 1).astype(np.int64)

    def n_cols(self, band: IntArray) -> IntArray:
        """Columns in a band: each at least cell_m wide at the poleward edge of the band and
        of its two neighbours (any pair of points within cell_m lies in that range). Bands
        from -1 to ``n_bands`` are looked up in a table of ``_n_cols``."""
        band = np.asarray(band, dtype=np.int64)
        if band.size and (band.min() < -1 or band.max() > self.n_bands):
            return self._n_cols(band)
        return self._n_cols_table[band + 1]

    @functools.cached_property
    def _n_cols_table(self) -> IntArray:
        return self._n_cols(np.arange(-1, self.n_bands + 1, dtype=np.int64))

    def _n_cols(self, band: IntArray) -> IntArray:
        lo = (band - 1) * self.band_deg - 90.0
        hi = (band + 2) * self.band_deg - 90.0
        phi = np.minimum(np.maximum(np.abs(lo), np.abs(hi)), 90.0)
        n = np.floor(360.0 * np.cos(np.radians(phi)) * METERS_PER_DEGREE / self.cell_m)
        n = np.clip(n, 1, self.max_cols).astype(np.int64)
        return np.where(phi > 89.5, 1, n)

    @staticmethod
    def col(lon: npt.ArrayLike, n_cols: IntArray) -> IntArray:
        x = (np.asarray(lon, dtype=np.float64) + 180.0) / 360.0 * n_cols
        return np.floor(x).astype(np.int64) % n_cols

    def cell(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> IntArray:
        """Cell id of each point."""
        band = self.band(lat)
        return band * self.max_cols + self.col(lon, self.n_cols(band))

    def neighbour_cells(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> IntArray:
        """Shape (n, 9): the cells where any point within ``cell_m`` of each point may lie
        (its own and the 8 around it); -1 where a neighbouring band is beyond a pole. Near
        the poles, where a band has fewer than 3 columns, a cell can appear twice."""
        own = self.band(lat)
        out = np.empty((own.shape[0], 9), dtype=np.int64)
        for i, d_band in enumerate((-1, 0, 1)):
            band = own + d_band
            n = self.n_cols(band)
            col = self.col(lon, n)
            valid = (band >= 0) & (band < self.n_bands)
            for j, d_col in enumerate((-1, 0, 1)):
                out[:, 3 * i + j] = np.where(valid, band * self.max_cols + (col + d_col) % n, -1)
        return out

    def probes(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[IntArray, IntArray]:
        """(row, cell) for every point and each distinct neighbour cell: the join side that
        looks for neighbours, to be joined with ``cell`` of the points looked for."""
        cells = self.neighbour_cells(lon, lat)
        rows = np.repeat(np.arange(cells.shape[0], dtype=np.int64), 9)
        flat = cells.ravel()
        # the same cell twice for one point only happens next to a pole (< 3 columns)
        dup = np.zeros(flat.shape[0], dtype=bool)
        polar = np.repeat(np.abs(np.asarray(lat, dtype=np.float64)) > 85.0, 9)
        if polar.any():
            c9 = cells[np.abs(np.asarray(lat, dtype=np.float64)) > 85.0]
            s = np.sort(c9, axis=1)
            first = np.ones_like(s, dtype=bool)
            first[:, 1:] = s[:, 1:] != s[:, :-1]
            order = np.argsort(c9, axis=1, kind="stable")
            keep = np.empty_like(first)
            np.put_along_axis(keep, order, first, axis=1)
            dup[polar] = ~keep.ravel()
        ok = (flat >= 0) & ~dup
        return rows[ok], flat[ok]
