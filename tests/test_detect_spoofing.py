"""Spoofing detector: scenario tracks a reviewer can read, and GFW's real shared MMSIs."""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgpack
import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from stswatch import schema, tracks
from stswatch.detect import spoofing
from stswatch.detect.base import DetectContext
from stswatch.units import haversine_m

T0 = datetime(2024, 3, 1, tzinfo=UTC)
NM_DEG = 1 / 60


def track(mmsi: int, rows: Sequence[tuple[float, float, float]]) -> pl.DataFrame:
    """Positions from (minutes after T0, lon, lat) rows."""
    n = len(rows)
    table = {
        "mmsi": [mmsi] * n,
        "ts": [T0 + timedelta(minutes=m) for m, _, _ in rows],
        "lon": [float(r[1]) for r in rows],
        "lat": [float(r[2]) for r in rows],
        "sog": [None] * n,
        "cog": [None] * n,
        "heading": [None] * n,
        "nav_status": [None] * n,
        "msg_type": [1] * n,
        "source": ["test"] * n,
        "station": [None] * n,
        "batch_id": ["b"] * n,
    }
    return pl.DataFrame(pa.table(table, schema=schema.POSITIONS))


def steaming(start_min: float, n: int, lon: float, lat: float, kn: float = 10.0, every=10.0):
    step = kn * (every / 60) * NM_DEG
    return [(start_min + every * i, lon, lat + step * i) for i in range(n)]


def run(df: pl.DataFrame, geo=None, **kw) -> pl.DataFrame:
    return spoofing.detect(tracks.segment(df), spoofing.Params(**kw), DetectContext(geo=geo))


def subtypes(ev: pl.DataFrame) -> list[str]:
    return sorted(ev["subtype"].to_list())


class NaturalEarthGeo:
    """A small honest GeoLookup: Natural Earth 1:110m land polygons and 1:10m port points."""

    def __init__(self, shared: Path) -> None:
        ne = shared / "natural-earth"
        feats = json.loads((ne / "ne_110m_land.json").read_text())["features"]
        self.land = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in feats])
        shapely.prepare(self.land)
        ports = json.loads((ne / "ne_10m_ports.json").read_text())["features"]
        self.ports = np.array([f["geometry"]["coordinates"] for f in ports], dtype=float)

    def on_land(
        self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_]:
        return np.asarray(shapely.contains_xy(self.land, lon, lat))

    def distance_to_port_m(
        self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        d = haversine_m(lon[:, None], lat[:, None], self.ports[None, :, 0], self.ports[None, :, 1])
        return d.min(axis=1)

    def distance_to_shore_m(
        self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        raise NotImplementedError("not needed by the spoofing detector")


@pytest.fixture(scope="module")
def geo(shared: Path) -> NaturalEarthGeo:
    return NaturalEarthGeo(shared)


# --- impossible_speed ---------------------------------------------------------------------


def test_teleport_and_back_is_one_impossible_speed_event():
    rows = steaming(0, 6, 124.0, 31.0)  # East China Sea, 10 kn north
    # spoof starts: three reports 420 nm away off Nampo, North Korea
    rows += [(60, 124.9, 38.6), (70, 124.9, 38.61), (80, 124.9, 38.62)]
    # spoof ends: back on the original track
    rows += steaming(90, 4, 124.0, 31.0 + 15 * (10 / 60) * NM_DEG)
    ev = run(track(412000001, rows))
    assert subtypes(ev) == ["impossible_speed"]  # out, held, and back: one excursion
    out = ev.row(0, named=True)
    # from the last true report before the jump out to the first true report after it
    assert out["start"] == T0 + timedelta(minutes=50) and out["end"] == T0 + timedelta(minutes=90)
    evidence = json.loads(out["evidence"])
    assert evidence["n_jumps"] == 2
    assert evidence["max_distance_m"] > 400 * 1852
    assert evidence["max_implied_speed_kn"] > 2000
    assert evidence["jumps"][0]["to_lat"] == pytest.approx(38.6)


def test_one_report_excursion_chains_out_and_back_when_allowed():
    rows = steaming(0, 6, 124.0, 31.0)
    rows += [(55, 124.9, 38.6)]  # a single report off Nampo
    rows += steaming(60, 4, 124.0, 31.0 + 6 * (10 / 60) * NM_DEG)
    assert run(track(412000001, rows)).height == 0  # default: one report is a glitch
    ev = run(track(412000001, rows), min_excursion_reports=1)
    assert subtypes(ev) == ["impossible_speed"]
    assert json.loads(ev["evidence"][0])["n_jumps"] == 2
    assert ev["start"][0] == T0 + timedelta(minutes=50)
    assert ev["end"][0] == T0 + timedelta(minutes=60)


def test_corrupt_longitude_sign_is_not_spoofing():
    rows = steaming(0, 6, -32.7, 9.8)
    lat = rows[-1][2]
    rows += [(55, 32.7, lat), (56, 32.7, lat)]  # longitude sign flipped, latitude kept
    rows += steaming(60, 4, -32.7, lat + 1 * (10 / 60) * NM_DEG)
    assert run(track(431704490, rows)).height == 0
    assert subtypes(run(track(431704490, rows), ignore_single_axis_jumps=False)) == [
        "impossible_speed"
    ]


def test_fast_honest_vessel_and_short_hops_are_not_spoofing():
    rows = steaming(0, 20, 124.0, 31.0, kn=28.0)  # a fast ferry, 28 kn
    # a 30 km (16 nm) hop in 10 minutes: impossible, but within satellite timing noise
    rows += [(200, 124.0, 31.0 + 16 * NM_DEG + 19 * 28 / 6 * NM_DEG)]
    rows += steaming(210, 3, 124.0, 31.0 + 20 * 28 / 6 * NM_DEG, kn=28.0)
    assert run(track(412000001, rows)).height == 0


# --- mmsi_collision -----------------------------------------------------------------------


def test_two_vessels_sharing_an_mmsi_collide():
    kaohsiung = steaming(0, 18, 120.3, 22.6, every=20)  # vessel A
    keelung = steaming(10, 18, 121.8, 25.2, every=20)  # vessel B, 180 nm away, same hours
    ev = run(track(416000000, kaohsiung + keelung), flag_mid_placeholders=False)
    assert subtypes(ev) == ["mmsi_collision"]  # the 35 jumps are folded into it
    e = ev.row(0, named=True)
    assert e["start"] == T0 + timedelta(minutes=10)
    assert e["end"] == T0 + timedelta(minutes=340)
    evidence = json.loads(e["evidence"])
    assert evidence["segment"] == "416000000-1"  # Keelung appears while Kaohsiung reports
    assert evidence["n_jumps"] == 35
    (other,) = evidence["concurrent"]
    assert other["segment"] == "416000000-0"
    assert other["median_separation_m"] == pytest.approx(
        haversine_m(120.3, 22.6, 121.8, 25.2), rel=0.02
    )


def test_three_vessels_on_one_mmsi_give_one_event_per_newcomer():
    kaohsiung = steaming(0, 30, 120.3, 22.6, every=20)
    keelung = steaming(10, 24, 121.8, 25.2, every=20)  # appears 10 min in
    indian_ocean = steaming(125, 12, 61.0, -9.7, every=20)  # appears at 02:05
    ev = run(track(416000001, kaohsiung + keelung + indian_ocean))
    assert subtypes(ev) == ["mmsi_collision", "mmsi_collision"]
    late = ev.sort("start").row(1, named=True)
    assert late["start"] == T0 + timedelta(minutes=125)
    evidence = json.loads(late["evidence"])
    assert [c["segment"] for c in evidence["concurrent"]] == ["416000001-0", "416000001-1"]
    assert ev["event_id"].n_unique() == 2


def test_vessels_in_one_harbour_do_not_collide_but_remain_split():
    a = steaming(0, 18, 120.30, 22.60, every=20)
    b = steaming(10, 18, 120.30, 22.78, every=20)  # 11 nm away: below min_separation_m
    df = track(416000001, a + b)
    assert tracks.segment(df)["seg_id"].n_unique() == 2
    assert run(df).height == 0


def test_sequential_vessels_on_one_mmsi_are_a_jump_not_a_collision():
    a = steaming(0, 10, 120.3, 22.6)
    b = steaming(100, 10, 61.0, -9.7)  # the MMSI reappears in the Indian Ocean 10 min later
    ev = run(track(416000001, a + b))
    assert subtypes(ev) == ["impossible_speed"]


# --- on_land ------------------------------------------------------------------------------


def test_track_over_inland_australia_is_on_land(geo: NaturalEarthGeo):
    rows = steaming(0, 4, 154.0, -30.0, kn=12)  # off New South Wales, at sea
    rows += [(40 + 10 * i, 146.0, -30.0 + 0.01 * i) for i in range(4)]  # on land: 4 reports
    ev = run(track(503000001, rows), geo=geo, min_jump_m=1e12)  # only the land test here
    assert subtypes(ev) == ["on_land"]
    assert ev["start"][0] == T0 + timedelta(minutes=40)
    assert ev["end"][0] == T0 + timedelta(minutes=70)
    assert json.loads(ev["evidence"][0])["n_reports"] == 4


def test_two_reports_on_land_or_reports_in_port_are_not_on_land(geo: NaturalEarthGeo):
    rows = steaming(0, 4, 154.0, -30.0) + [(40, 146.0, -30.0), (50, 146.0, -30.01)]
    assert run(track(503000001, rows), geo=geo, min_jump_m=1e12).height == 0
    # Rotterdam's port point lies inside coarse land: four reports there are a port call.
    rotterdam = [(10 * i, 4.30, 51.90) for i in range(5)]
    assert geo.on_land(np.array([4.30]), np.array([51.90]))[0]
    assert run(track(244000001, rotterdam), geo=geo).height == 0
    only_land = run(track(244000001, rotterdam), geo=geo, port_buffer_m=0)
    assert only_land.height == 0  # never seen at sea: inland water the land mask calls land
    flagged = run(track(244000001, rotterdam), geo=geo, port_buffer_m=0, min_sea_reports=0)
    assert subtypes(flagged) == ["on_land"]


def test_a_vessel_seen_at_sea_then_on_land_is_flagged(geo: NaturalEarthGeo):
    # steaming in the Tasman Sea, then five reports deep inside Australia (spoofed).
    rows = steaming(0, 4, 154.0, -30.0) + [(60 + 10 * i, 146.0, -30.0) for i in range(5)]
    events = run(track(503000001, rows), geo=geo, min_jump_m=1e12)
    assert subtypes(events) == ["on_land"]
    assert events["start"][0] == T0 + timedelta(minutes=60)


def test_without_geography_on_land_is_skipped():
    rows = [(10 * i, 146.0, -30.0) for i in range(5)]
    assert run(track(503000001, rows)).height == 0


# --- invalid_mmsi -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mmsi", "rule"),
    [
        (123456789, "sequence"),
        (111111111, "repeated_digit"),
        (777777777, "repeated_digit"),
        (200000000, "placeholder"),
        (416000000, "mid_placeholder"),
        (240000000, "mid_placeholder"),
        (600011817, "unallocated_mid"),  # MID 600 is not allocated (GFW test data)
        (100123456, "unassigned_class"),
        (955123456, "unassigned_class"),
        (111999123, "unallocated_mid"),  # SAR aircraft with MID 999
        (1072211352, "not_nine_digits"),
        (41234567, "unassigned_class"),  # 0MIDxxxxx: a group call identity
        (2113456, None),  # 00MIDxxxx: a German coast station
        (636015565, None),  # VIKTOR BAKAEV, Liberia
        (445123456, None),  # DPRK ship station
        (111240123, None),  # Greek SAR aircraft
        (992401234, None),  # Greek aid to navigation
        (970123456, None),  # AIS-SART
        (812345678, None),  # handheld
        (412000001, None),
    ],
)
def test_mmsi_rules(mmsi: int, rule: str | None):
    got = pl.select(spoofing.mmsi_problem(pl.lit(mmsi, pl.Int64))).item()
    assert got == rule


def test_invalid_mmsi_event_spans_the_mmsis_reports():
    rows = steaming(0, 5, 124.0, 31.0)
    ev = run(track(123456789, rows))
    assert subtypes(ev) == ["invalid_mmsi"]
    assert ev["start"][0] == T0 and ev["end"][0] == T0 + timedelta(minutes=40)
    assert json.loads(ev["evidence"][0]) == {
        "rule": "sequence",
        "mid": None,
        "n_reports": 5,
        "n_segments": 1,
    }
    assert run(track(416000000, rows), flag_mid_placeholders=False).height == 0


# --- properties ---------------------------------------------------------------------------


def scene() -> pl.DataFrame:
    a = steaming(0, 18, 120.3, 22.6, every=20)
    b = steaming(10, 18, 121.8, 25.2, every=20)
    spoof = steaming(0, 6, 124.0, 31.0) + [
        (60, 124.9, 38.6),
        (70, 124.9, 38.61),
        (80, 124.9, 38.62),
    ]
    return pl.concat([track(416000000, a + b), track(412000001, spoof)])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_row_order_changes_nothing(seed: int):
    df = scene()
    want = run(df)
    got = run(df.sample(fraction=1.0, shuffle=True, seed=seed))
    assert want.sort("event_id").equals(got.sort("event_id"))


@settings(max_examples=10, deadline=None)
@given(lon=st.floats(-180, 180), lat=st.floats(-60, 60))
def test_another_vessel_anywhere_changes_nothing(lon: float, lat: float):
    df = scene()
    other = track(311000001, steaming(0, 10, lon, lat))
    with_other = run(pl.concat([df, other]))
    assert (
        with_other.filter(pl.col("mmsi") != 311000001)
        .sort("event_id")
        .equals(run(df).sort("event_id"))
    )


def test_events_follow_the_schema():
    ev = run(scene())
    assert ev.columns == schema.EVENTS.names
    assert ev.schema == pl.DataFrame(schema.EVENTS.empty_table()).schema
    assert set(ev["type"]) == {"spoofing"}
    assert (ev["end"] >= ev["start"]).all()


# --- real data ----------------------------------------------------------------------------


def gfw_positions(path: Path) -> pl.DataFrame:
    raw = pl.read_ndjson(path)
    ts = (
        pl.col("timestamp")
        .str.replace(" ", "T")
        .str.strip_chars_end("Z")
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_zone="UTC", time_unit="us")
    )
    rows = raw.filter(
        pl.col("lon").is_not_null() & (pl.col("lat").abs() <= 90) & (pl.col("lon").abs() <= 180)
    )
    return track(0, []).vstack(
        rows.select(
            pl.col("ssvid").cast(pl.Int64).alias("mmsi"),
            ts.alias("ts"),
            pl.col("lon").cast(pl.Float64),
            pl.col("lat").cast(pl.Float64),
            pl.col("speed").cast(pl.Float32).alias("sog"),
            pl.col("course").cast(pl.Float32).alias("cog"),
            pl.lit(None, pl.Int16).alias("heading"),
            pl.lit(None, pl.Int8).alias("nav_status"),
            pl.lit(None, pl.Int8).alias("msg_type"),
            pl.lit("gfw").alias("source"),
            pl.lit(None, pl.Utf8).alias("station"),
            pl.lit("b").alias("batch_id"),
        )
    )


def gpsdio_positions(path: Path) -> pl.DataFrame:
    with gzip.open(path) as f:
        msgs = [m for m in msgpack.Unpacker(f, raw=False, strict_map_key=False)]
    rows = [m for m in msgs if m.get("type") in (1, 2, 3, 18, 19, 27) and "lat" in m]
    rows = [m for m in rows if abs(m["lat"]) <= 90 and abs(m["lon"]) <= 180]
    t = [datetime.fromisoformat(m["timestamp"].replace("Z", "+00:00")) for m in rows]
    mmsi = rows[0]["mmsi"]
    df = track(mmsi, [(0.0, m["lon"], m["lat"]) for m in rows])
    return df.with_columns(pl.Series("ts", t, dtype=pl.Datetime("us", "UTC")))


def test_shared_mmsi_416000000_collides_and_jumps(shared: Path):
    df = gfw_positions(shared / "gfw-gpsdio-segment" / "416000000.json")
    ev = run(df)
    counts = dict(ev.group_by("subtype").len().iter_rows())
    # Measured: 8 collisions, 40 impossible_speed, 1 invalid_mmsi (MID 416 + 000000).
    assert ev["event_id"].is_unique().all()
    assert counts["mmsi_collision"] >= 5
    assert counts["impossible_speed"] >= 10
    assert counts["invalid_mmsi"] == 1
    far = [
        c["median_separation_m"]
        for e in ev.filter(subtype="mmsi_collision")["evidence"]
        for c in json.loads(e)["concurrent"]
    ]
    assert max(far) > 7_000_000  # Taiwan vs the Indian Ocean
    speeds = [
        json.loads(e)["max_implied_speed_kn"]
        for e in ev.filter(subtype="impossible_speed")["evidence"]
    ]
    assert min(speeds) > 30


def test_single_vessel_338013000_raises_nothing(shared: Path):
    """One US vessel whose satellite reports lag by up to ~50 km: noise, not spoofing."""
    df = gfw_positions(shared / "gfw-gpsdio-segment" / "338013000.json")
    assert run(df).height == 0


def test_placeholder_240000000_is_two_ships_on_two_oceans(shared: Path):
    df = gpsdio_positions(shared / "gfw-gpsdio-segment" / "point-pair" / "240000000.msg.gz")
    ev = run(df)
    counts = dict(ev.group_by("subtype").len().iter_rows())
    # Measured: 7 collisions (Caribbean off Colombia vs the Bay of Bengal), 4 jumps.
    assert counts["mmsi_collision"] >= 5
    assert counts["invalid_mmsi"] == 1


def test_honest_fishing_vessel_224051350_raises_nothing(shared: Path):
    df = gpsdio_positions(shared / "gfw-gpsdio-segment" / "point-pair" / "224051350.msg.gz")
    assert run(df).height == 0


def test_a_continuous_track_from_sea_onto_land_is_not_on_land(geo: NaturalEarthGeo):
    # 10 kn due west from the Tasman Sea into New South Wales, one report every 10 minutes:
    # a river or estuary transit looks like this; the track never jumps, so it is not a spoof.
    step_deg = 10 / 6 / 60 / np.cos(np.radians(30.0))
    rows = [(10 * i, 154.0 - step_deg * i, -30.0) for i in range(60)]
    assert geo.on_land(np.array([rows[-1][1]]), np.array([-30.0]))[0]
    assert run(track(503000001, rows), geo=geo, port_buffer_m=0).height == 0
