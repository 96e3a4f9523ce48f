"""Windowed detection finds the same events as one run over all data (issue 6).

The simulated scenario spans several days with injected encounters, loitering, gaps,
spoofing and identity changes plus long port calls; windows of a day and of a few hours
(many edges, many events crossing them) must give exactly the in-memory events, evidence
included. Segment labels (``<mmsi>-<n>``) number an MMSI's segments within one run and are
the one thing allowed to differ (docs/detection.md, "Windows and memory").
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import cache

import polars as pl
import pytest

from stswatch.config import load
from stswatch.detect import windows
from stswatch.detect.runner import Window, default_params, detect_store, run_detectors
from stswatch.geo import default_geo
from stswatch.ingest import ingest_paths
from stswatch.simulate import SimConfig, simulate
from stswatch.store import Store

SEGMENT = re.compile(r'"(\d{9})-\d+"')


@cache
def geo():  # loaded once per test process
    return default_geo()


def comparable(events: pl.DataFrame) -> list[dict[str, object]]:
    rows = events.sort("event_id").to_dicts()
    for r in rows:
        r["evidence"] = json.loads(SEGMENT.sub(r'"\1-SEG"', r["evidence"]))
    return rows


@pytest.fixture(scope="module")
def sim_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("windows")
    cfg = SimConfig(seed=3, vessels=40, days=3.0, start=datetime(2024, 3, 1, 5, 17, tzinfo=UTC))
    simulate(cfg, tmp / "sim", nmea=False)
    db = tmp / "w.duckdb"
    with Store(db) as store:
        ingest_paths(store, [str(tmp / "sim" / "positions.csv")])
        whole = detect_store(store, load(None, default_params()), Window(), geo=geo(), window_h=0)
    return db, whole


def test_in_memory_run_has_every_kind_of_event(sim_store):
    _, whole = sim_store
    kinds = set(whole.events["type"])
    assert {"encounter", "loitering", "gap", "spoofing", "port_visit"} <= kinds
    long = whole.events.filter(pl.col("duration_h") > 24)
    assert long.height, "the scenario must have events longer than a day (port calls)"


@pytest.mark.parametrize("window_h", [24.0, 5.0])
def test_windowed_run_finds_the_same_events(sim_store, window_h):
    db, whole = sim_store
    with Store(db) as store:
        res = detect_store(
            store, load(None, default_params()), Window(), geo=geo(), window_h=window_h
        )
    assert res.windows >= (3 if window_h == 24 else 14)
    assert res.positions == whole.positions
    assert res.positions_read > res.positions  # the overlaps were read
    assert res.events["event_id"].is_unique().all()
    assert comparable(res.events) == comparable(whole.events)


def test_windows_align_on_midnight_and_cover_the_data():
    first = datetime(2024, 3, 1, 5, 17, tzinfo=UTC)
    last = datetime(2024, 3, 3, 23, 59, tzinfo=UTC)
    spans = list(windows.windows(first, last, 24))
    assert spans[0][0] == datetime(2024, 3, 1, tzinfo=UTC)
    assert spans[-1][1] == datetime(2024, 3, 4, tzinfo=UTC) and len(spans) == 3
    spans = list(windows.windows(first, last, 5))
    assert spans[0][0] == datetime(2024, 3, 1, 5, tzinfo=UTC)
    assert all(b == c for (_, b), (c, _) in zip(spans, spans[1:], strict=False))
    assert spans[-1][0] <= last < spans[-1][1]


def test_window_size_follows_the_memory_budget():
    per_pos = windows.BYTES_PER_POSITION
    # everything fits: one pass in memory
    assert windows.window_hours_for(10_000 * per_pos, 10_000, 72, 6) == 0
    # 100M positions over 7 days in 6 GB: 595k/h; 6 GB holds 6e9 / BYTES_PER_POSITION of them,
    # less 12 h of overlaps
    fit = 6_000_000_000 / per_pos / (100_000_000 / 168) - 12
    assert 1 < fit < 24
    assert windows.window_hours_for(6_000_000_000, 100_000_000, 168, 6) == int(fit)
    # never longer than a day, never shorter than an hour
    assert windows.window_hours_for(10**12, 10**10, 10_000, 6) == 24
    assert windows.window_hours_for(10**6, 10**9, 24, 6) == 1


def test_context_covers_each_detectors_longest_setting():
    cfg = load(None, default_params())
    ctx = windows.context_hours(cfg)
    assert ctx["encounter"] == cfg.params("encounter").dark_window_h == 24
    # a gap is bounded by its own reports (read either side); its evidence looks 2 h around
    assert ctx["gap"] == cfg.params("partition").overlap_h == 6
    assert ctx["identity_change"] == 6  # no hour settings: the overlap
    assert windows.neighbour_hours(cfg) == {"gap": cfg.params("gap").near_max_dt_h}


def _store_with(tmp_path, rows: list[tuple[int, datetime, float, float, float]]) -> Store:
    df = pl.DataFrame(
        {
            "mmsi": [r[0] for r in rows],
            "ts": [r[1] for r in rows],
            "lon": [r[2] for r in rows],
            "lat": [r[3] for r in rows],
            "sog": [r[4] for r in rows],
        }
    )
    path = tmp_path / "p.parquet"
    df.with_columns(pl.col("ts").dt.replace_time_zone("UTC")).write_parquet(path)
    store = Store(tmp_path / "t.duckdb")
    ingest_paths(store, [str(path)], fmt="parquet")
    return store


def test_each_vessel_keeps_its_reports_either_side_of_the_span(tmp_path):
    t0 = datetime(2024, 5, 1, tzinfo=UTC)
    rows = [(440000001, t0 + timedelta(hours=h), 124.0, 35.0, 0.1) for h in (0, 1, 40, 41)]
    rows += [(440000002, t0 + timedelta(hours=h), 125.0, 35.0, 0.1) for h in (30, 31, 32)]
    with _store_with(tmp_path, rows) as store:
        read = windows.duckdb_reader(store, "TRUE", [])
        got = read(t0 + timedelta(hours=29), t0 + timedelta(hours=31, minutes=30), None, [])
        hours = {
            m: sorted(int((t - t0).total_seconds() // 3600) for t in g["ts"])
            for (m,), g in got.group_by("mmsi")
        }
        # vessel 1 has nothing inside, so it is not read; vessel 2 gets its next report
        assert hours == {440000002: [30, 31, 32]}
        got = read(t0 + timedelta(hours=20), t0 + timedelta(hours=30, minutes=30), None, [])
        hours = {
            m: sorted(int((t - t0).total_seconds() // 3600) for t in g["ts"])
            for (m,), g in got.group_by("mmsi")
        }
        assert hours == {440000002: [30, 31]}  # nothing before 30 h; 31 h is the next report
        got = read(t0 + timedelta(hours=1), t0 + timedelta(hours=2), [440000001], [])
        assert sorted(int((t - t0).total_seconds() // 3600) for t in got["ts"]) == [0, 1, 40]


def test_a_silence_longer_than_the_overlap_across_midnight_is_one_whole_gap(tmp_path):
    """At sea in the Yellow Sea, reporting every 10 min, dark for 30 h across two midnights."""
    t0 = datetime(2024, 5, 1, 8, tzinfo=UTC)
    rows, t, lon = [], t0, 123.0
    while t < t0 + timedelta(days=4):
        if not (t0 + timedelta(hours=10) < t < t0 + timedelta(hours=40)):
            rows.append((441000001, t, lon, 35.5, 9.0))
        t += timedelta(minutes=10)
        lon += 0.005  # about 9 knots eastward
    cfg = load(None, default_params())
    with _store_with(tmp_path, rows) as store:
        whole = detect_store(store, cfg, Window(), geo=geo(), window_h=0).events
        daily = detect_store(store, cfg, Window(), geo=geo(), window_h=24).events
        hourly = detect_store(store, cfg, Window(), geo=geo(), window_h=3).events
    gaps = whole.filter(pl.col("type") == "gap")
    assert gaps.height == 1
    assert gaps["start"][0] == t0 + timedelta(hours=10)
    assert comparable(daily) == comparable(whole) == comparable(hourly)


def test_cli_sizes_windows_to_the_memory_limit(sim_store, tmp_path):
    db, whole = sim_store
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(db.read_bytes())
    limit = f"{whole.positions * windows.BYTES_PER_POSITION // 2 // 1_000_000}MB"
    res = stswatch("detect", "--db", str(copy), "--memory-limit", limit)
    assert res.returncode == 0, res.stderr
    assert re.search(r"in \d+ windows of \d+ h", res.stdout)
    assert f"{whole.events.height:,} events" in res.stdout
    with Store(copy, read_only=True) as store:
        runs = store.query("SELECT params FROM runs ORDER BY started DESC LIMIT 1").to_pylist()
    used = json.loads(runs[0]["params"])["windows_used"]
    assert used["windows"] > 1 and used["positions_read"] > whole.positions
    bad = stswatch("detect", "--db", str(copy), "--memory-limit", "lots")
    assert bad.returncode == 2 and "8GB" in bad.stderr


def stswatch(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from stswatch.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )


def test_kernel_on_fewer_vessels_keeps_their_events(sim_store):
    """The premise of re-running only the vessels of an unfinished event."""
    db, whole = sim_store
    with Store(db, read_only=True) as store:
        pos = pl.from_arrow(store.query("SELECT * FROM positions ORDER BY mmsi, ts"))
        statics = pl.from_arrow(store.query("SELECT * FROM statics ORDER BY mmsi, ts"))
    enc = whole.events.filter(pl.col("type") == "encounter")
    pair = {enc["mmsi"][0], enc["other_mmsi"][0]}
    few = run_detectors(
        pos.filter(pl.col("mmsi").is_in(list(pair))),
        load(None, default_params()),
        statics=statics,
        geo=geo(),
    )
    theirs = whole.events.filter(
        pl.col("mmsi").is_in(list(pair))
        & (pl.col("other_mmsi").is_null() | pl.col("other_mmsi").is_in(list(pair)))
    )
    assert comparable(few) == comparable(theirs)
