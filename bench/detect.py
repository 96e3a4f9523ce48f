"""Detection benchmarks: stswatch's detectors on synthetic traffic, beside GeoPandas and
MovingPandas doing the same searches.

Inputs are written once per size by ``bench/synth.py`` (real reference geography, planted
encounters and loitering) as Parquet in the benchmark's temporary directory; every case
reads the same files in its own process (``python bench/detect.py CASE DATA_DIR`` prints
one JSON line). Times cover the detection only: reading the Parquet files and loading the
reference geography (``default_geo()``, its k-d trees built by one warm-up lookup) are
outside the timed part and reported in the note. CPU seconds add up all threads.

* ``detect``: ``run_detectors`` (sort, segmentation, every registered detector) with the
  statics and ``default_geo()``; the ``progress`` callback times each stage.
* ``encounter``: ``stswatch.detect.encounter.detect`` alone (no segmentation: tracks are
  MMSIs), with statics and geography, evidence included.
* ``geopandas``: the same search written the plain GeoPandas way, starting from the same
  points (stswatch's own resampler, timed as part of the case): slow points to a
  GeoDataFrame in Web Mercator, for each 10-minute slot one ``sjoin(predicate="dwithin")``
  with the Mercator scale factor applied to the 500 m, exact great-circle check of the
  pairs, then pandas runs, merges and the distance to port by ``sjoin_nearest`` against the
  same ports. No evidence beyond the pair, times and mean position.
* ``loitering``: ``stswatch.detect.loitering.detect`` alone (tracks are MMSIs).
* ``movingpandas``: ``TrajectoryStopDetector.get_stop_time_ranges`` on a
  ``TrajectoryCollection`` of the same positions (EPSG:4326, geodesic distances), using
  both cores (``n_processes=2``). Equivalent parameters: ``min_duration`` = 4 h (stswatch's
  ``min_duration_h``) and ``max_diameter`` = 2 kn x 4 h = 14,816 m (the farthest a vessel
  under stswatch's 2 kn limit can move in 4 h, so anything stswatch calls slow for 4 h fits);
  the stops found are then filtered on the same shore (20 nm) and port (10 km) distances of
  their mean position, untimed.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
KNOTS_TO_MPS = 1852.0 / 3600.0


def nominal(data: Path) -> str:
    """The size a data set was asked for (``synth-<n>``), e.g. ``1M``."""
    return size_label(int(data.name.rsplit("-", 1)[1]))


def size_label(n: int) -> str:
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n / 1e3:g}k"


# --- parent side: data, children ------------------------------------------------------------


def ensure_data(tmp: Path, n: int) -> Path:
    """The synthetic data set of ``n`` positions in ``tmp``, generated on first use."""
    out = tmp / f"synth-{n}"
    if not (out / "summary.json").is_file():
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(BENCH / "synth.py"), str(n), str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"synth.py failed:\n{proc.stderr[-3000:]}")
        took = time.perf_counter() - started
        print(f"synthetic {size_label(n)}: {proc.stdout.strip()} ({took:.0f} s)", file=sys.stderr)
    return out


def run_child(case: str, data: Path, timeout_s: float | None = None) -> dict[str, Any] | None:
    """Run one case in a fresh process; ``None`` when it passed ``timeout_s``."""
    # its own process group, so that a timeout also ends the worker processes it started
    with subprocess.Popen(
        [sys.executable, str(BENCH / "detect.py"), case, str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return None
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {case} failed:\n{err[-3000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


RESULT_KEYS = ("case", "rows", "seconds", "peak_mb", "note")


class Runs:
    """The detection cases of one ``bench/run.py`` invocation: data sets and results shared
    between cases (a peer's ratio needs stswatch's time on the same input)."""

    def __init__(
        self, tmp: Path, sizes: list[int], peer_sizes: dict[str, list[int]], timeout_s: float
    ) -> None:
        self.tmp, self.sizes, self.peer_sizes, self.timeout_s = tmp, sizes, peer_sizes, timeout_s
        self.done: dict[tuple[str, int], dict[str, Any]] = {}
        self.datasets: list[str] = []  # one line per synthetic data set
        self.unfinished: list[str] = []  # peer cases stopped at the timeout

    def describe(self, n: int, data: Path) -> None:
        summary = json.loads((data / "summary.json").read_text())
        self.datasets.append(
            f"- synthetic {size_label(n)}: {summary['positions']:,} positions, "
            f"{summary['vessels']:,} vessels, {summary['statics']:,} static reports, "
            f"{summary['planted_encounters']:,} planted encounters, "
            f"{summary['planted_loitering']:,} planted loitering (seed {summary['seed']})"
        )

    def markdown(self) -> list[str]:
        """What goes below the results table: the data sets, stage times, unfinished cases."""
        if not self.datasets:
            return []
        intro = (
            "Detection cases (bench/detect.py): two days of synthetic traffic from "
            "bench/synth.py placed on the real reference geography (`default_geo()`), 70 % "
            "around Korea and the East China Sea, the rest in four other seas: vessels under "
            "way, crowded anchorages off real ports, planted encounters and loitering at sea. "
            "Each size is written once to Parquet and read by every case. Seconds cover the "
            "detection only (reading Parquet and loading the geography are untimed and given "
            "in the note); `CPU` adds up all threads; `load` is the 1-minute load average when "
            "the case ended: the machine was shared with other jobs. Peers (GeoPandas, "
            "MovingPandas): method and parameters in bench/detect.py's docstring; their ratio "
            "compares them with the stswatch row on the same input (listed before them)."
        )
        return ["", intro, "", *self.datasets, *self.unfinished, *self.stage_table()]

    def result(self, case: str, n: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """(new result rows, the result) of ``case`` on ``n`` positions, run once."""
        if (case, n) in self.done:
            return [], self.done[(case, n)]
        fresh = not (self.tmp / f"synth-{n}" / "summary.json").is_file()
        data = ensure_data(self.tmp, n)
        if fresh:
            self.describe(n, data)
        started = time.perf_counter()
        r = run_child(case, data, self.timeout_s if case in PEERS else None)
        print(f"  {case} {nominal(data)}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
        if r is None:
            self.unfinished.append(
                f"- {PEERS[case]} on {nominal(data)} positions: stopped after "
                f"{self.timeout_s:.0f} s without finishing (no result)."
            )
            return [], None
        self.done[(case, n)] = r
        return [{k: r[k] for k in RESULT_KEYS}], r

    def stswatch(self, case: str) -> list[dict[str, Any]]:
        rows = []
        for n in self.sizes:
            rows += self.result(case, n)[0]
        return rows

    def peer(self, case: str, own: str) -> list[dict[str, Any]]:
        rows = []
        for n in self.peer_sizes[case]:
            new_own, mine = self.result(own, n)
            rows += new_own
            new, theirs = self.result(case, n)
            if theirs is not None and mine is not None:
                ratio = theirs["seconds"] / mine["seconds"]
                cpu_ratio = theirs["cpu_s"] / mine["cpu_s"]
                new[0]["note"] += (
                    f"; {ratio:,.0f}x stswatch's wall time ({cpu_ratio:,.0f}x its CPU time)"
                )
            rows += new
        return rows

    def stage_table(self) -> list[str]:
        runs = [(n, self.done[("detect", n)]) for n in self.sizes if ("detect", n) in self.done]
        if not runs:
            return []
        head = " | ".join(f"{size_label(n)} wall s | {size_label(n)} CPU s" for n, _ in runs)
        lines = [
            "",
            "Detect all, time per stage (`sort + segmentation` is the runner's sort by "
            "(mmsi, ts) and `tracks.segment`; each detector's time includes its own geography "
            "lookups):",
            "",
            f"| stage | {head} |",
            "|---|" + "---:|---:|" * len(runs),
        ]
        for stage in runs[0][1]["stages"]:
            cells = " | ".join(
                f"{r['stages'][stage][0]:.2f} | {r['stages'][stage][1]:.2f}" for _, r in runs
            )
            lines.append(f"| {stage} | {cells} |")
        totals = " | ".join(f"{r['seconds']:.2f} | {r['cpu_s']:.2f}" for _, r in runs)
        lines.append(f"| **total** | {totals} |")
        return lines


PEERS = {
    "geopandas": "GeoPandas encounter search",
    "movingpandas": "MovingPandas stop detection",
}


# --- child side: the cases -----------------------------------------------------------------


def _load(data: Path) -> tuple[Any, Any, Any, dict[str, float]]:
    """Positions, statics and the warmed-up reference geography, with how long each took."""
    import numpy as np
    import polars as pl

    from stswatch.geo import default_geo

    t = time.perf_counter()
    positions = pl.read_parquet(data / "positions.parquet")
    statics = pl.read_parquet(data / "statics.parquet")
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    geo = default_geo()
    one = np.array([125.0]), np.array([34.0])
    geo.distance_to_port_m(*one), geo.distance_to_shore_m(*one), geo.nearest_port(*one)
    return positions, statics, geo, {"read_s": t_read, "geo_s": time.perf_counter() - t}


class Clock:
    """Wall and CPU seconds since construction (or the last ``lap``)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.wall0, self.cpu0 = self.wall, self.cpu

    def lap(self) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        out = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return out

    def total(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall0, time.process_time() - self.cpu0


def _report(
    case: str, rows: int, wall: float, cpu: float, note: str, **extra: Any
) -> dict[str, Any]:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()[0]
    note = f"CPU {cpu:.1f} s; load {load:.1f}; {note}"
    return {
        "case": case,
        "rows": rows,
        "seconds": wall,
        "peak_mb": peak,
        "note": note,
        "cpu_s": cpu,
        **extra,
    }


def _setup_note(info: dict[str, float]) -> str:
    return f"untimed: read {info['read_s']:.1f} s, geography {info['geo_s']:.1f} s"


def _pairs(df: Any) -> Any:
    """(mmsi, other_mmsi) with the lower MMSI first, unique."""
    import polars as pl

    return df.select(
        pl.min_horizontal("mmsi", "other_mmsi").alias("mmsi"),
        pl.max_horizontal("mmsi", "other_mmsi").alias("other_mmsi"),
    ).unique()


def _found(planted: Any, found: Any, on: list[str]) -> int:
    return int(planted.join(found.select(on).unique(), on=on, how="semi").height)


def child_detect(data: Path) -> dict[str, Any]:
    import polars as pl

    from stswatch.config import Config
    from stswatch.detect.runner import default_params, run_detectors

    positions, statics, geo, info = _load(data)
    config = Config(detectors=default_params())
    marks: list[tuple[str, float, float]] = []
    clock = Clock()

    def progress(name: str) -> None:
        marks.append((name, time.perf_counter(), time.process_time()))

    events = run_detectors(positions, config, statics=statics, geo=geo, progress=progress)
    wall, cpu = clock.total()
    # the runner sorts, segments, then calls progress(name) before each detector
    ends = [*marks[1:], ("", clock.wall0 + wall, clock.cpu0 + cpu)]
    stages = {"sort + segmentation": (marks[0][1] - clock.wall0, marks[0][2] - clock.cpu0)}
    stages |= {m[0]: (e[1] - m[1], e[2] - m[2]) for m, e in zip(marks, ends, strict=True)}
    counts = events.group_by("type").len().sort("type")
    by_type = ", ".join(f"{t} {k:,}" for t, k in counts.iter_rows())
    enc = _pairs(events.filter(pl.col("type") == "encounter"))
    loit = events.filter(pl.col("type") == "loitering")
    planted_e = _pairs(pl.read_parquet(data / "planted_encounters.parquet"))
    planted_l = pl.read_parquet(data / "planted_loitering.parquet")
    note = (
        f"events: {by_type}; planted found: encounters "
        f"{_found(planted_e, enc, ['mmsi', 'other_mmsi'])}/{planted_e.height}, loitering "
        f"{_found(planted_l, loit, ['mmsi'])}/{planted_l.height}; {_setup_note(info)}"
    )
    n = positions.height
    return _report(
        f"detect all (sort, segmentation, 6 detectors), {nominal(data)} synthetic positions",
        n,
        wall,
        cpu,
        note,
        stages=stages,
    )


def child_encounter(data: Path) -> dict[str, Any]:
    import polars as pl

    from stswatch.detect import encounter
    from stswatch.detect.base import DetectContext

    positions, statics, geo, info = _load(data)
    ctx = DetectContext(geo=geo, statics=statics.sort("mmsi", "ts"))
    clock = Clock()
    events = encounter.detect(positions, encounter.Params(), ctx)
    wall, cpu = clock.total()
    events.select("mmsi", "other_mmsi", "start", "end", "lon", "lat").write_parquet(
        data / "stswatch_encounters.parquet"
    )
    planted = _pairs(pl.read_parquet(data / "planted_encounters.parquet"))
    found = _found(planted, _pairs(events), ["mmsi", "other_mmsi"])
    note = (
        f"{events.height:,} encounters, planted found {found}/{planted.height}; {_setup_note(info)}"
    )
    n = positions.height
    return _report(
        f"encounter, stswatch (10-min grid, cell join), {nominal(data)}", n, wall, cpu, note
    )


def geopandas_encounters(rs: Any, ports: Any, max_distance_m: float = 500.0) -> Any:
    """Encounter events from resampled points (``stswatch.resample`` columns), the GeoPandas
    way: per slot ``sjoin(dwithin)``, pandas runs, ``sjoin_nearest`` for the port distance.
    Same thresholds as ``encounter.Params()``. Returns a pandas DataFrame (mmsi, other_mmsi,
    start, end, lon, lat, port_m)."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    slow = rs.filter(rs["speed_kn"] < 2.0).select("mmsi", "slot", "lon", "lat").to_pandas()
    gdf = gpd.GeoDataFrame(
        slow, geometry=gpd.points_from_xy(slow["lon"], slow["lat"]), crs="EPSG:4326"
    ).to_crs("EPSG:3857")
    # Web Mercator stretches lengths by 1/cos(latitude): search that far (plus 1 %), then
    # keep the pairs whose great-circle distance is within the limit
    gdf["reach"] = max_distance_m * 1.01 / np.cos(np.radians(gdf["lat"]))
    found = []
    for _, g in gdf.groupby("slot", sort=True):
        if len(g) < 2:
            continue
        j = gpd.sjoin(
            g,
            g[["mmsi", "lon", "lat", "geometry"]],
            predicate="dwithin",
            distance=g["reach"].to_numpy(),
        )
        found.append(j[j["mmsi_left"] < j["mmsi_right"]])
    cols = ["mmsi_left", "mmsi_right", "slot", "lon_left", "lat_left", "lon_right", "lat_right"]
    pairs = pd.concat(found)[cols] if found else pd.DataFrame(columns=cols)
    lon1, lat1, lon2, lat2 = (np.radians(pairs[c].to_numpy(float)) for c in cols[3:])
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    pairs = pairs[2 * 6_371_008.8 * np.arcsin(np.sqrt(a)) <= max_distance_m]
    pairs = pairs.rename(columns={"mmsi_left": "mmsi", "mmsi_right": "other_mmsi"})
    pairs = pairs.sort_values(["mmsi", "other_mmsi", "slot"])
    # consecutive slots of a pair are runs; runs less than 4 h apart are one event
    gap = pairs.groupby(["mmsi", "other_mmsi"])["slot"].diff()
    pairs["event"] = (gap.isna() | (gap * 600 >= 4 * 3600)).cumsum()
    pairs["mid_lon"] = (pairs["lon_left"] + pairs["lon_right"]) / 2
    pairs["mid_lat"] = (pairs["lat_left"] + pairs["lat_right"]) / 2
    ev = pairs.groupby("event").agg(
        mmsi=("mmsi", "first"),
        other_mmsi=("other_mmsi", "first"),
        s0=("slot", "min"),
        s1=("slot", "max"),
        lon=("mid_lon", "mean"),
        lat=("mid_lat", "mean"),
    )
    ev = ev[(ev["s1"] - ev["s0"]) * 600 >= 2 * 3600].reset_index(drop=True)
    ev["start"] = pd.to_datetime(ev["s0"] * 600, unit="s", utc=True)
    ev["end"] = pd.to_datetime(ev["s1"] * 600, unit="s", utc=True)
    pts = gpd.GeoDataFrame(
        ev, geometry=gpd.points_from_xy(ev["lon"], ev["lat"]), crs="EPSG:4326"
    ).to_crs("EPSG:3857")
    near = gpd.sjoin_nearest(pts, ports, distance_col="port_merc").groupby(level=0).first()
    ev["port_m"] = near["port_merc"] * np.cos(np.radians(ev["lat"]))
    return ev[ev["port_m"] >= 10_000.0][
        ["mmsi", "other_mmsi", "start", "end", "lon", "lat", "port_m"]
    ]


def child_geopandas(data: Path) -> dict[str, Any]:
    import geopandas as gpd
    import polars as pl

    from stswatch.resample import resample

    positions, _, geo, info = _load(data)
    p = geo.ports()
    ports = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(p["lon"].to_numpy(), p["lat"].to_numpy()), crs="EPSG:4326"
    ).to_crs("EPSG:3857")
    ports.sindex  # noqa: B018 (build the index before the clock starts, as for stswatch)
    clock = Clock()
    rs = resample(positions)
    t_rs = clock.lap()
    ev = geopandas_encounters(rs, ports)
    t_gpd = clock.lap()
    wall, cpu = clock.total()
    found = pl.from_pandas(ev[["mmsi", "other_mmsi"]]).cast(pl.Int64)
    planted = _pairs(pl.read_parquet(data / "planted_encounters.parquet"))
    ours = data / "stswatch_encounters.parquet"
    same = ""
    if ours.is_file():
        keys = ["mmsi", "other_mmsi", "start"]
        a = pl.read_parquet(ours).select(keys)
        b = pl.from_pandas(ev[keys]).with_columns(
            pl.col("mmsi", "other_mmsi").cast(pl.Int64), pl.col("start").dt.cast_time_unit("us")
        )
        both = a.join(b, on=keys, how="inner").height
        same = f"; same (pair, start) as stswatch: {both:,} of {a.height:,} / {b.height:,}"
    note = (
        f"{len(ev):,} encounters, planted found {_found(planted, found, ['mmsi', 'other_mmsi'])}"
        f"/{planted.height}{same}; stswatch resample {t_rs[0]:.1f} s + GeoPandas "
        f"{t_gpd[0]:.1f} s; {_setup_note(info)}"
    )
    n = positions.height
    return _report(
        f"encounter, GeoPandas (per-slot sjoin dwithin), {nominal(data)}", n, wall, cpu, note
    )


def child_loitering(data: Path) -> dict[str, Any]:
    import polars as pl

    from stswatch.detect import loitering
    from stswatch.detect.base import DetectContext

    positions, _, geo, info = _load(data)
    clock = Clock()
    events = loitering.detect(positions, loitering.Params(), DetectContext(geo=geo))
    wall, cpu = clock.total()
    events.select("mmsi", "start", "end").write_parquet(data / "stswatch_loitering.parquet")
    planted = pl.read_parquet(data / "planted_loitering.parquet")
    note = (
        f"{events.height:,} loitering events, planted found "
        f"{_found(planted, events, ['mmsi'])}/{planted.height}; {_setup_note(info)}"
    )
    n = positions.height
    return _report(f"loitering, stswatch, {nominal(data)}", n, wall, cpu, note)


def child_movingpandas(data: Path) -> dict[str, Any]:
    import warnings

    import geopandas as gpd
    import polars as pl

    warnings.filterwarnings("ignore", message="Missing optional dependencies")
    import movingpandas as mpd

    positions, _, geo, info = _load(data)
    max_diameter_m = 2.0 * KNOTS_TO_MPS * 4 * 3600.0  # 14,816 m
    clock = Clock()
    # naive UTC times, as MovingPandas asks (it would drop the zone itself, with a warning)
    df = positions.select("mmsi", pl.col("ts").dt.replace_time_zone(None), "lon", "lat").to_pandas()
    gdf = gpd.GeoDataFrame(
        df[["mmsi", "ts"]], geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326"
    )
    tc = mpd.TrajectoryCollection(gdf, traj_id_col="mmsi", t="ts")
    t_build = clock.lap()
    detector = mpd.TrajectoryStopDetector(tc, n_processes=2)
    ranges = detector.get_stop_time_ranges(max_diameter_m, timedelta(hours=4))
    t_stops = clock.lap()
    wall, cpu = clock.total()
    # children of the process pool: their CPU time counts too
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += kids.ru_utime + kids.ru_stime
    stops = pl.DataFrame(
        {
            "mmsi": [int(r.traj_id) for r in ranges],
            "start": [r.t_0 for r in ranges],
            "end": [r.t_n for r in ranges],
        },
        schema={"mmsi": pl.Int64, "start": pl.Datetime("us"), "end": pl.Datetime("us")},
    ).with_columns(pl.col("start", "end").dt.replace_time_zone("UTC"))
    # the loitering distance filters on each stop's mean position (untimed)
    mean = (
        stops.with_row_index("stop")
        .join(positions.select("mmsi", "ts", "lon", "lat"), on="mmsi")
        .filter(pl.col("ts").is_between(pl.col("start"), pl.col("end")))
        .group_by("stop")
        .agg(pl.col("lon").mean(), pl.col("lat").mean())
        .sort("stop")
    )
    lon, lat = mean["lon"].to_numpy(), mean["lat"].to_numpy()
    far = (geo.distance_to_shore_m(lon, lat) >= 20 * 1852.0) & (
        geo.distance_to_port_m(lon, lat) >= 10_000.0
    )
    at_sea = stops.with_row_index("stop").join(mean.filter(pl.Series(far)), on="stop")
    planted = pl.read_parquet(data / "planted_loitering.parquet")
    same = ""
    ours = data / "stswatch_loitering.parquet"
    if ours.is_file():
        a = pl.read_parquet(ours).select("mmsi").unique()
        both = a.join(at_sea.select("mmsi").unique(), on="mmsi").height
        same = f"; vessels also found by stswatch: {both:,} of {a.height:,}"
    note = (
        f"{len(ranges):,} stops, {at_sea.height:,} far from shore and port, planted found "
        f"{_found(planted, at_sea, ['mmsi'])}/{planted.height}{same}; build trajectories "
        f"{t_build[0]:.1f} s, stops {t_stops[0]:.1f} s (2 processes); max_diameter "
        f"{max_diameter_m:,.0f} m, min_duration 4 h; {_setup_note(info)}"
    )
    n = positions.height
    return _report(
        f"stops, MovingPandas TrajectoryStopDetector, {nominal(data)}", n, wall, cpu, note
    )


CHILDREN: dict[str, Callable[[Path], dict[str, Any]]] = {
    "detect": child_detect,
    "encounter": child_encounter,
    "geopandas": child_geopandas,
    "loitering": child_loitering,
    "movingpandas": child_movingpandas,
}


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in CHILDREN:
        sys.exit(f"usage: detect.py {{{','.join(CHILDREN)}}} DATA_DIR (run by bench/run.py)")
    print(json.dumps(CHILDREN[sys.argv[1]](Path(sys.argv[2])), default=str))


if __name__ == "__main__":
    main()
