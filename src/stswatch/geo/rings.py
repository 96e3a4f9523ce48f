"""Land polygons as closed rings in flat coordinate arrays, and their compact file form.

A ``Rings`` value holds every ring (outer boundaries and holes alike) of a set of land
polygons: vertex longitudes and latitudes in degrees, and ``offsets`` such that ring ``i`` is
vertices ``offsets[i]:offsets[i + 1]`` with the last vertex equal to the first. Which side is
land does not depend on ring orientation (the rasterizer uses the even-odd rule). Edges that
only close a polygon along the antimeridian or the South Pole are not coastline;
``coast_edges`` leaves them out. On disk, coordinates are stored as integer steps of
``1e-5`` degrees (at most 0.6 m of rounding), delta-encoded and deflated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from stswatch.errors import InputError
from stswatch.geo.npz import save_npz

QUANTUM_DEG = 1e-5  # storage step of coordinates; 1.1 m of latitude
_CUT_LON_DEG = 180.0 - 1e-4  # both ends beyond this: an edge along the antimeridian cut
_POLE_LAT_DEG = -90.0 + 1e-4  # both ends below this: the edge closing Antarctica at the pole


@dataclass(frozen=True)
class Rings:
    """Closed rings of land polygons (see the module docstring)."""

    lon_deg: npt.NDArray[np.float64]
    lat_deg: npt.NDArray[np.float64]
    offsets: npt.NDArray[np.int64]

    @property
    def n_vertices(self) -> int:
        return int(self.lon_deg.size)

    @property
    def n_rings(self) -> int:
        return int(self.offsets.size - 1)

    def edges(self) -> npt.NDArray[np.int64]:
        """Index of the first vertex of every edge (edge ``j`` runs from vertex j to j+1)."""
        last = np.zeros(self.n_vertices, dtype=bool)
        last[self.offsets[1:] - 1] = True
        return np.flatnonzero(~last).astype(np.int64)

    def coast_edges(self) -> npt.NDArray[np.int64]:
        """Like ``edges`` but without the artificial edges along the antimeridian and pole."""
        j = self.edges()
        lon0, lon1 = np.abs(self.lon_deg[j]), np.abs(self.lon_deg[j + 1])
        lat0, lat1 = self.lat_deg[j], self.lat_deg[j + 1]
        cut = (lon0 > _CUT_LON_DEG) & (lon1 > _CUT_LON_DEG)
        pole = (lat0 < _POLE_LAT_DEG) & (lat1 < _POLE_LAT_DEG)
        return j[~(cut | pole)]

    @classmethod
    def from_lists(cls, rings: list[npt.ArrayLike]) -> Rings:
        """Rings from a list of (n, 2) lon/lat arrays; each ring is closed if it is not."""
        closed = []
        for ring in rings:
            xy = np.asarray(ring, dtype=np.float64).reshape(-1, 2)
            if xy.shape[0] and not np.array_equal(xy[0], xy[-1]):
                xy = np.vstack([xy, xy[:1]])
            closed.append(xy)
        sizes = np.array([xy.shape[0] for xy in closed], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        xy_all = np.vstack(closed) if closed else np.zeros((0, 2))
        lon = np.ascontiguousarray(xy_all[:, 0], dtype=np.float64)
        lat = np.ascontiguousarray(xy_all[:, 1], dtype=np.float64)
        return cls(lon, lat, offsets)

    def save(self, path: Path) -> None:
        """Write the compact file form (quantized, delta-encoded, deflated ``.npz``)."""
        q_lon = np.round(np.clip(self.lon_deg, -180.0, 180.0) / QUANTUM_DEG).astype(np.int32)
        q_lat = np.round(np.clip(self.lat_deg, -90.0, 90.0) / QUANTUM_DEG).astype(np.int32)
        save_npz(
            path,
            d_lon=np.diff(q_lon, prepend=np.int32(0)),
            d_lat=np.diff(q_lat, prepend=np.int32(0)),
            offsets=self.offsets,
        )

    @classmethod
    def load(cls, path: Path) -> Rings:
        """Read a file written by ``save``."""
        try:
            with np.load(path) as z:
                lon = (np.cumsum(z["d_lon"], dtype=np.int64) * QUANTUM_DEG).astype(
                    np.float64, copy=False
                )
                lat = (np.cumsum(z["d_lat"], dtype=np.int64) * QUANTUM_DEG).astype(
                    np.float64, copy=False
                )
                offsets = z["offsets"].astype(np.int64)
        except (OSError, KeyError, ValueError) as exc:
            raise InputError(
                f"{path} is not a stswatch land-rings file ({exc}). "
                "Hint: rebuild it with `python scripts/build_geo.py`."
            ) from exc
        return cls(lon, lat, offsets)
