"""An offline basemap: the shipped Natural Earth land rings, drawn for one map view.

A ``View`` is a box in an equirectangular frame centred on ``lon0``: longitudes are
unwrapped around ``lon0`` (``unwrap``), so a view across the antimeridian runs, say, from
170 to 190 degrees and nothing is drawn across the world. Land is filled by an exact
even-odd scanline fill of the rings at the map's own pixel size (``land_raster``: the rings
do not say which are holes, so a vector fill would need their nesting); the coastline is
drawn on top as vectors (``coast_segments``), thinned to about one vertex per pixel. Rings
are tested against the view shifted by -360, 0 and +360 degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from stswatch.geo import data_dir
from stswatch.geo.rings import Rings
from stswatch.resample import METERS_PER_DEGREE

FloatArray = npt.NDArray[np.float64]
RINGS_FILE = "land_rings.npz"
MAX_ABS_LAT_DEG = 85.0  # views are clipped here; the equirectangular frame stretches beyond
_SHIFTS_DEG = (-360.0, 0.0, 360.0)


@cache
def land_rings() -> Rings:
    """Natural Earth 10 m land and minor islands, as shipped (see data/geo/SOURCES.md)."""
    return Rings.load(data_dir() / RINGS_FILE)


@dataclass(frozen=True)
class View:
    """A map box in degrees; ``west``/``east`` are unwrapped around ``lon0`` (may pass 180)."""

    lon0: float
    west: float
    east: float
    south: float
    north: float

    @property
    def lat0(self) -> float:
        return (self.south + self.north) / 2.0

    @property
    def x_scale(self) -> float:
        """Length of a degree of longitude relative to one of latitude at ``lat0``."""
        return max(math.cos(math.radians(self.lat0)), 0.05)


def wrap(lon: FloatArray | float) -> FloatArray:
    return (np.asarray(lon, dtype=np.float64) + 180.0) % 360.0 - 180.0


def unwrap(lon: FloatArray, lon0: float) -> FloatArray:
    """Longitudes within 180 degrees of ``lon0`` (``lon0 + 200`` becomes ``lon0 - 160``)."""
    return lon0 + wrap(np.asarray(lon, dtype=np.float64) - lon0)


def circular_mean(lon: FloatArray) -> float:
    r = np.radians(lon)
    return float(np.degrees(np.arctan2(np.sin(r).mean(), np.cos(r).mean())))


def extent_deg(lon: FloatArray, lat: FloatArray) -> float:
    """The larger side of the points' bounding box, in degrees of latitude."""
    x = unwrap(lon, circular_mean(lon))
    kx = max(math.cos(math.radians(float(np.mean(lat)))), 0.05)
    return max(float(np.ptp(lat)), float(np.ptp(x)) * kx)


def fit_view(
    lon: FloatArray,
    lat: FloatArray,
    width_over_height: float,
    pad: float = 0.08,
    min_span_km: float = 20.0,
) -> View:
    """The smallest view with the points inside (plus ``pad`` of its size around), at least
    ``min_span_km`` tall, with the shape of the plot (``width_over_height`` on paper)."""
    lon0 = circular_mean(lon)
    x = unwrap(lon, lon0)
    west, east = float(x.min()), float(x.max())
    south, north = float(np.min(lat)), float(np.max(lat))
    cx, cy = (west + east) / 2.0, (south + north) / 2.0
    kx = max(math.cos(math.radians(cy)), 0.05)
    # half sizes in "latitude degrees" (a degree of longitude counts kx)
    half_h = max((north - south) / 2.0, min_span_km * 1000.0 / METERS_PER_DEGREE / 2.0)
    half_w = (east - west) / 2.0 * kx
    half_h, half_w = half_h * (1 + 2 * pad), half_w * (1 + 2 * pad)
    if half_w / half_h > width_over_height:
        half_h = half_w / width_over_height
    else:
        half_w = half_h * width_over_height
    south, north = cy - half_h, cy + half_h
    if south < -MAX_ABS_LAT_DEG:
        south, north = -MAX_ABS_LAT_DEG, min(-MAX_ABS_LAT_DEG + 2 * half_h, MAX_ABS_LAT_DEG)
    if north > MAX_ABS_LAT_DEG:
        south, north = max(MAX_ABS_LAT_DEG - 2 * half_h, -MAX_ABS_LAT_DEG), MAX_ABS_LAT_DEG
    half_lon = min(half_w / kx, 180.0)
    return View(lon0=cx, west=cx - half_lon, east=cx + half_lon, south=south, north=north)


def _ring_boxes(rings: Rings) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    starts = rings.offsets[:-1]
    return (
        np.minimum.reduceat(rings.lon_deg, starts),
        np.maximum.reduceat(rings.lon_deg, starts),
        np.minimum.reduceat(rings.lat_deg, starts),
        np.maximum.reduceat(rings.lat_deg, starts),
    )


def _edges_in_view(rings: Rings, view: View) -> list[tuple[npt.NDArray[np.int64], float]]:
    """(first-vertex index of every edge of each ring that touches the view, shift)."""
    w, e, s, n = _ring_boxes(rings)
    j = rings.edges()
    ring_of_edge = np.searchsorted(rings.offsets, j, side="right") - 1
    out = []
    for shift in _SHIFTS_DEG:
        hit = (w + shift <= view.east) & (e + shift >= view.west)
        hit &= (s <= view.north) & (n >= view.south)
        if hit.any():
            out.append((j[hit[ring_of_edge]], shift))
    return out


def land_raster(view: View, width_px: int, height_px: int) -> npt.NDArray[np.bool_]:
    """(height_px, width_px) booleans, row 0 at the north: True where the pixel centre is on
    land by the even-odd rule over every ring that reaches the view."""
    rings = land_rings()
    dy = (view.north - view.south) / height_px
    dx = (view.east - view.west) / width_px
    keys = []
    for j, shift in _edges_in_view(rings, view):
        x0, x1 = rings.lon_deg[j] + shift, rings.lon_deg[j + 1] + shift
        y0, y1 = rings.lat_deg[j], rings.lat_deg[j + 1]
        # pixel row r (0 = north) has its centre at north - (r + 0.5) dy; an edge crosses
        # it when min(y) <= y_r < max(y), as in stswatch.geo.land
        lo, hi = np.minimum(y0, y1), np.maximum(y0, y1)
        first = np.floor((view.north - hi) / dy + 0.5).astype(np.int64)  # y_r < hi
        last = np.floor((view.north - lo) / dy - 0.5).astype(np.int64)  # y_r >= lo
        first = np.clip(first, 0, height_px)
        last = np.clip(last, -1, height_px - 1)
        counts = np.maximum(last - first + 1, 0)
        edge = np.repeat(np.arange(j.size), counts)
        row = first[edge] + (np.arange(edge.size) - np.repeat(np.cumsum(counts) - counts, counts))
        y_row = view.north - (row + 0.5) * dy
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (y_row - y0[edge]) / (y1[edge] - y0[edge])
        x = x0[edge] + t * (x1[edge] - x0[edge])
        col = np.clip((x - view.west) / dx, -1.0, width_px + 1.0)
        keys.append(row * (width_px + 4.0) + col + 1.0)
    if not keys:
        return np.zeros((height_px, width_px), dtype=bool)
    k = np.sort(np.concatenate(keys))
    rows = np.arange(height_px, dtype=np.float64)[:, None] * (width_px + 4.0)
    centre = rows + np.arange(width_px, dtype=np.float64)[None, :] + 0.5 + 1.0
    before = np.searchsorted(k, centre.ravel()) - np.searchsorted(k, rows.ravel().repeat(width_px))
    return ((before & 1) == 1).reshape(height_px, width_px)


def coast_segments(view: View, px_deg: float) -> list[FloatArray]:
    """Coastline polylines ((n, 2) lon/lat arrays) near the view, at most one vertex per
    ``px_deg`` degrees; the artificial edges along the antimeridian and the pole are left
    out."""
    rings = land_rings()
    coast = np.zeros(rings.n_vertices, dtype=bool)
    coast[rings.coast_edges()] = True
    out: list[FloatArray] = []
    margin = 2 * px_deg
    for j, shift in _edges_in_view(rings, view):
        x0, y0 = rings.lon_deg[j] + shift, rings.lat_deg[j]
        x1, y1 = rings.lon_deg[j + 1] + shift, rings.lat_deg[j + 1]
        keep = coast[j]
        keep &= (np.maximum(x0, x1) >= view.west - margin) & (
            np.minimum(x0, x1) <= view.east + margin
        )
        keep &= (np.maximum(y0, y1) >= view.south - margin) & (
            np.minimum(y0, y1) <= view.north + margin
        )
        idx = j[keep]
        if idx.size == 0:
            continue
        # runs of consecutive edges become polylines
        breaks = np.flatnonzero(np.diff(idx) != 1) + 1
        for run in np.split(idx, breaks):
            verts = np.append(run, run[-1] + 1)
            xy = np.column_stack([rings.lon_deg[verts] + shift, rings.lat_deg[verts]])
            out.append(_thin(xy, px_deg))
    return out


def _thin(xy: FloatArray, px_deg: float) -> FloatArray:
    """Drop vertices that stay in the pixel of the previous kept one (ends always kept)."""
    if xy.shape[0] <= 2 or px_deg <= 0:
        return xy
    cell = np.floor(xy / px_deg).astype(np.int64)
    moved = np.any(np.diff(cell, axis=0) != 0, axis=1)
    keep = np.concatenate([[True], moved])
    keep[-1] = True
    return xy[keep]
