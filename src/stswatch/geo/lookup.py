"""``Geo``: every geographic question the pipeline asks, answered for many points at once.

A ``Geo`` holds the reference geography (ports and anchorages, land polygons as rings, a land
raster and two nearest-site grids) and answers: distance to the nearest port or anchorage,
which one it is, distance to shore, and whether a position is on land. It implements
``stswatch.detect.base.GeoLookup``. Inputs are longitude and latitude arrays in degrees of
equal length; outputs align with them; positions with NaN or a latitude beyond the poles give
NaN distances and are not on land. ``default_geo()`` loads the data shipped in
``stswatch/data/geo`` once; nothing is loaded at import time, and the k-d trees are built on
first use (a second or two each).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from stswatch.errors import InputError, UsageError
from stswatch.geo.grid import NearestGrid
from stswatch.geo.land import LandMask
from stswatch.geo.ports import PORT_SCHEMA, PortIndex, check_ports
from stswatch.geo.rings import Rings
from stswatch.geo.shore import ShoreIndex

FloatArray = npt.NDArray[np.float64]

PORTS_FILE = "ports.parquet"
RINGS_FILE = "land_rings.npz"
LAND_FILE = "land_mask.npz"
SHORE_GRID_FILE = "shore_grid.npz"
PORT_GRID_FILE = "port_grid.npz"
MANIFEST_FILE = "manifest.json"
NEAREST_PORT_COLUMNS = ["dist_m", "port_id", "name", "country", "kind", "is_dprk"]


def data_dir() -> Path:
    """Directory of the geography shipped with the package."""
    return Path(str(resources.files("stswatch") / "data" / "geo"))


class Geo:
    """Reference geography with vectorized lookups (see the module docstring)."""

    def __init__(
        self,
        ports: pl.DataFrame,
        rings: Rings,
        land: LandMask | None = None,
        shore_grid: NearestGrid | None = None,
        port_grid: NearestGrid | None = None,
        workers: int = -1,
    ) -> None:
        """Geography from its parts; ``land`` is rasterized from ``rings`` when not given."""
        self._ports = check_ports(ports)
        self.rings = rings
        self.land = land if land is not None else LandMask.from_rings(rings)
        self._shore_grid = shore_grid
        self._port_grid = port_grid
        self.workers = workers
        self.manifest: dict[str, Any] = {}

    @classmethod
    def from_dir(cls, path: Path, workers: int = -1) -> Geo:
        """Load the files written by ``scripts/build_geo.py``."""
        if not (path / PORTS_FILE).is_file():
            raise InputError(
                f"{path} has no {PORTS_FILE}. Hint: build the geography with "
                "`python scripts/build_geo.py` or reinstall stswatch."
            )
        geo = cls(
            pl.read_parquet(path / PORTS_FILE),
            Rings.load(path / RINGS_FILE),
            LandMask.load(path / LAND_FILE),
            NearestGrid.load(path / SHORE_GRID_FILE),
            NearestGrid.load(path / PORT_GRID_FILE),
            workers=workers,
        )
        if (path / MANIFEST_FILE).is_file():
            geo.manifest = json.loads((path / MANIFEST_FILE).read_text())
        return geo

    @functools.cached_property
    def shore_index(self) -> ShoreIndex:
        return ShoreIndex(self.rings, self._shore_grid, workers=self.workers)

    @functools.cached_property
    def port_index(self) -> PortIndex:
        return PortIndex(
            self._ports["lon"].to_numpy(),
            self._ports["lat"].to_numpy(),
            self._port_grid,
            workers=self.workers,
        )

    def ports(self) -> pl.DataFrame:
        """The ports and anchorages table (columns of ``stswatch.geo.ports.PORT_SCHEMA``)."""
        return self._ports

    def distance_to_port_m(self, lon: FloatArray, lat: FloatArray) -> FloatArray:
        """Great-circle distance in metres to the nearest port or anchorage."""
        lon, lat = _coords(lon, lat)
        return self.port_index.nearest(lon, lat)[0]

    def nearest_port(self, lon: FloatArray, lat: FloatArray) -> pl.DataFrame:
        """One row per point: ``dist_m`` and the nearest port's id, name, country, kind, is_dprk.

        Rows for positions that are NaN or beyond the poles are all null.
        """
        lon, lat = _coords(lon, lat)
        return self._port_rows(*self.port_index.nearest(lon, lat))

    def nearest_port_within(self, lon: FloatArray, lat: FloatArray, max_m: float) -> pl.DataFrame:
        """``nearest_port``'s rows for the points that may be within ``max_m`` metres of a port
        or anchorage, each with its index ``i`` (Int64, first column). Every point within
        ``max_m`` is there, and so is every point ``nearest_port`` answers with nulls (NaN or
        beyond the poles); farther points may be left out. Much faster than ``nearest_port``
        when most points are far from every port (``PortIndex.nearest_within``)."""
        lon, lat = _coords(lon, lat)
        dist_m, row = self.port_index.nearest_within(lon, lat, max_m)
        i = np.flatnonzero(~np.isinf(dist_m))
        return self._port_rows(dist_m[i], row[i]).insert_column(0, pl.Series("i", i))

    def _port_rows(self, dist_m: FloatArray, row: npt.NDArray[np.int64]) -> pl.DataFrame:
        idx = pl.Series("idx", row).replace(-1, None)
        picked = self._ports.select([pl.col(c).gather(idx) for c in NEAREST_PORT_COLUMNS[1:]])
        return picked.insert_column(0, pl.Series("dist_m", dist_m).fill_nan(None))

    def distance_to_shore_m(self, lon: FloatArray, lat: FloatArray) -> FloatArray:
        """Great-circle distance in metres to the nearest coastline; 0 on land."""
        lon, lat = _coords(lon, lat)
        out = np.where(np.isfinite(lon) & np.isfinite(lat), 0.0, np.nan)
        sea = np.flatnonzero(~self.land.contains(lon, lat) & np.isfinite(out))
        out[sea] = self.shore_index.distance_m(lon[sea], lat[sea])
        return out

    def on_land(self, lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
        """True where the position is inside the land polygons (see docs/geo.md)."""
        lon, lat = _coords(lon, lat)
        return self.land.contains(lon, lat)


@functools.cache
def default_geo() -> Geo:
    """The geography shipped with stswatch, loaded on the first call and then shared."""
    return Geo.from_dir(data_dir())


def _coords(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """The inputs as flat float64 arrays (never modified), latitudes beyond the poles as NaN."""
    lon_a = np.asarray(lon, dtype=np.float64).ravel()
    lat_a = np.asarray(lat, dtype=np.float64).ravel()
    if lon_a.shape != lat_a.shape:
        raise UsageError(
            f"lon has {lon_a.size} values but lat has {lat_a.size}. "
            "Hint: pass one longitude and one latitude per position."
        )
    bad = ~(np.abs(lat_a) <= 90.0)
    if bad.any():
        lat_a = np.where(bad, np.nan, lat_a)
    return lon_a, lat_a


__all__ = ["PORT_SCHEMA", "Geo", "data_dir", "default_geo"]
