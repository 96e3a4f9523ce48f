"""Ship motion as keyframes: where a transmitter is at any time, and what it would report.

A ``Track`` is a list of keyframes (time, longitude, latitude) with the motion *mode* and
AIS navigational status of the interval that starts at each keyframe. Position is linear in
longitude/latitude between keyframes (legs are short enough, at most a few hundred km, for
that to be close to the rhumb line), so speed and course over ground are exact per
interval. ``sample`` evaluates many times at once with NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from stswatch.units import KNOTS_TO_MPS, haversine_m

MOORED, ANCHORED, UNDERWAY, DRIFTING, FISHING = 0, 1, 2, 3, 4
NAV_STATUS = {MOORED: 5, ANCHORED: 1, UNDERWAY: 0, DRIFTING: 0, FISHING: 7}
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQ = 111_320.0

LonLat = tuple[float, float]
F64 = npt.NDArray[np.float64]


def offset(lon: float, lat: float, east_m: float, north_m: float) -> LonLat:
    """The point ``east_m``/``north_m`` metres from (lon, lat) (local flat approximation)."""
    return (
        lon + east_m / (M_PER_DEG_LON_EQ * np.cos(np.radians(lat))),
        lat + north_m / M_PER_DEG_LAT,
    )


def bearing_deg(
    lon0: npt.ArrayLike, lat0: npt.ArrayLike, lon1: npt.ArrayLike, lat1: npt.ArrayLike
) -> F64:
    """Course from point 0 to point 1 on the local plane, degrees clockwise from north."""
    x0, y0, x1, y1 = (np.asarray(v, dtype=np.float64) for v in (lon0, lat0, lon1, lat1))
    dx = (x1 - x0) * np.cos(np.radians((y0 + y1) / 2.0))
    dy = y1 - y0
    return np.degrees(np.arctan2(dx, dy)) % 360.0


@dataclass
class Track:
    """Keyframes of one transmitter; ``mode[i]``/``status[i]`` hold from ``t[i]`` to ``t[i+1]``."""

    t: list[float] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    mode: list[int] = field(default_factory=list)
    status: list[int] = field(default_factory=list)

    @property
    def now(self) -> float:
        return self.t[-1]

    @property
    def here(self) -> LonLat:
        return self.lon[-1], self.lat[-1]

    def start(self, t: float, point: LonLat, mode: int, status: int | None = None) -> None:
        self.add(t, point, mode, status)

    def add(self, t: float, point: LonLat, mode: int, status: int | None = None) -> None:
        """Append a keyframe; ``mode`` (and status) apply from here to the next keyframe."""
        if self.t and t < self.t[-1] - 1e-6:
            raise ValueError(f"keyframe at {t} is before the previous one at {self.t[-1]}")
        if self.t and t - self.t[-1] < 1e-6:  # same instant: replace, keep the latest mode
            self.lon[-1], self.lat[-1] = point
            self.mode[-1] = mode
            self.status[-1] = NAV_STATUS[mode] if status is None else status
            return
        self.t.append(t)
        self.lon.append(point[0])
        self.lat.append(point[1])
        self.mode.append(mode)
        self.status.append(NAV_STATUS[mode] if status is None else status)

    def set_mode(self, mode: int, status: int | None = None) -> None:
        """Change the mode of the interval that starts at the last keyframe."""
        self.mode[-1] = mode
        self.status[-1] = NAV_STATUS[mode] if status is None else status

    def go(self, points: list[LonLat], speed_kn: float, mode: int = UNDERWAY) -> None:
        """Sail from where the track is through ``points[1:]`` at ``speed_kn``."""
        self.set_mode(mode)
        pts = np.asarray([self.here, *points[1:]], dtype=np.float64)
        if len(pts) < 2:
            return
        legs = haversine_m(pts[:-1, 0], pts[:-1, 1], pts[1:, 0], pts[1:, 1])
        times = self.now + np.cumsum(legs) / (speed_kn * KNOTS_TO_MPS)
        for (lon, lat), t in zip(pts[1:], times, strict=True):
            self.add(float(t), (float(lon), float(lat)), mode)

    def go_until(self, points: list[LonLat], t_arrive: float, mode: int = UNDERWAY) -> float:
        """Sail through ``points`` arriving at ``t_arrive``; returns the speed it took, knots."""
        from stswatch.simulate.lanes import polyline_length_m

        points = [self.here, *points[1:]]
        length = polyline_length_m(points)
        dt = t_arrive - self.now
        if dt <= 0:
            raise ValueError("cannot arrive before departing")
        speed_kn = length / dt / KNOTS_TO_MPS
        if length == 0:
            self.add(t_arrive, points[-1], mode)
            return 0.0
        self.go(points, speed_kn, mode)
        self.t[-1] = t_arrive  # remove rounding drift
        return speed_kn

    def wait(
        self,
        t_until: float,
        mode: int,
        rng: np.random.Generator,
        swing_m: float = 30.0,
        step_s: float = 1800.0,
    ) -> None:
        """Stay put (moored) or swing around the anchor within ``swing_m`` until ``t_until``."""
        lon0, lat0 = self.here
        self.set_mode(mode)
        if mode == MOORED or t_until - self.now <= step_s:
            self.add(t_until, (lon0, lat0), mode)
            return
        times = np.arange(self.now + step_s, t_until, step_s)
        ang = rng.uniform(0, 2 * np.pi, times.size)
        r = rng.uniform(0, swing_m, times.size)
        for t, a, rr in zip(times, ang, r, strict=True):
            self.add(float(t), offset(lon0, lat0, rr * np.sin(a), rr * np.cos(a)), mode)
        self.add(t_until, (lon0, lat0), mode)

    def arrays(self) -> TrackArrays:
        t = np.asarray(self.t, dtype=np.float64)
        lon = np.asarray(self.lon, dtype=np.float64)
        lat = np.asarray(self.lat, dtype=np.float64)
        dt = np.diff(t)
        dist = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
        sog = np.where(dt > 0, dist / np.where(dt > 0, dt, 1.0), 0.0) / KNOTS_TO_MPS
        cog = bearing_deg(lon[:-1], lat[:-1], lon[1:], lat[1:])
        return TrackArrays(
            t, lon, lat, np.asarray(self.mode, np.int8), np.asarray(self.status, np.int8), sog, cog
        )


def drift_path(
    t0: float,
    t1: float,
    start: LonLat,
    speed_kn: float,
    rng: np.random.Generator,
    step_s: float = 1200.0,
) -> tuple[F64, F64, F64]:
    """Keyframes of a ship drifting with wind and current: slow, slowly turning."""
    n = max(2, int(np.ceil((t1 - t0) / step_s)) + 1)
    t = np.linspace(t0, t1, n)
    heading = rng.uniform(0, 360) + np.cumsum(rng.normal(0, 12.0, n - 1))
    speed = np.clip(speed_kn * rng.uniform(0.6, 1.2, n - 1), 0.05, None) * KNOTS_TO_MPS
    step = speed * np.diff(t)
    east = np.r_[0.0, np.cumsum(step * np.sin(np.radians(heading)))]
    north = np.r_[0.0, np.cumsum(step * np.cos(np.radians(heading)))]
    lon = start[0] + east / (M_PER_DEG_LON_EQ * np.cos(np.radians(start[1])))
    lat = start[1] + north / M_PER_DEG_LAT
    return t, lon, lat


@dataclass(frozen=True)
class TrackArrays:
    """A ``Track`` as arrays, with the speed (knots) and course of each interval."""

    t: F64
    lon: F64
    lat: F64
    mode: npt.NDArray[np.int8]
    status: npt.NDArray[np.int8]
    sog_kn: F64
    cog_deg: F64

    def sample(self, times: F64) -> Sample:
        """True position, motion and status at ``times`` (inside the keyframe span)."""
        idx = np.clip(np.searchsorted(self.t, times, side="right") - 1, 0, self.t.size - 2)
        return Sample(
            lon=np.interp(times, self.t, self.lon),
            lat=np.interp(times, self.t, self.lat),
            sog_kn=self.sog_kn[idx],
            cog_deg=self.cog_deg[idx],
            mode=self.mode[idx],
            status=self.status[idx],
        )


@dataclass(frozen=True)
class Sample:
    lon: F64
    lat: F64
    sog_kn: F64
    cog_deg: F64
    mode: npt.NDArray[np.int8]
    status: npt.NDArray[np.int8]
