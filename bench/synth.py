"""Synthetic AIS traffic for the detection benchmarks, placed on the real reference geography.

``python bench/synth.py 1e6 OUTDIR`` writes ``positions.parquet`` (the positions schema),
``statics.parquet`` (the statics schema), ``planted_encounters.parquet`` and
``planted_loitering.parquet`` (what a detector should find) and ``summary.json``.

Two days of traffic; 70 % of the vessels in the seas around Korea, the Yellow Sea, the
East China Sea and the Sea of Japan, the rest in the South China Sea and Malacca Strait,
the Persian Gulf, the Mediterranean and the Gulf of Mexico. Every vessel reports every
60-300 s (its own interval, with jitter). The fleet, by share of vessels:

* 62 % under way at 8-16 kn, back and forth along a straight route between two points at
  sea that does not cross land (``stswatch.geo.default_geo()`` decides); 5 % of all
  vessels go silent for 3-16 h somewhere along the way, 0.5 % report 1-3 positions
  displaced by 3 degrees (a GPS glitch or a spoof: segmentation must split them off);
* 25 % at anchor, swinging on a 60 m circle within 3 km of a crowded anchorage 3-8 km off
  one of a few real ports per region (Nampo, in North Korea, is one of them): the worst case
  for the encounter join, hundreds of slow vessels close together that must *not* become
  encounters because they are near port;
* 8 % in planted pairs that meet at sea (at least 50 km from shore and 20 km from any port
  or anchorage in the reference geography): each arrives at 10 kn, drifts at 0.3 kn 150 m
  from its partner for 3-8 h, and leaves in its own direction; in 30 % of the pairs the
  second vessel is silent for 4 h before the meeting (gone dark); the pair's draughts
  change across the meeting in the statics;
* 5 % loitering alone at sea (the same places) at 0.2-0.8 kn for 5-12 h.

Meeting and loitering vessels report from 6 h before to 6 h after their slow period. One
static report per vessel every 6 h; 1 % of the vessels change name and call sign halfway.
Seeded: the same arguments give the same files.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from stswatch import schema
from stswatch.geo import Geo, default_geo
from stswatch.units import KNOTS_TO_MPS, haversine_m

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

T0 = datetime(2024, 3, 1, tzinfo=UTC)
HOURS = 48.0
M_PER_DEG = 111_195.0
SOURCE = "synth"

# name, (lon_min, lon_max, lat_min, lat_max), share of vessels, anchorages
REGIONS = [
    ("Korea, Yellow, East China and Japan Seas", (117.0, 141.0, 24.0, 42.0), 0.70, 14),
    ("South China Sea and Malacca Strait", (98.0, 121.0, 0.5, 23.0), 0.10, 4),
    ("Persian Gulf and Gulf of Oman", (48.0, 60.0, 23.0, 30.5), 0.06, 3),
    ("Mediterranean", (-5.0, 36.0, 31.0, 44.5), 0.08, 4),
    ("Gulf of Mexico", (-97.5, -81.0, 18.5, 30.5), 0.06, 3),
]
# kinds of vessel
UNDER_WAY, ANCHORED, MEETING, LOITERING = 0, 1, 2, 3
KIND_SHARES = [0.62, 0.25, 0.08, 0.05]
MIDS = np.array([440, 441, 412, 413, 431, 445, 636, 538, 352, 355, 373, 477, 563, 370])
DPRK_PORT = "NAMPO"


@dataclass
class Synth:
    positions: pl.DataFrame
    statics: pl.DataFrame
    encounters: pl.DataFrame  # planted: mmsi < other_mmsi, start, end
    loitering: pl.DataFrame  # planted: mmsi, start, end (meeting vessels slow >= 4.25 h too)


def _offset(
    lon: FloatArray, lat: FloatArray, dist_m: FloatArray, bearing: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Move ``dist_m`` along ``bearing`` (radians from north); flat-earth, fine for <100 km."""
    lat2 = lat + dist_m * np.cos(bearing) / M_PER_DEG
    lon2 = lon + dist_m * np.sin(bearing) / (M_PER_DEG * np.cos(np.radians(lat)))
    return lon2, lat2


def sea_points(
    geo: Geo,
    box: tuple[float, float, float, float],
    n: int,
    rng: np.random.Generator,
    min_shore_m: float = 0.0,
    min_port_m: float = 0.0,
) -> tuple[FloatArray, FloatArray]:
    """``n`` uniform points in ``box`` at sea, at least the given distances from shore/port."""
    lons: list[FloatArray] = [np.zeros(0)]
    lats: list[FloatArray] = [np.zeros(0)]
    have = 0
    while have < n:
        m = 4 * (n - have) + 256
        lon = rng.uniform(box[0], box[1], m)
        lat = rng.uniform(box[2], box[3], m)
        ok = ~geo.on_land(lon, lat)
        if min_shore_m > 0:
            ok &= geo.distance_to_shore_m(lon, lat) >= min_shore_m
        if min_port_m > 0:
            ok[ok] &= geo.distance_to_port_m(lon[ok], lat[ok]) >= min_port_m
        lons.append(lon[ok])
        lats.append(lat[ok])
        have += int(ok.sum())
    return np.concatenate(lons)[:n], np.concatenate(lats)[:n]


def _crosses_land(
    geo: Geo, lon0: FloatArray, lat0: FloatArray, lon1: FloatArray, lat1: FloatArray
) -> npt.NDArray[np.bool_]:
    f = np.linspace(0.0, 1.0, 24)[None, :]
    lon = lon0[:, None] + f * (lon1 - lon0)[:, None]
    lat = lat0[:, None] + f * (lat1 - lat0)[:, None]
    return geo.on_land(lon.ravel(), lat.ravel()).reshape(lon.shape).any(axis=1)


def routes(
    geo: Geo, box: tuple[float, float, float, float], n: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """``n`` straight routes between sea points 5 km or more from shore, not over land."""
    lon0, lat0 = sea_points(geo, box, n, rng, min_shore_m=5_000.0)
    lon1, lat1 = sea_points(geo, box, n, rng, min_shore_m=5_000.0)
    for _ in range(30):
        bad = np.flatnonzero(_crosses_land(geo, lon0, lat0, lon1, lat1))
        if bad.size == 0:
            break
        # try a closer destination: 30-300 km away in a random direction
        d = rng.uniform(30_000.0, 300_000.0, bad.size)
        lon1[bad], lat1[bad] = _offset(lon0[bad], lat0[bad], d, rng.uniform(0, 2 * np.pi, bad.size))
    return lon0, lat0, lon1, lat1


def anchorages(
    geo: Geo, box: tuple[float, float, float, float], k: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """``k`` anchorage spots at sea 3-8 km off real ports in ``box`` (Nampo among them)."""
    ports = geo.ports().filter(
        (pl.col("kind") == "port")
        & pl.col("lon").is_between(box[0], box[1])
        & pl.col("lat").is_between(box[2], box[3])
    )
    first = ports.filter(pl.col("name") == DPRK_PORT)
    rest = ports.filter(pl.col("name") != DPRK_PORT).sample(k, seed=int(rng.integers(1 << 31)))
    chosen = pl.concat([first, rest]).head(k)
    out_lon, out_lat = [], []
    for plon, plat in chosen.select("lon", "lat").iter_rows():
        ring = np.linspace(0, 2 * np.pi, 32, endpoint=False)
        for r in (3_000.0, 5_000.0, 8_000.0, 12_000.0):
            lon, lat = _offset(np.full(32, plon), np.full(32, plat), np.full(32, r), ring)
            sea = np.flatnonzero(geo.distance_to_shore_m(lon, lat) >= 1_500.0)
            if sea.size:
                out_lon.append(lon[sea[0]])
                out_lat.append(lat[sea[0]])
                break
    return np.array(out_lon), np.array(out_lat)


def _anchor_spots(
    geo: Geo, a_lon: FloatArray, a_lat: FloatArray, n: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """``n`` spots at sea within 3 km of the anchorages (uniform over the disc)."""
    which = rng.integers(0, a_lon.size, n)
    lon, lat = a_lon[which].copy(), a_lat[which].copy()
    todo = np.arange(n)
    for _ in range(20):
        dist = 3_000.0 * np.sqrt(rng.uniform(0, 1, todo.size))
        c_lon, c_lat = _offset(lon[todo], lat[todo], dist, rng.uniform(0, 2 * np.pi, todo.size))
        ok = geo.distance_to_shore_m(c_lon, c_lat) > 100.0
        lon[todo[ok]], lat[todo[ok]] = c_lon[ok], c_lat[ok]
        todo = todo[~ok]
        if todo.size == 0:
            break
    return lon, lat


def imo_with_check_digit(base6: IntArray) -> IntArray:
    """Seven-digit IMO numbers with a valid check digit from six-digit bases."""
    digits = [(base6 // 10**p) % 10 for p in range(5, -1, -1)]
    check = sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return base6 * 10 + check


def synthetic(n_positions: int, seed: int = 1, geo: Geo | None = None) -> Synth:
    """About ``n_positions`` position reports; see the module docstring."""
    geo = geo or default_geo()
    rng = np.random.default_rng(seed)
    horizon_s = HOURS * 3600.0
    per_s = np.log(300.0 / 60.0) / 240.0  # mean of 1 / U(60 s, 300 s)
    mean_reports = per_s * ((1 - 0.13) * horizon_s + 0.13 * 18 * 3600.0)
    n = max(40, round(n_positions / mean_reports))

    kind = rng.choice(4, n, p=KIND_SHARES)
    # meeting vessels come in pairs (an odd one out loiters alone)
    meet = np.flatnonzero(kind == MEETING)
    if meet.size % 2:
        kind[meet[-1]] = LOITERING
        meet = meet[:-1]
    pairs = meet.reshape(-1, 2)
    region = rng.choice(len(REGIONS), n, p=[r[2] for r in REGIONS])
    region[pairs[:, 1]] = region[pairs[:, 0]]

    lon0, lat0 = np.zeros(n), np.zeros(n)  # route start / anchor / slow spot
    lon1, lat1 = np.zeros(n), np.zeros(n)  # route end
    for r, (_, box, _, k_anch) in enumerate(REGIONS):
        way = np.flatnonzero((region == r) & (kind == UNDER_WAY))
        lon0[way], lat0[way], lon1[way], lat1[way] = routes(geo, box, way.size, rng)
        anch = np.flatnonzero((region == r) & (kind == ANCHORED))
        a_lon, a_lat = anchorages(geo, box, k_anch, rng)
        lon0[anch], lat0[anch] = _anchor_spots(geo, a_lon, a_lat, anch.size, rng)
        slow = np.flatnonzero((region == r) & np.isin(kind, [MEETING, LOITERING]))
        lon0[slow], lat0[slow] = sea_points(
            geo, box, slow.size, rng, min_shore_m=50_000.0, min_port_m=20_000.0
        )
    # the partner lies 150 m east of the first of each pair
    a, b = pairs[:, 0], pairs[:, 1]
    lon0[b], lat0[b] = _offset(lon0[a], lat0[a], np.full(a.size, 150.0), np.full(a.size, np.pi / 2))

    # slow period of meeting and loitering vessels, and their reporting window
    slow_h = np.where(kind == LOITERING, rng.uniform(5, 12, n), rng.uniform(3, 8, n))
    slow_h[b] = slow_h[a]
    slow0 = rng.uniform(4.0, HOURS - 16.0, n) * 3600.0
    slow0[b] = slow0[a]
    slow1 = slow0 + slow_h * 3600.0
    planted = np.isin(kind, [MEETING, LOITERING])
    start_s = np.where(planted, np.maximum(0.0, slow0 - 6 * 3600.0), 0.0)
    end_s = np.where(planted, np.minimum(horizon_s, slow1 + 6 * 3600.0), horizon_s)

    every_s = rng.uniform(60.0, 300.0, n)
    n_rep = np.maximum(1, ((end_s - start_s) / every_s).astype(np.int64))
    v = np.repeat(np.arange(n), n_rep)
    k = np.arange(v.size) - np.repeat(np.cumsum(n_rep) - n_rep, n_rep)
    t = start_s[v] + k * every_s[v] + rng.uniform(0.0, 0.3, v.size) * every_s[v]
    kv = kind[v]

    lon, lat = np.empty(v.size), np.empty(v.size)
    sog, cog = np.empty(v.size), np.empty(v.size)
    # under way: ping-pong along the route
    speed = rng.uniform(8.0, 16.0, n)
    route_m = haversine_m(lon0, lat0, lon1, lat1)
    phase = rng.uniform(0.0, 1.0, n)
    m = kv == UNDER_WAY
    vm = v[m]
    s = (phase[vm] * 2 * route_m[vm] + t[m] * speed[vm] * KNOTS_TO_MPS) % (2 * route_m[vm])
    back = s > route_m[vm]
    f = np.where(back, 2.0 - s / route_m[vm], s / route_m[vm])
    lon[m] = lon0[vm] + f * (lon1[vm] - lon0[vm])
    lat[m] = lat0[vm] + f * (lat1[vm] - lat0[vm])
    bearing = np.arctan2(
        (lon1 - lon0) * np.cos(np.radians((lat0 + lat1) / 2)), lat1 - lat0
    )  # radians from north
    cog[m] = np.degrees(bearing[vm] + np.where(back, np.pi, 0.0)) % 360.0
    sog[m] = speed[vm] + rng.normal(0.0, 0.2, vm.size)
    # at anchor: swing on a 60 m circle, one turn every 6-12 h
    m = kv == ANCHORED
    vm = v[m]
    turn_s = rng.uniform(6.0, 12.0, n) * 3600.0
    ang = 2 * np.pi * t[m] / turn_s[vm] + phase[vm] * 2 * np.pi
    lon[m], lat[m] = _offset(lon0[vm], lat0[vm], np.full(vm.size, 60.0), ang)
    cog[m] = np.degrees(ang + np.pi / 2) % 360.0
    sog[m] = np.abs(rng.normal(0.05, 0.05, vm.size))
    # meeting and loitering: arrive at 10 kn, drift, leave at 10 kn
    m = planted[v]
    vm, tm = v[m], t[m]
    drift_kn = np.where(kind == LOITERING, rng.uniform(0.2, 0.8, n), 0.3)
    drift_dir = rng.uniform(0, 2 * np.pi, n)
    drift_dir[b] = drift_dir[a]
    come_from = rng.uniform(0, 2 * np.pi, n)
    go_to = rng.uniform(0, 2 * np.pi, n)
    go_to[b] = go_to[a] + rng.uniform(np.pi / 3, np.pi, b.size)
    before, after = tm < slow0[vm], tm > slow1[vm]
    drift_m = np.clip(tm - slow0[vm], 0.0, slow1[vm] - slow0[vm]) * drift_kn[vm] * KNOTS_TO_MPS
    plon, plat = _offset(lon0[vm], lat0[vm], drift_m, drift_dir[vm])
    away_m = np.where(before, slow0[vm] - tm, np.maximum(tm - slow1[vm], 0.0)) * 10 * KNOTS_TO_MPS
    heading_away = np.where(before, come_from[vm], go_to[vm])
    lon[m], lat[m] = _offset(plon, plat, away_m, heading_away)
    moving = before | after
    sog[m] = np.where(moving, 10.0, drift_kn[vm]) + rng.normal(0.0, 0.05, vm.size)
    cog[m] = (
        np.degrees(
            np.where(before, come_from[vm] + np.pi, np.where(after, go_to[vm], drift_dir[vm]))
        )
        % 360.0
    )

    keep = np.ones(v.size, dtype=bool)
    # gone dark: 5 % of the fleet, 3-16 h somewhere; the second of 30 % of pairs before meeting
    # (never during a planted slow period, which must stay findable)
    dark = (rng.uniform(0, 1, n) < 0.05 / 0.87) & ~planted
    dark_h = rng.uniform(3.0, 16.0, n)
    dark0 = rng.uniform(0.0, HOURS - 16.0, n) * 3600.0
    dark_pair = b[rng.uniform(0, 1, b.size) < 0.3]
    dark[dark_pair] = True
    dark_h[dark_pair] = 4.0
    dark0[dark_pair] = slow0[dark_pair] - 5 * 3600.0
    dv = dark[v]
    keep[dv] = ~((t[dv] >= dark0[v[dv]]) & (t[dv] < dark0[v[dv]] + dark_h[v[dv]] * 3600.0))
    # glitches: 0.5 % of vessels, 1-3 reports 3 degrees north
    glitchy = np.flatnonzero((rng.uniform(0, 1, n) < 0.005) & (kind == UNDER_WAY))
    offsets = np.cumsum(n_rep) - n_rep
    for g in glitchy:
        rows = np.arange(offsets[g], offsets[g] + n_rep[g])
        pick = rng.choice(rows, size=min(rows.size, int(rng.integers(1, 4))), replace=False)
        lat[pick] += 3.0

    mid = MIDS[rng.integers(0, MIDS.size, n)]
    mmsi = mid * 1_000_000 + 100_000 + np.arange(n)
    t0 = np.datetime64(T0.replace(tzinfo=None), "us")
    msg_type = np.where(rng.uniform(0, 1, n) < 0.1, 18, 1).astype(np.int8)
    pos = pl.DataFrame(
        {
            "mmsi": mmsi[v][keep],
            "ts": t0 + (t[keep] * 1e6).astype("timedelta64[us]"),
            "lon": lon[keep],
            "lat": np.clip(lat[keep], -89.99, 89.99),
            "sog": np.clip(sog[keep], 0.0, None).astype(np.float32),
            "cog": cog[keep].astype(np.float32),
            "heading": np.round(cog[keep]).astype(np.int16) % 360,
            "nav_status": np.where(kv[keep] == ANCHORED, 1, 0).astype(np.int8),
            "msg_type": msg_type[v][keep],
        }
    ).with_columns(
        pl.col("ts").dt.replace_time_zone("UTC"),
        pl.lit(SOURCE).alias("source"),
        pl.lit(None, pl.Utf8).alias("station"),
        pl.lit(f"{SOURCE}-{n_positions}").alias("batch_id"),
    )
    positions = pl.DataFrame(pos.select(schema.POSITIONS.names).to_arrow().cast(schema.POSITIONS))

    statics = _statics(rng, n, mmsi, kind, start_s, end_s, slow0, slow1, a, b, n_positions)
    ts = lambda s: pl.Series(t0 + (s * 1e6).astype("timedelta64[us]")).dt.replace_time_zone("UTC")  # noqa: E731
    lo, hi = np.minimum(mmsi[a], mmsi[b]), np.maximum(mmsi[a], mmsi[b])
    encounters = pl.DataFrame(
        {"mmsi": lo, "other_mmsi": hi, "start": ts(slow0[a]), "end": ts(slow1[a])}
    )
    # loitering needs 4 h from first to last slow report: leave a margin for the reporting
    # interval (a 4.0 h slow period shows up as slightly less)
    loit = np.flatnonzero(planted & (slow_h >= 4.25))
    loitering = pl.DataFrame({"mmsi": mmsi[loit], "start": ts(slow0[loit]), "end": ts(slow1[loit])})
    return Synth(positions.sort("mmsi", "ts"), statics, encounters, loitering)


def _statics(
    rng: np.random.Generator,
    n: int,
    mmsi: IntArray,
    kind: IntArray,
    start_s: FloatArray,
    end_s: FloatArray,
    slow0: FloatArray,
    slow1: FloatArray,
    a: IntArray,
    b: IntArray,
    n_positions: int,
) -> pl.DataFrame:
    """One static report per vessel every 6 h; draughts change across planted meetings."""
    n_rep = np.maximum(1, np.ceil((end_s - start_s) / 21_600.0).astype(np.int64))
    v = np.repeat(np.arange(n), n_rep)
    k = np.arange(v.size) - np.repeat(np.cumsum(n_rep) - n_rep, n_rep)
    t = start_s[v] + k * 21_600.0 + 30.0
    ship_type = rng.choice([70, 71, 79, 80, 81, 84, 30, 52, 60, 90], n)
    ship_type[np.isin(kind, [2, 3])] = 80
    draught = rng.uniform(5.0, 14.0, n)
    d = np.full(v.size, np.nan)
    d[:] = draught[v]
    after = np.zeros(n, dtype=bool)
    after[a] = True
    after[b] = True
    shift = np.zeros(n)
    shift[a], shift[b] = -3.5, 3.5  # a discharges, b loads
    d = np.where(after[v] & (t > slow1[v]), d + shift[v], d)
    changes = rng.uniform(0, 1, n) < 0.01
    renamed = changes[v] & (t > HOURS * 1800.0)
    idx = np.arange(n)
    names = pl.Series([f"SYNTH {i:05d}" for i in idx])
    new_names = pl.Series([f"OCEAN {i:05d}" for i in idx])
    calls = pl.Series([f"S{i:05d}" for i in idx])
    new_calls = pl.Series([f"T{i:05d}" for i in idx])
    vs = pl.Series(v)
    t0 = np.datetime64(T0.replace(tzinfo=None), "us")
    st = pl.DataFrame(
        {
            "mmsi": mmsi[v],
            "ts": t0 + (t * 1e6).astype("timedelta64[us]"),
            "msg_type": np.full(v.size, 5, dtype=np.int8),
            "imo": imo_with_check_digit(900_000 + idx % 99_999)[v],
            "name": pl.select(
                pl.when(pl.Series(renamed)).then(new_names.gather(vs)).otherwise(names.gather(vs))
            ).to_series(),
            "callsign": pl.select(
                pl.when(pl.Series(renamed)).then(new_calls.gather(vs)).otherwise(calls.gather(vs))
            ).to_series(),
            "ship_type": ship_type[v].astype(np.int16),
            "to_bow": np.full(v.size, 150, dtype=np.int16),
            "to_stern": np.full(v.size, 30, dtype=np.int16),
            "to_port": np.full(v.size, 12, dtype=np.int16),
            "to_starboard": np.full(v.size, 12, dtype=np.int16),
            "length_m": np.full(v.size, 180.0, dtype=np.float32),
            "width_m": np.full(v.size, 24.0, dtype=np.float32),
            "draught_m": np.round(d, 1).astype(np.float32),
        }
    ).with_columns(
        pl.col("ts").dt.replace_time_zone("UTC"),
        pl.lit(None, pl.Utf8).alias("destination"),
        pl.lit(None, pl.Utf8).alias("eta"),
        pl.lit(SOURCE).alias("source"),
        pl.lit(None, pl.Utf8).alias("station"),
        pl.lit(f"{SOURCE}-{n_positions}").alias("batch_id"),
    )
    st = st.select(schema.STATICS.names)
    return pl.DataFrame(st.to_arrow().cast(schema.STATICS)).sort("mmsi", "ts")


def write(n_positions: int, out: Path, seed: int = 1) -> dict[str, object]:
    """Generate and write the files into ``out``; returns a summary (also in summary.json)."""
    started = time.perf_counter()
    s = synthetic(n_positions, seed)
    out.mkdir(parents=True, exist_ok=True)
    s.positions.write_parquet(out / "positions.parquet")
    s.statics.write_parquet(out / "statics.parquet")
    s.encounters.write_parquet(out / "planted_encounters.parquet")
    s.loitering.write_parquet(out / "planted_loitering.parquet")
    summary = {
        "positions": s.positions.height,
        "vessels": s.positions["mmsi"].n_unique(),
        "statics": s.statics.height,
        "planted_encounters": s.encounters.height,
        "planted_loitering": s.loitering.height,
        "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / "summary.json").write_text(json.dumps(summary))
    return summary


def write_chunked(
    n_positions: int,
    out: Path,
    seed: int = 1,
    days: int = 10,
    chunk_rows: int = 5_000_000,
) -> dict[str, object]:
    """Like ``write``, for any size, generated piece by piece so memory stays at one piece.

    The ``days`` are cut into windows of ``HOURS``; each window has its own fleet, split
    into vessel groups of about ``chunk_rows`` positions, each group one ``synthetic`` call
    (seed ``seed + piece``) shifted to its window and given MMSIs, IMO numbers, names and
    call signs of its own. Positions and statics are appended to one Parquet file each as
    the pieces are made (so ``positions.parquet`` is in window, then vessel, then time
    order); the planted events of every piece go to the same files as ``write``'s.
    """
    import pyarrow.parquet as pq

    windows = max(1, round(days * 24 / HOURS))
    groups = max(1, -(-n_positions // (windows * chunk_rows)))
    pieces = windows * groups
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    writers: dict[str, pq.ParquetWriter] = {}
    planted: dict[str, list[pl.DataFrame]] = {"encounters": [], "loitering": []}
    totals = {"positions": 0, "vessels": 0, "statics": 0}
    geo = default_geo()
    offset = 0  # vessels made so far: MMSI and IMO suffixes stay unique across pieces
    for piece in range(pieces):
        window = piece // groups
        n = n_positions // pieces + (1 if piece < n_positions % pieces else 0)
        s = synthetic(n, seed + piece, geo)
        shift = pl.duration(hours=HOURS * window)
        vessel = (pl.col("mmsi") % 1_000_000) - 100_000  # index within the piece
        mmsi = (pl.col("mmsi") // 1_000_000) * 1_000_000 + 100_000 + offset + vessel
        pos = s.positions.with_columns(mmsi.alias("mmsi"), pl.col("ts") + shift)
        gidx = (offset + vessel).cast(pl.Utf8).str.zfill(6)
        index = offset + (s.statics["mmsi"].to_numpy() % 1_000_000) - 100_000
        sta = s.statics.with_columns(
            mmsi.alias("mmsi"),
            pl.col("ts") + shift,
            (pl.col("name").str.slice(0, 6) + gidx).alias("name"),
            (pl.col("callsign").str.slice(0, 1) + gidx).alias("callsign"),
            pl.Series("imo", imo_with_check_digit(100_000 + index)),
        )
        for name, df in (("positions", pos), ("statics", sta)):
            tbl = df.to_arrow().cast(schema.POSITIONS if name == "positions" else schema.STATICS)
            if name not in writers:
                writers[name] = pq.ParquetWriter(out / f"{name}.parquet", tbl.schema)
            writers[name].write_table(tbl, row_group_size=1 << 20)
            totals[name] += tbl.num_rows
        for name, df in (("encounters", s.encounters), ("loitering", s.loitering)):
            cols = [c for c in ("mmsi", "other_mmsi") if c in df.columns]
            planted[name].append(
                df.with_columns(
                    *[
                        (
                            (pl.col(c) // 1_000_000) * 1_000_000
                            + 100_000
                            + offset
                            + (pl.col(c) % 1_000_000)
                            - 100_000
                        ).alias(c)
                        for c in cols
                    ],  # fmt: skip
                    pl.col("start") + shift,
                    pl.col("end") + shift,
                )
            )
        totals["vessels"] += int(s.positions["mmsi"].n_unique())
        offset += int((s.positions["mmsi"] % 1_000_000).max() - 100_000 + 1)
        del s, pos, sta
    for w in writers.values():
        w.close()
    pl.concat(planted["encounters"]).write_parquet(out / "planted_encounters.parquet")
    pl.concat(planted["loitering"]).write_parquet(out / "planted_loitering.parquet")
    summary = {
        **totals,
        "planted_encounters": sum(d.height for d in planted["encounters"]),
        "planted_loitering": sum(d.height for d in planted["loitering"]),
        "days": windows * HOURS / 24,
        "pieces": pieces,
        "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / "summary.json").write_text(json.dumps(summary))
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=float, help="number of positions, e.g. 1e6")
    ap.add_argument("out", type=Path, help="directory to write into")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--days",
        type=int,
        default=None,
        help="span this many days, generated piece by piece (see write_chunked)",
    )
    ap.add_argument("--chunk-rows", type=float, default=5e6, help="positions per piece")
    args = ap.parse_args()
    if args.days is None:
        print(json.dumps(write(int(args.n), args.out, args.seed)))
    else:
        summary = write_chunked(int(args.n), args.out, args.seed, args.days, int(args.chunk_rows))
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
