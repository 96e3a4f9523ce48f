"""Ports and anchorages: the shipped table's columns and a nearest-port index over it.

The table has one row per port or anchorage point: ``port_id`` (``source:key``, stable
between builds), ``name``, ``country`` (ISO 3166-1 alpha-3), ``kind`` (``port`` or
``anchorage``), ``lon`` and ``lat`` in degrees, ``is_dprk`` (true for every point in North
Korea) and ``source`` (``wpi``, ``gfw`` or ``ne``; see docs/geo.md). ``PortIndex`` finds the
nearest row for many points at once: a k-d tree over 3-D unit vectors answers exactly, and a
``NearestGrid`` lets points far from every port skip the tree (see ``stswatch.geo.grid``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.spatial import cKDTree

from stswatch.errors import InputError
from stswatch.geo.grid import NearestGrid, locality_order
from stswatch.geo.sphere import chord_to_arc_m, cos_to_arc_m, unit_vectors

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
        self.xyz = unit_vectors(lon_deg, lat_deg)
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
