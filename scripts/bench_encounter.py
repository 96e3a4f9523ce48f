"""Time the encounter detector on synthetic AIS: ``python scripts/bench_encounter.py 1e6 1e7``.

The synthetic fleet lives in a 20 x 20 degree box of the East China and Yellow Seas over
two days, reporting every 1-5 minutes: 70 % of vessels steam at 8-14 knots on random
headings, 20 % lie at anchor packed into 12 crowded anchorages (the worst case for the
spatial join: hundreds of slow ships within a few kilometres), and 10 % are pairs that
meet at sea for 3-8 hours (the encounters to find). The geography is a stand-in: the 12
anchorages are the ports, and distance to shore is distance to the nearest port.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import polars as pl

from stswatch.detect import encounter
from stswatch.detect.base import DetectContext
from stswatch.resample import resample
from stswatch.units import KNOTS_TO_MPS, haversine_m

FloatArray = npt.NDArray[np.float64]
T0 = datetime(2024, 3, 1, tzinfo=UTC)
HOURS = 48
M_PER_DEG = 111_195.0


class BenchGeo:
    """Ports are the synthetic anchorages; the shore is taken to be at the ports."""

    def __init__(self, lon: FloatArray, lat: FloatArray) -> None:
        self.lon, self.lat = lon, lat

    def distance_to_port_m(self, lon: FloatArray, lat: FloatArray) -> FloatArray:
        d = haversine_m(lon[:, None], lat[:, None], self.lon[None, :], self.lat[None, :])
        return d.min(axis=1) if len(lon) else np.zeros(0)

    distance_to_shore_m = distance_to_port_m

    def on_land(self, lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
        return np.zeros(len(lon), dtype=bool)


def synthetic(n_positions: int, seed: int = 1) -> tuple[pl.DataFrame, BenchGeo, pl.DataFrame]:
    """About ``n_positions`` reports, the geography, and the planted meetings (mmsi pairs)."""
    rng = np.random.default_rng(seed)
    per_vessel = HOURS * 3600 / 180.0  # 3 minutes on average
    n_vessels = max(10, int(n_positions / per_vessel))
    every_s = rng.uniform(60.0, 300.0, n_vessels)
    n_reports = (HOURS * 3600 / every_s).astype(np.int64)
    vessel = np.repeat(np.arange(n_vessels), n_reports)
    first = np.concatenate([[0], np.cumsum(n_reports)[:-1]])
    k = np.arange(vessel.shape[0]) - np.repeat(first, n_reports)
    t_s = k * every_s[vessel] + rng.uniform(0, 30, vessel.shape[0])

    kind = rng.choice(3, n_vessels, p=[0.7, 0.2, 0.1])  # 0 steaming, 1 anchored, 2 meeting
    anch_lon, anch_lat = rng.uniform(117, 133, 12), rng.uniform(22, 38, 12)
    lon0, lat0 = rng.uniform(115, 135, n_vessels), rng.uniform(20, 40, n_vessels)
    which = rng.integers(0, 12, n_vessels)
    r = 3000.0 * np.sqrt(rng.uniform(0, 1, n_vessels))  # within 3 km of the anchorage point
    a = rng.uniform(0, 2 * np.pi, n_vessels)
    lon0 = np.where(kind == 1, anch_lon[which] + r * np.cos(a) / (M_PER_DEG * 0.85), lon0)
    lat0 = np.where(kind == 1, anch_lat[which] + r * np.sin(a) / M_PER_DEG, lat0)
    # meeting vessels come in pairs: the odd one of each pair sits 150 m from the even one
    meeting = np.flatnonzero(kind == 2)
    meet = meeting[: len(meeting) // 2 * 2].reshape(-1, 2)
    lon0[meet[:, 1]] = lon0[meet[:, 0]] + 150.0 / (M_PER_DEG * np.cos(np.radians(lat0[meet[:, 0]])))
    lat0[meet[:, 1]] = lat0[meet[:, 0]]
    meet_start = np.zeros(n_vessels)
    meet_h = np.zeros(n_vessels)
    meet_start[meet.ravel()] = np.repeat(rng.uniform(2, HOURS - 10, len(meet)), 2) * 3600
    meet_h[meet.ravel()] = np.repeat(rng.uniform(3, 8, len(meet)), 2) * 3600

    speed_kn = np.where(kind == 0, rng.uniform(8, 14, n_vessels), rng.uniform(0.0, 0.4, n_vessels))
    heading = rng.uniform(0, 2 * np.pi, n_vessels)
    heading[meet[:, 1]] = heading[meet[:, 0]]  # a pair arrives and drifts side by side
    v = vessel
    # meeting vessels drift slowly while together, steam at 10 kn before and after
    together = (kind[v] == 2) & (t_s >= meet_start[v]) & (t_s <= meet_start[v] + meet_h[v])
    sog = np.where((kind[v] == 2) & ~together, 10.0, speed_kn[v])
    moved_m = np.where(
        kind[v] == 2,
        (t_s - meet_start[v]) * 10.0 * KNOTS_TO_MPS,  # signed: approach, then leave
        t_s * speed_kn[v] * KNOTS_TO_MPS,
    )
    moved_m = np.where(together, 0.3 * KNOTS_TO_MPS * (t_s - meet_start[v]), moved_m)
    head = heading[v]
    lat = lat0[v] + moved_m * np.cos(head) / M_PER_DEG
    lon = lon0[v] + moved_m * np.sin(head) / (M_PER_DEG * np.cos(np.radians(lat0[v])))
    # the two vessels of a pair leave in different directions
    leaving = (kind[v] == 2) & (t_s > meet_start[v] + meet_h[v])
    flip = leaving & np.isin(v, meet[:, 1])
    lat = np.where(flip, 2 * lat0[v] - lat, lat)
    lon = np.where(flip, 2 * lon0[v] - lon, lon)
    ts = np.datetime64(T0.replace(tzinfo=None), "us") + (t_s * 1e6).astype("timedelta64[us]")
    df = pl.DataFrame(
        {
            "mmsi": 200_000_000 + v.astype(np.int64),
            "ts": ts,
            "lon": (lon + 180.0) % 360.0 - 180.0,
            "lat": np.clip(lat, -89.9, 89.9),
            "sog": (sog + rng.normal(0, 0.05, len(v)).clip(-0.05, 0.05)).clip(0).astype(np.float32),
        }
    ).with_columns(pl.col("ts").dt.replace_time_zone("UTC"))
    planted = pl.DataFrame({"mmsi": meet[:, 0], "other_mmsi": meet[:, 1]}) + 200_000_000
    return df.sort("mmsi", "ts"), BenchGeo(anch_lon, anch_lat), planted


def bench(n_positions: int) -> dict[str, float]:
    """Wall seconds taken by resampling, the pair join (which resamples again) and the whole
    detector, and the detector's CPU seconds over all threads."""
    pos, geo, planted = synthetic(n_positions)
    ctx = DetectContext(geo=geo)
    params = encounter.Params()
    t = time.perf_counter()
    rs = resample(pos)
    t_resample = time.perf_counter() - t
    t = time.perf_counter()
    adj = encounter.adjacency(pos, params, ctx)
    t_adjacency = time.perf_counter() - t
    t, cpu = time.perf_counter(), time.process_time()
    ev = encounter.detect(pos, params, ctx)
    t_detect, cpu_detect = time.perf_counter() - t, time.process_time() - cpu
    return {
        "positions": pos.height,
        "vessels": pos["mmsi"].n_unique(),
        "slots": rs.height,
        "adjacent_pairs": adj.height,
        "planted_meetings": planted.height,
        "planted_found": planted.join(ev, on=["mmsi", "other_mmsi"], how="semi").height,
        "events": ev.height,
        "resample_s": round(t_resample, 2),
        "adjacency_s": round(t_adjacency, 2),
        "detect_s": round(t_detect, 2),
        "detect_cpu_s": round(cpu_detect, 2),  # all threads; wall time depends on the load
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="+", type=float, help="numbers of positions, e.g. 1e6 1e7")
    for n in parser.parse_args().n:
        print(bench(int(n)), flush=True)


if __name__ == "__main__":
    main()
