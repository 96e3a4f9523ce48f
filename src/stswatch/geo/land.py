"""Land mask: a two-level raster that answers "is this position on land?" in O(1) per point.

The globe is cut into coarse cells (1/8 degree by default). A cell that no coastline
crosses is all land or all water, one byte says which. A cell that a coastline crosses
("mixed") carries a bitmap of fine cells (32 x 32, so 1/256 degree, about 430 m north-south),
each bit being whether the centre of that fine cell lies inside the land polygons. A lookup
is therefore exact except within half a fine cell (at most about 300 m) of the coastline. The
raster is built from ``Rings`` by an even-odd scanline rule: a point is on land when a ray
running west from it to the antimeridian crosses the rings an odd number of times.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from stswatch.errors import InputError
from stswatch.geo.npz import save_npz
from stswatch.geo.rings import Rings

WATER = np.int32(-1)
LAND = np.int32(-2)
_ROW_KEY = 512.0  # row stride of the scanline sort key; more than the 360 degrees of a row


class _Crossings:
    """Where the ring edges cross horizontal scanlines at row centres, sorted by (row, lon)."""

    def __init__(self, rings: Rings, rows_per_deg: int) -> None:
        j = rings.edges()
        x0 = np.clip(rings.lon_deg[j], -180.0, 180.0)
        x1 = np.clip(rings.lon_deg[j + 1], -180.0, 180.0)
        y0 = np.clip(rings.lat_deg[j], -90.0, 90.0)
        y1 = np.clip(rings.lat_deg[j + 1], -90.0, 90.0)
        # Row r (centre latitude y_r) is crossed when min(y0, y1) <= y_r < max(y0, y1).
        first = np.ceil((np.minimum(y0, y1) + 90.0) * rows_per_deg - 0.5).astype(np.int64)
        stop = np.ceil((np.maximum(y0, y1) + 90.0) * rows_per_deg - 0.5).astype(np.int64)
        counts = np.maximum(stop - first, 0)
        edge = np.repeat(np.arange(j.size), counts)
        row = first[edge] + (np.arange(edge.size) - np.repeat(np.cumsum(counts) - counts, counts))
        y_row = -90.0 + (row + 0.5) / rows_per_deg
        t = (y_row - y0[edge]) / (y1[edge] - y0[edge])
        x = x0[edge] + t * (x1[edge] - x0[edge])
        self.rows_per_deg = rows_per_deg
        self.keys = np.sort(row * _ROW_KEY + (x + 180.0))

    def inside(self, row: npt.NDArray[np.int64], lon_deg: npt.NDArray[np.float64]) -> npt.NDArray:
        """Even-odd rule at (row centre, lon): True where the point is inside the rings."""
        row_start = np.searchsorted(self.keys, row * _ROW_KEY, side="left")
        left = np.searchsorted(self.keys, row * _ROW_KEY + (lon_deg + 180.0), side="left")
        return ((left - row_start) & 1).astype(bool)


@dataclass(frozen=True)
class LandMask:
    """Two-level land raster (see the module docstring)."""

    code: npt.NDArray[np.int32]  # (180*cells_per_deg, 360*cells_per_deg): WATER, LAND or mask row
    masks: npt.NDArray[np.uint8]  # (n_mixed, fine_per_cell**2 / 8): packed fine bits, row-major
    cells_per_deg: int
    fine_per_cell: int

    @property
    def fine_per_deg(self) -> int:
        return self.cells_per_deg * self.fine_per_cell

    def contains(
        self, lon_deg: npt.NDArray[np.float64], lat_deg: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_]:
        """True where (lon, lat) is on land; NaN positions are not on land."""
        lon = np.asarray(lon_deg, dtype=np.float64)
        lat = np.asarray(lat_deg, dtype=np.float64)
        ok = np.isfinite(lon) & np.isfinite(lat)
        fpd, f = self.fine_per_deg, self.fine_per_cell
        lon_w = np.where(ok, (lon + 180.0) % 360.0, 0.0)
        lat_w = np.where(ok, lat + 90.0, 0.0)
        fi = np.clip(np.floor(lat_w * fpd).astype(np.int64), 0, 180 * fpd - 1)
        fj = np.clip(np.floor(lon_w * fpd).astype(np.int64), 0, 360 * fpd - 1)
        code = self.code[fi // f, fj // f]
        out = (code == LAND) & ok
        mixed = np.flatnonzero((code >= 0) & ok)
        bit = (fi[mixed] % f) * f + fj[mixed] % f
        byte = self.masks[code[mixed], bit >> 3]
        out[mixed] = ((byte >> (7 - (bit & 7))) & 1).astype(bool)
        return out

    @classmethod
    def from_rings(cls, rings: Rings, cells_per_deg: int = 8, fine_per_cell: int = 32) -> LandMask:
        """Rasterize land rings (a few seconds for Natural Earth 10 m)."""
        if fine_per_cell % 8:
            raise ValueError(f"fine_per_cell={fine_per_cell} must be a multiple of 8")
        n_lat, n_lon = 180 * cells_per_deg, 360 * cells_per_deg
        mixed = _cells_touched(rings, cells_per_deg, n_lat, n_lon)
        coarse = _Crossings(rings, cells_per_deg)
        rows = np.repeat(np.arange(n_lat, dtype=np.int64), n_lon)
        lons = np.tile(-180.0 + (np.arange(n_lon) + 0.5) / cells_per_deg, n_lat)
        land = coarse.inside(rows, lons).reshape(n_lat, n_lon)
        code = np.where(land, LAND, WATER).astype(np.int32)
        ci, cj = np.nonzero(mixed)
        code[ci, cj] = np.arange(ci.size, dtype=np.int32)
        fine = _Crossings(rings, cells_per_deg * fine_per_cell)
        masks = np.zeros((ci.size, fine_per_cell * fine_per_cell // 8), dtype=np.uint8)
        a, b = np.divmod(np.arange(fine_per_cell * fine_per_cell, dtype=np.int64), fine_per_cell)
        chunk = max(1, 4_000_000 // (fine_per_cell * fine_per_cell))
        for start in range(0, ci.size, chunk):
            c_i, c_j = ci[start : start + chunk, None], cj[start : start + chunk, None]
            fine_row = c_i * fine_per_cell + a[None, :]
            fine_lon = -180.0 + (c_j * fine_per_cell + b[None, :] + 0.5) / fine.rows_per_deg
            bits = fine.inside(fine_row.ravel(), fine_lon.ravel()).reshape(fine_row.shape)
            masks[start : start + chunk] = np.packbits(bits, axis=1)
        return cls(code, masks, cells_per_deg, fine_per_cell)

    def save(self, path: Path) -> None:
        """Write as ``.npz``: a one-byte state per coarse cell plus the packed fine masks."""
        state = np.where(self.code == LAND, 1, np.where(self.code == WATER, 0, 2)).astype(np.uint8)
        save_npz(
            path,
            state=state,
            masks=self.masks,
            grid=np.array([self.cells_per_deg, self.fine_per_cell], dtype=np.int64),
        )

    @classmethod
    def load(cls, path: Path) -> LandMask:
        """Read a file written by ``save``."""
        try:
            with np.load(path) as z:
                state, masks = z["state"], z["masks"]
                cells_per_deg, fine_per_cell = (int(v) for v in z["grid"])
        except (OSError, KeyError, ValueError) as exc:
            raise InputError(
                f"{path} is not a stswatch land-mask file ({exc}). "
                "Hint: rebuild it with `python scripts/build_geo.py`."
            ) from exc
        code = np.where(state == 1, LAND, WATER).astype(np.int32)
        mixed = state == 2
        code[mixed] = np.arange(int(mixed.sum()), dtype=np.int32)
        return cls(code, masks, cells_per_deg, fine_per_cell)


def _cells_touched(
    rings: Rings, cells_per_deg: int, n_lat: int, n_lon: int
) -> npt.NDArray[np.bool_]:
    """Coarse cells that some edge passes through.

    Each edge is sampled at most half a cell apart, so between two samples it crosses at most
    one grid line each way: the cells of the samples and the two "corner" cells
    (row of one, column of the other) cover every cell it passes through.
    """
    j = rings.edges()
    x0, y0 = rings.lon_deg[j], rings.lat_deg[j]
    dx, dy = rings.lon_deg[j + 1] - x0, rings.lat_deg[j + 1] - y0
    steps = np.ceil(np.hypot(dx, dy) * cells_per_deg * 2.0).astype(np.int64) + 1
    edge = np.repeat(np.arange(j.size), steps)
    k = np.arange(edge.size) - np.repeat(np.cumsum(steps) - steps, steps)
    t = k / np.maximum(steps[edge] - 1, 1)
    x = x0[edge] + t * dx[edge]
    y = y0[edge] + t * dy[edge]
    i_cell = np.clip(np.floor((y + 90.0) * cells_per_deg).astype(np.int64), 0, n_lat - 1)
    j_cell = np.clip(np.floor((x + 180.0) * cells_per_deg).astype(np.int64), 0, n_lon - 1)
    touched = np.zeros((n_lat, n_lon), dtype=bool)
    touched[i_cell, j_cell] = True
    same_edge = edge[1:] == edge[:-1]
    touched[i_cell[1:][same_edge], j_cell[:-1][same_edge]] = True
    touched[i_cell[:-1][same_edge], j_cell[1:][same_edge]] = True
    return touched
