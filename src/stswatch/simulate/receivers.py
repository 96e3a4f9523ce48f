"""What the receivers hear: report schedules, measurement noise, coverage and outages.

Report intervals follow ITU-R M.1371 (Class A: 10 s under way at 0-14 kn, 6 s at 14-23 kn,
3 min at anchor or moored; Class B "CS": 30 s, 3 min below 2 kn), *thinned* to keep files
small: at most one report per ``interval_s`` (60 s by default) per vessel, and one per
3 ``interval_s`` when the vessel is moored, at anchor or (Class B) slower than 2 kn. Each
vessel reports on its own second-of-minute phase with +-2 s jitter. Positions carry about
5 m of GPS noise; speed, course and heading are the true motion plus noise, at AIS
resolution. A report is heard by the nearest shore station within its range (``ports``),
unless that station is in one of its random outages; out of range of every station only the
satellite hears it, and only ``sat_keep`` of the reports (satellite AIS is sparse far out).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from stswatch.simulate.identities import CLASS_A
from stswatch.simulate.motion import ANCHORED, DRIFTING, MOORED, TrackArrays
from stswatch.simulate.ports import SATELLITE, STATIONS
from stswatch.units import haversine_m

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
STATION_NAMES: tuple[str, ...] = tuple(s.name for s in STATIONS) + (SATELLITE,)
SAT_INDEX = len(STATIONS)
GPS_NOISE_M = 5.0


@dataclass
class Reports:
    """Position reports as columns; ``tx`` tells transmitters apart (spoofers share an MMSI)."""

    tx: I64
    mmsi: I64
    ts: I64  # epoch seconds
    lon: F64
    lat: F64
    true_lon: F64
    true_lat: F64
    sog: F64
    cog: F64
    heading: I64  # -1: not available (511)
    status: I64  # -1: not available (Class B)
    msg_type: I64
    mode: I64
    station: I64  # index into STATION_NAMES

    def take(self, keep: npt.NDArray[np.bool_] | I64) -> Reports:
        return Reports(**{k: v[keep] for k, v in self.__dict__.items()})

    @staticmethod
    def concat(parts: list[Reports]) -> Reports:
        return Reports(
            **{k: np.concatenate([getattr(p, k) for p in parts]) for k in Reports.__annotations__}
        )

    def __len__(self) -> int:
        return int(self.ts.size)


def schedule(t0: float, t1: float, interval_s: int, rng: np.random.Generator) -> tuple[I64, I64]:
    """Report times of one transmitter on its own phase, with the index of each grid slot."""
    phase = int(rng.integers(0, interval_s))
    slots = np.arange(int(t0) + phase, int(t1), interval_s, dtype=np.int64)
    jitter = rng.integers(-2, 3, slots.size)
    ts = np.clip(slots + jitter, int(t0), int(t1) - 1)
    return ts, np.arange(slots.size, dtype=np.int64)


def _to_ais_grid(deg: F64) -> F64:
    """Degrees on the AIS position grid (1/10000 minute), as a decoder would give them."""
    return np.round(deg * 600_000.0) / 600_000.0


def positions(
    tx: int,
    mmsi: int,
    klass: str,
    track: TrackArrays,
    t0: float,
    t1: float,
    interval_s: int,
    off: list[tuple[float, float]],
    rng: np.random.Generator,
) -> Reports:
    """The reports one transmitter sends in [t0, t1) (before reception)."""
    lo, hi = max(t0, float(track.t[0])), min(t1, float(track.t[-1]))
    ts, slot = schedule(lo, hi, interval_s, rng)
    s = track.sample(ts.astype(np.float64))
    slow = np.isin(s.mode, (MOORED, ANCHORED))
    if klass != CLASS_A:
        slow |= s.sog_kn < 2.0
    keep = ~slow | (slot % 3 == 0)
    for a, b in off:
        keep &= (ts < a) | (ts > b)
    ts, s = ts[keep], track.sample(ts[keep].astype(np.float64))
    n = ts.size
    ang = rng.uniform(0, 2 * np.pi, n)
    r = np.abs(rng.normal(0, GPS_NOISE_M, n))
    coslat = np.cos(np.radians(s.lat))
    lon = s.lon + r * np.sin(ang) / (111_320.0 * coslat)
    lat = s.lat + r * np.cos(ang) / 110_574.0
    still = s.mode == MOORED
    sog = np.where(still, np.abs(rng.normal(0, 0.03, n)), s.sog_kn + rng.normal(0, 0.1, n))
    sog = np.clip(sog, 0.0, None)
    drifting = s.mode == DRIFTING
    sog = np.where(drifting, np.minimum(sog, 0.9), sog)  # drifting ships report under 1 kn
    slow_cog = s.sog_kn < 1.0
    cog = (
        s.cog_deg + rng.normal(0, 1.0, n) + np.where(slow_cog, rng.normal(0, 20.0, n), 0.0)
    ) % 360
    hull = float(rng.uniform(0, 360))
    heading = np.where(
        slow_cog, hull + np.cumsum(rng.normal(0, 1.5, n)), s.cog_deg + rng.normal(0, 2.0, n)
    )
    if klass == CLASS_A:
        hd = np.round(heading).astype(np.int64) % 360
        st = s.status.astype(np.int64)
        mt = np.where(rng.random(n) < 0.15, 3, 1)
    else:
        hd = np.full(n, -1, np.int64)
        st = np.full(n, -1, np.int64)
        mt = np.full(n, 18)
    return Reports(
        tx=np.full(n, tx, np.int64),
        mmsi=np.full(n, mmsi, np.int64),
        ts=ts,
        lon=_to_ais_grid(lon),
        lat=_to_ais_grid(lat),
        true_lon=s.lon,
        true_lat=s.lat,
        sog=np.round(np.minimum(sog, 102.2), 1),
        cog=np.round(cog, 1) % 360,
        heading=hd,
        status=st,
        msg_type=mt.astype(np.int64),
        mode=s.mode.astype(np.int64),
        station=np.zeros(n, np.int64),
    )


@dataclass(frozen=True)
class Coverage:
    """Shore stations with their outages, and the satellite."""

    outages: list[tuple[int, float, float]]  # station index, start, end (epoch s)
    sat_keep: float

    @classmethod
    def random(cls, t0: float, t1: float, rng: np.random.Generator, sat_keep: float) -> Coverage:
        """About one outage of 10-90 min per station per day."""
        days = (t1 - t0) / 86_400.0
        outages = []
        for i in range(len(STATIONS)):
            for _ in range(int(rng.poisson(days))):
                start = float(rng.uniform(t0, t1))
                outages.append((i, start, start + float(rng.uniform(600, 5400))))
        return cls(outages, sat_keep)

    def hear(
        self, true_lon: F64, true_lat: F64, ts: I64, rng: np.random.Generator
    ) -> tuple[npt.NDArray[np.bool_], I64]:
        """Which reports are received, and by which station (index into STATION_NAMES)."""
        st_lon = np.array([s.lon for s in STATIONS])
        st_lat = np.array([s.lat for s in STATIONS])
        rng_m = np.array([s.range_m for s in STATIONS])
        d = haversine_m(true_lon[:, None], true_lat[:, None], st_lon[None, :], st_lat[None, :])
        nearest = np.argmin(d, axis=1)
        in_range = d[np.arange(d.shape[0]), nearest] <= rng_m[nearest]
        station = np.where(in_range, nearest, SAT_INDEX).astype(np.int64)
        u = rng.random(ts.size)
        heard = in_range | (u < self.sat_keep)
        for i, a, b in self.outages:
            heard &= ~((station == i) & (ts >= a) & (ts <= b))
        return heard, station
