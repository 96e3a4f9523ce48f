"""Nearest-site grid: for the centre of every cell of a global grid, which site is nearest.

A "site" is whatever an index answers about (a coastline edge, a port), named by an integer.
Looking up a point takes the sites of the four cell centres around it; the distance to the
nearest of those is the distance to a real site, so it is an upper bound of the true nearest
distance, and far from all sites (many cell sizes away) it is almost always exact. The
indexes use it to skip the k-d tree for far points, where k-d tree queries are slowest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from stswatch.errors import InputError
from stswatch.geo.npz import save_npz

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_PAD = np.iinfo(np.int32).max


@dataclass(frozen=True)
class NearestGrid:
    """Nearest site of each cell centre; shape (180 * cells_per_deg, 360 * cells_per_deg)."""

    site: npt.NDArray[np.int32]
    cells_per_deg: int

    @staticmethod
    def centres(cells_per_deg: int) -> tuple[FloatArray, FloatArray]:
        """Longitudes and latitudes (flattened, row-major from the south) of all cell centres."""
        lat_c = -90.0 + (np.arange(180 * cells_per_deg) + 0.5) / cells_per_deg
        lon_c = -180.0 + (np.arange(360 * cells_per_deg) + 0.5) / cells_per_deg
        lon_g, lat_g = np.meshgrid(lon_c, lat_c)
        return lon_g.ravel(), lat_g.ravel()

    @classmethod
    def from_sites(cls, site: npt.ArrayLike, cells_per_deg: int) -> NearestGrid:
        """Grid from the nearest site of each centre, in the order of ``centres``."""
        shape = (180 * cells_per_deg, 360 * cells_per_deg)
        return cls(np.asarray(site, dtype=np.int32).reshape(shape), cells_per_deg)

    def candidates(self) -> npt.NDArray[np.int32]:
        """Distinct sites of the four centres around each dual cell, padded with -1.

        Dual cell (i, j) has corners at centres (i - 1, j - 1) to (i, j), with rows clamped at
        the poles and columns wrapping across the antimeridian; shape (n_lat + 1, n_lon, 4).
        """
        rows = np.vstack([self.site[:1], self.site, self.site[-1:]])
        corners = [
            np.roll(rows[:-1], 1, axis=1),
            rows[:-1],
            np.roll(rows[1:], 1, axis=1),
            rows[1:],
        ]
        cand = np.sort(np.stack(corners, axis=-1), axis=-1)
        repeat = np.zeros(cand.shape, dtype=bool)
        repeat[..., 1:] = cand[..., 1:] == cand[..., :-1]
        cand[repeat] = _PAD
        cand = np.sort(cand, axis=-1)
        cand[cand == _PAD] = -1
        return cand

    def dual_cell(self, lon_deg: FloatArray, lat_deg: FloatArray) -> tuple[IntArray, IntArray]:
        """Index of the dual cell (see ``candidates``) that holds each point."""
        n_lat, n_lon = self.site.shape
        fi = (lat_deg + 90.0) * self.cells_per_deg + 0.5
        fj = ((lon_deg + 180.0) % 360.0) * self.cells_per_deg + 0.5
        i = np.clip(np.floor(fi).astype(np.int64), 0, n_lat)
        j = np.floor(fj).astype(np.int64) % n_lon
        return i, j

    def save(self, path: Path) -> None:
        """Write as ``.npz``, row-wise delta-encoded so that it deflates well."""
        deltas = np.diff(self.site, axis=1, prepend=np.int32(0))
        save_npz(path, deltas=deltas, cells_per_deg=np.int64(self.cells_per_deg))

    @classmethod
    def load(cls, path: Path) -> NearestGrid:
        """Read a file written by ``save``."""
        try:
            with np.load(path) as z:
                site = np.cumsum(z["deltas"], axis=1, dtype=np.int64).astype(np.int32)
                cells_per_deg = int(z["cells_per_deg"])
        except (OSError, KeyError, ValueError) as exc:
            raise InputError(
                f"{path} is not a stswatch nearest-site grid ({exc}). "
                "Hint: rebuild it with `python scripts/build_geo.py`."
            ) from exc
        return cls(site, cells_per_deg)


def locality_order(lon_deg: FloatArray, lat_deg: FloatArray, cells_per_deg: int = 4) -> IntArray:
    """A permutation that groups points by grid cell (row-major from the south).

    k-d tree queries made in this order reuse the same tree nodes from one point to the
    next, which measured two to three times faster than random order for a million points.
    """
    n_lon = 360 * cells_per_deg
    i = np.floor((np.clip(lat_deg, -90.0, 90.0) + 90.0) * cells_per_deg).astype(np.int64)
    j = np.floor(((lon_deg + 180.0) % 360.0) * cells_per_deg).astype(np.int64)
    return np.argsort(i * n_lon + j, kind="stable")
