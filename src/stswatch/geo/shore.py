"""Distance to shore: exact near the coast (k-d tree), a tabled nearest edge far from it.

Near the coast, every coastline edge of the land ``Rings`` (the artificial antimeridian and
pole edges left out) is sampled at most ``max_spacing_m`` apart, the samples go into a SciPy
``cKDTree`` as 3-D unit vectors, and a query measures the exact great-circle distance to the
edges through the nearest sample. The answer is never below the true distance and exceeds it
by at most ``sqrt(d**2 + (s/2)**2) - d`` for true distance ``d`` and spacing ``s`` (0.5 km at
the coast for s = 1 km, vanishing further out); in practice it is exact.

Far from the coast a k-d tree query is slow (many tree cells are equally far), so a
``NearestGrid`` built once stores, for the centre of every 1/4-degree cell, which edge is
nearest to it. A point's distance is first estimated as the distance to the edges of the four
surrounding cell centres; that is the distance to real coastline, so it is an upper bound, and
where it is below ``exact_within_m`` the k-d tree gives the exact answer instead.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from stswatch.errors import InputError
from stswatch.geo.grid import NearestGrid, locality_order
from stswatch.geo.rings import Rings
from stswatch.geo.sphere import Arcs, chord_to_arc_m, cos_to_arc_m, unit_vectors

DEFAULT_MAX_SPACING_M = 1000.0  # k-d tree sample spacing; bounds the error at 500 m
DEFAULT_EXACT_WITHIN_M = 150_000.0  # below this estimate, use the exact k-d tree (> 50 nm + margin)
_CHUNK = 1_000_000  # points per batch; bounds temporary memory to a few hundred MB

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class ShoreIndex:
    """Nearest-coastline distances for many points at once (see the module docstring)."""

    def __init__(
        self,
        rings: Rings,
        grid: NearestGrid | None = None,
        max_spacing_m: float = DEFAULT_MAX_SPACING_M,
        exact_within_m: float = DEFAULT_EXACT_WITHIN_M,
        workers: int = -1,
    ) -> None:
        xyz = unit_vectors(rings.lon_deg, rings.lat_deg)
        self.edges = Arcs(xyz, np.roll(xyz, -1, axis=0))  # arc j: vertex j to j + 1
        self.points, self.edge_of_point = densify(rings, max_spacing_m)
        self.tree = cKDTree(self.points, balanced_tree=False, compact_nodes=False)
        if grid is not None and grid.site.size and int(grid.site.max()) >= rings.n_vertices - 1:
            raise InputError(
                f"the shore grid names edge {int(grid.site.max())} but the rings have "
                f"{rings.n_vertices} vertices. Hint: rebuild both with `python scripts/build_geo.py`."
            )
        self.grid = grid
        self._candidates = grid.candidates() if grid is not None else np.zeros((0, 0, 4), np.int32)
        self.exact_within_m = exact_within_m
        self.workers = workers

    def distance_m(self, lon_deg: FloatArray, lat_deg: FloatArray) -> FloatArray:
        """Great-circle distance in metres to the nearest coastline; NaN for NaN positions."""
        lon = np.asarray(lon_deg, dtype=np.float64)
        lat = np.asarray(lat_deg, dtype=np.float64)
        out = np.full(lon.shape, np.nan)
        ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
        if self.points.shape[0] == 0:
            out[ok] = np.inf
            return out
        for start in range(0, ok.size, _CHUNK):
            rows = ok[start : start + _CHUNK]
            out[rows] = self._distance_m(lon[rows], lat[rows])
        return out

    def nearest_edge(self, lon_deg: FloatArray, lat_deg: FloatArray) -> tuple[FloatArray, IntArray]:
        """Exact distance (k-d tree path) and the ring vertex starting the nearest edge."""
        p = unit_vectors(lon_deg, lat_deg)
        order = locality_order(np.asarray(lon_deg), np.asarray(lat_deg))
        idx = np.empty(p.shape[0], dtype=np.int64)
        idx[order] = self.tree.query(p[order], k=1, workers=self.workers)[1]
        here = self.edge_of_point[idx]
        prev = self.edge_of_point[np.maximum(idx - 1, 0)]
        d_here = self.edges.distance_m(p, here)
        d_prev = self.edges.distance_m(p, prev)
        use_prev = d_prev < d_here
        return np.where(use_prev, d_prev, d_here), np.where(use_prev, prev, here)

    def _distance_m(self, lon: FloatArray, lat: FloatArray) -> FloatArray:
        if self.grid is None:
            return self.nearest_edge(lon, lat)[0]
        p = unit_vectors(lon, lat)
        cand = self._candidates[self.grid.dual_cell(lon, lat)]
        best_cos = self.edges.cos(p, cand[:, 0])
        for slot in range(1, cand.shape[1]):
            rows = np.flatnonzero(cand[:, slot] >= 0)
            best_cos[rows] = np.maximum(best_cos[rows], self.edges.cos(p[rows], cand[rows, slot]))
        best_m = cos_to_arc_m(best_cos)
        near = np.flatnonzero(best_m < self.exact_within_m)
        best_m[near] = self.nearest_edge(lon[near], lat[near])[0]
        return best_m

    def build_grid(self, cells_per_deg: int = 4) -> NearestGrid:
        """Tabulate the nearest edge of every cell centre (for ``scripts/build_geo.py``)."""
        lon, lat = NearestGrid.centres(cells_per_deg)
        return NearestGrid.from_sites(self.nearest_edge(lon, lat)[1], cells_per_deg)


def densify(rings: Rings, max_spacing_m: float) -> tuple[FloatArray, IntArray]:
    """Samples of the coastline no more than ``max_spacing_m`` apart along each edge.

    Returns the samples as unit vectors (n, 3) and, for each, the ring vertex that starts
    the edge it lies on. Each edge contributes its start and inner points, and its end only
    when no coast edge follows. Samples follow the great circle of the edge.
    """
    j = rings.coast_edges()
    if j.size == 0:
        return np.zeros((0, 3)), np.zeros(0, dtype=np.int64)
    a = unit_vectors(rings.lon_deg[j], rings.lat_deg[j])
    b = unit_vectors(rings.lon_deg[j + 1], rings.lat_deg[j + 1])
    length_m = chord_to_arc_m(np.linalg.norm(b - a, axis=1))
    n_pieces = np.maximum(np.ceil(length_m / max_spacing_m), 1).astype(np.int64)
    ends_run = np.ones(j.size, dtype=bool)
    ends_run[:-1] = j[1:] != j[:-1] + 1
    counts = n_pieces + ends_run
    edge = np.repeat(np.arange(j.size), counts)
    k = np.arange(edge.size) - np.repeat(np.cumsum(counts) - counts, counts)
    t = (k / n_pieces[edge])[:, None]
    pts = a[edge] * (1.0 - t) + b[edge] * t
    pts /= np.linalg.norm(pts, axis=1)[:, None]
    return pts, j[edge]
