"""Spherical geometry on unit vectors: the one place where degrees become metres.

Points are 3-D unit vectors on a sphere of radius ``EARTH_RADIUS_M``. The straight-line
(chord) distance between two unit vectors is what a k-d tree measures, and
``chord_to_arc_m`` turns it into the great-circle distance exactly, so nearest-neighbour
search in 3-D is nearest-neighbour search on the globe, with no special case at the
antimeridian or the poles. ``Arcs`` measures distances from points to great-circle arcs
(coastline edges) with dot products only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from stswatch.units import EARTH_RADIUS_M

_MIN_ARC_RAD = 1e-7  # 0.64 m; shorter arcs count as points (see ``Arcs``)

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.integer[Any]]


def unit_vectors(lon_deg: npt.ArrayLike, lat_deg: npt.ArrayLike) -> FloatArray:
    """Unit vectors, shape (n, 3), for longitudes and latitudes in degrees."""
    lon_rad = np.radians(np.asarray(lon_deg, dtype=np.float64))
    lat_rad = np.radians(np.asarray(lat_deg, dtype=np.float64))
    cos_lat = np.cos(lat_rad)
    return np.stack([cos_lat * np.cos(lon_rad), cos_lat * np.sin(lon_rad), np.sin(lat_rad)], -1)


def chord_to_arc_m(chord: npt.ArrayLike) -> FloatArray:
    """Great-circle distance in metres for chord lengths between unit vectors."""
    half = np.clip(np.asarray(chord, dtype=np.float64) / 2.0, 0.0, 1.0)
    return 2.0 * EARTH_RADIUS_M * np.arcsin(half)


def arc_m_to_chord(arc_m: npt.ArrayLike) -> FloatArray:
    """Chord length between unit vectors that are ``arc_m`` metres apart on the globe."""
    angle_rad = np.clip(np.asarray(arc_m, dtype=np.float64) / EARTH_RADIUS_M, 0.0, np.pi)
    return 2.0 * np.sin(angle_rad / 2.0)


def cos_to_arc_m(cos: npt.ArrayLike) -> FloatArray:
    """Great-circle distance in metres for the cosine of the angle at the Earth's centre."""
    return EARTH_RADIUS_M * np.arccos(np.clip(np.asarray(cos, dtype=np.float64), -1.0, 1.0))


class Arcs:
    """Minor great-circle arcs from ``a[i]`` to ``b[i]`` (unit vectors, shape (m, 3)).

    The distance from a point ``p`` to arc ``i`` is the cross-track distance when the foot
    of the perpendicular from ``p`` falls between the ends, else the distance to the nearer
    end. With ``n`` the unit normal of the arc's great circle, the foot falls between the
    ends when ``p.b - (a.b)(p.a) > 0`` and ``p.a - (a.b)(p.b) > 0``; the cosine of the angle
    is then ``sqrt(1 - (p.n)**2)``, otherwise ``max(p.a, p.b)``. Precision: a few centimetres;
    arcs shorter than 0.64 m are treated as their end points (error under 0.64 m).
    """

    def __init__(self, a: FloatArray, b: FloatArray) -> None:
        self.a = np.ascontiguousarray(a, dtype=np.float64)
        self.b = np.ascontiguousarray(b, dtype=np.float64)
        normal = np.cross(self.a, self.b)
        norm = np.linalg.norm(normal, axis=1)
        # Arcs under ~0.6 m are measured to their ends only (their normal is mostly noise).
        self.proper = norm > _MIN_ARC_RAD
        self.n_hat = normal / np.where(self.proper, norm, 1.0)[:, None]
        self.ab = np.einsum("ij,ij->i", self.a, self.b)

    def cos(self, p: FloatArray, arc: IndexArray) -> FloatArray:
        """Cosine of the angle from each point ``p[k]`` to arc ``arc[k]`` (larger is nearer)."""
        pa = np.einsum("ij,ij->i", p, self.a[arc])
        pb = np.einsum("ij,ij->i", p, self.b[arc])
        pn = np.einsum("ij,ij->i", p, self.n_hat[arc])
        ab = self.ab[arc]
        on_arc = (pb - ab * pa > 0.0) & (pa - ab * pb > 0.0) & self.proper[arc]
        cos_foot = np.sqrt(np.clip(1.0 - pn * pn, 0.0, 1.0))
        return np.where(on_arc, cos_foot, np.maximum(pa, pb))

    def distance_m(self, p: FloatArray, arc: IndexArray) -> FloatArray:
        """Great-circle distance in metres from each point ``p[k]`` to arc ``arc[k]``."""
        return cos_to_arc_m(self.cos(p, arc))
