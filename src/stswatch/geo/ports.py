"""Ports and anchorages: the shipped table's columns and a nearest-port index over it.

The table has one row per port or anchorage point: ``port_id`` (``source:key``, stable
between builds), ``name``, ``country`` (ISO 3166-1 alpha-3), ``kind`` (``port`` or
``anchorage``), ``lon`` and ``lat`` in degrees, ``is_dprk`` (true for every point in North
Korea) and ``source`` (``wpi``, ``gfw`` or ``ne``; see docs/geo.md). ``PortIndex`` finds the
nearest row for many points at once: a k-d tree over 3-D unit vectors answers exactly, and a
``NearestGrid`` lets points far from every port skip the tree (see ``stswatch.geo.grid``).

``nearest_within`` answers the narrower question a port visit asks (which port, for points
within a few kilometres of one): a raster of the cells that some port's radius touches
drops the points that cannot be near any port, and the k-d tree searches the others only
up to the radius; answers within the radius are the same as ``nearest``'s.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.spatial import cKDTree

from stswatch.errors import InputError
from stswatch.geo.grid import NearestGrid, locality_order
from stswatch.geo.sphere import arc_m_to_chord, chord_to_arc_m, cos_to_arc_m, unit_vectors
from stswatch.units import EARTH_RADIUS_M

PORT_SCHEMA: dict[str, pl.DataType] = {
    "port_id": pl.Utf8(),
    "name": pl.Utf8(),
    "country": pl.Utf8(),
    "kind": pl.Utf8(),
    "lon": pl.Float64(),
    "lat": pl.Float64(),
    "is_dprk": pl.Boolean(),
    "source": pl.Utf8(),
}
DEFAULT_EXACT_WITHIN_M = 150_000.0  # below this estimate, use the exact k-d tree (> 50 nm + margin)
_CHUNK = 1_000_000  # points per batch; bounds temporary memory
_CIRCUMFERENCE_M = 2.0 * np.pi * EARTH_RADIUS_M
NEAR_CELLS_PER_DEG = 20  # cells of the "may be near a port" raster (1/20 degree, 5.6 km N-S)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def check_ports(ports: pl.DataFrame) -> pl.DataFrame:
    """The table with the columns and types of ``PORT_SCHEMA``, in that order."""
    missing = [c for c in PORT_SCHEMA if c not in ports.columns]
    if missing:
        raise InputError(
            f"the ports table has no column {', '.join(missing)} (found: "
            f"{', '.join(ports.columns)}). Hint: see PORT_SCHEMA in stswatch.geo.ports."
        )
    return ports.select([pl.col(c).cast(t) for c, t in PORT_SCHEMA.items()])


class PortIndex:
    """Nearest port or anchorage (row of the table) for many points at once."""

    def __init__(
        self,
        lon_deg: FloatArray,
        lat_deg: FloatArray,
        grid: NearestGrid | None = None,
        exact_within_m: float = DEFAULT_EXACT_WITHIN_M,
        workers: int = -1,
    ) -> None:
        self.lon = np.asarray(lon_deg, dtype=np.float64)
        self.lat = np.asarray(lat_deg, dtype=np.float64)
        self.xyz = unit_vectors(lon_deg, lat_deg)
        self._near_cells: dict[float, npt.NDArray[np.bool_]] = {}
        self.tree = cKDTree(self.xyz) if self.xyz.shape[0] else None
        if grid is not None and grid.site.size and int(grid.site.max()) >= self.xyz.shape[0]:
            raise InputError(
                f"the port grid names row {int(grid.site.max())} but the table has "
                f"{self.xyz.shape[0]} rows. Hint: rebuild both with `python scripts/build_geo.py`."
            )
        self.grid = grid
        self._candidates = grid.candidates() if grid is not None else None
        self.exact_within_m = exact_within_m
        self.workers = workers

    def nearest(self, lon_deg: FloatArray, lat_deg: FloatArray) -> tuple[FloatArray, IntArray]:
        """Distance in metres to the nearest row, and that row; NaN and -1 for bad positions."""
        lon = np.asarray(lon_deg, dtype=np.float64)
        lat = np.asarray(lat_deg, dtype=np.float64)
        dist_m = np.full(lon.shape, np.nan)
        row = np.full(lon.shape, -1, dtype=np.int64)
        ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
        for start in range(0, ok.size, _CHUNK):
            rows = ok[start : start + _CHUNK]
            dist_m[rows], row[rows] = self._nearest(lon[rows], lat[rows])
        return dist_m, row

    def _nearest(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, IntArray]:
        p = unit_vectors(lon, lat)
        if self.grid is None or self._candidates is None:
            return self._exact(p, locality_order(lon, lat))
        cand = self._candidates[self.grid.dual_cell(lon, lat)]
        best = cand[:, 0].astype(np.int64)
        best_cos = np.einsum("ij,ij->i", p, self.xyz[best])
        for slot in range(1, cand.shape[1]):
            k = np.flatnonzero(cand[:, slot] >= 0)
            site = cand[k, slot].astype(np.int64)
            cos = np.einsum("ij,ij->i", p[k], self.xyz[site])
            better = cos > best_cos[k]
            best_cos[k[better]] = cos[better]
            best[k[better]] = site[better]
        dist_m = cos_to_arc_m(best_cos)
        near = np.flatnonzero(dist_m < self.exact_within_m)
        dist_m[near], best[near] = self._exact(p[near], locality_order(lon[near], lat[near]))
        return dist_m, best

    def nearest_within(
        self, lon_deg: FloatArray, lat_deg: FloatArray, max_m: float
    ) -> tuple[FloatArray, IntArray]:
        """``nearest`` for the points within ``max_m`` metres of a row (the same answers);
        points farther from every row may get ``inf`` and -1 instead. NaN and -1 for bad
        positions."""
        lon = np.asarray(lon_deg, dtype=np.float64)
        lat = np.asarray(lat_deg, dtype=np.float64)
        if not max_m < 0.25 * _CIRCUMFERENCE_M:  # the raster and the bound would not help
            return self.nearest(lon, lat)
        ok = np.isfinite(lon) & np.isfinite(lat)
        dist_m = np.where(ok, np.inf, np.nan)
        row = np.full(lon.shape, -1, dtype=np.int64)
        if self.tree is None:
            return dist_m, row
        # a little beyond max_m, so that rounding never loses a row at the edge
        reach_m = max_m * (1.0 + 1e-6) + 1.0
        cand = np.flatnonzero(ok)
        cand = cand[self.may_be_within(lon[cand], lat[cand], reach_m)]
        bound = float(arc_m_to_chord(reach_m))
        for start in range(0, cand.size, _CHUNK):
            rows = cand[start : start + _CHUNK]
            order = locality_order(lon[rows], lat[rows])
            p = unit_vectors(lon[rows], lat[rows])[order]
            chord, found = self.tree.query(p, k=1, distance_upper_bound=bound, workers=self.workers)
            hit = np.isfinite(chord)
            at = rows[order[hit]]
            dist_m[at], row[at] = chord_to_arc_m(chord[hit]), found[hit]
        return dist_m, row

    def may_be_within(
        self, lon_deg: FloatArray, lat_deg: FloatArray, max_m: float
    ) -> npt.NDArray[np.bool_]:
        """False only where no row is within ``max_m`` metres (finite positions): a lookup
        in a raster of the cells that some row's radius reaches."""
        cells = self._near_cells.get(max_m)
        if cells is None:
            cells = self._near_cells[max_m] = self._cells_within(max_m)
        if lon_deg.size == 0:
            return np.zeros(0, dtype=bool)
        n_cols = cells.shape[1] - 1
        if (
            lat_deg.min() >= -90.0
            and lat_deg.max() <= 90.0
            and lon_deg.min() >= -180.0
            and (lon_deg.max() <= 180.0)
        ):
            # non-negative: truncation is floor; 90 N and 180 E fall in the padding
            i = ((lat_deg + 90.0) * NEAR_CELLS_PER_DEG).astype(np.int64)
            j = ((lon_deg + 180.0) * NEAR_CELLS_PER_DEG).astype(np.int64)
            return np.take(cells.ravel(), i * (n_cols + 1) + j)
        i = np.floor((lat_deg + 90.0) * NEAR_CELLS_PER_DEG).astype(np.int64)
        j = np.floor((lon_deg + 180.0) * NEAR_CELLS_PER_DEG).astype(np.int64) % n_cols
        out = cells[np.clip(i, 0, cells.shape[0] - 2), j]
        return out | ~(np.abs(lat_deg) <= 90.0)  # beyond the poles: let the caller decide

    def _cells_within(self, max_m: float) -> npt.NDArray[np.bool_]:
        """The raster of ``may_be_within`` (plus padding): every cell that may hold a point within ``max_m``
        of a row. Within that distance of a row at latitude ``lat0``, a point's latitude is
        within ``d = max_m / R`` (radians) of it, and, by the haversine formula,
        ``sin(|dlon| / 2) <= sin(d / 2) / cos(phi)`` with ``phi`` the largest absolute
        latitude of that band; each row marks that box plus one cell all round."""
        cpd = NEAR_CELLS_PER_DEG
        n_rows, n_cols = 180 * cpd, 360 * cpd
        cells = np.zeros((n_rows, n_cols), dtype=bool)
        if self.lat.size == 0:
            return np.zeros((n_rows + 1, n_cols + 1), dtype=bool)
        d_rad = max_m / EARTH_RADIUS_M
        d_deg = np.degrees(d_rad)
        lo, hi = self.lat - d_deg, self.lat + d_deg
        phi = np.minimum(np.maximum(np.abs(lo), np.abs(hi)), 90.0)
        s = np.sin(min(d_rad, np.pi) / 2.0) / np.maximum(np.cos(np.radians(phi)), 1e-300)
        dlon = np.where(s < 1.0, np.degrees(2.0 * np.arcsin(np.minimum(s, 1.0))), 360.0)
        i0 = np.clip(np.floor((lo + 90.0) * cpd).astype(np.int64) - 1, 0, n_rows - 1)
        i1 = np.clip(np.floor((hi + 90.0) * cpd).astype(np.int64) + 1, 0, n_rows - 1)
        j0 = np.floor((self.lon - dlon + 180.0) * cpd).astype(np.int64) - 1
        j1 = np.floor((self.lon + dlon + 180.0) * cpd).astype(np.int64) + 1
        width = np.minimum(j1 - j0 + 1, n_cols)
        j0 = np.where(width == n_cols, 0, j0)
        height = i1 - i0 + 1
        count = height * width
        site = np.repeat(np.arange(count.size), count)
        k = np.arange(site.size) - np.repeat(np.cumsum(count) - count, count)
        cells[i0[site] + k // width[site], (j0[site] + k % width[site]) % n_cols] = True
        # padded with a copy of the last row (90 N) and of the first column (180 E = 180 W)
        cells = np.vstack([cells, cells[-1:]])
        return np.hstack([cells, cells[:, :1]])

    def _exact(self, p: FloatArray, order: IntArray) -> tuple[FloatArray, IntArray]:
        """k-d tree answer, querying in ``order`` (see ``grid.locality_order``)."""
        dist_m = np.full(p.shape[0], np.inf)
        idx = np.full(p.shape[0], -1, dtype=np.int64)
        if self.tree is not None:
            chord, found = self.tree.query(p[order], k=1, workers=self.workers)
            dist_m[order], idx[order] = chord_to_arc_m(chord), found
        return dist_m, idx

    def build_grid(self, cells_per_deg: int = 4) -> NearestGrid:
        """Tabulate the nearest row of every cell centre (for ``scripts/build_geo.py``)."""
        lon, lat = NearestGrid.centres(cells_per_deg)
        _, idx = self._exact(unit_vectors(lon, lat), np.arange(lon.size))
        return NearestGrid.from_sites(idx, cells_per_deg)
