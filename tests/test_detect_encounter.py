"""Encounters: hand-made scenario tracks a domain expert can check, and properties.

Scenario positions are real places: the East China Sea about 250 km off Shanghai, where
Japan's MOFA reported DPRK-linked transfers in 2018 (documented-sts-incidents), the
antimeridian in the central Pacific, and the port of Nampo (DPRK). Distances to ports are
haversine distances to the real World Port Index list in ../shared (gfw-anchorages), and
distances to shore come from Natural Earth 110m land with shapely: nothing is a constant.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from scenario import T0, WorldGeo, evidence, hm
from scenario import leg as _leg
from stswatch import schema
from stswatch.detect import encounter
from stswatch.detect.base import DetectContext
from stswatch.errors import UsageError
from stswatch.resample import resample
from stswatch.units import haversine_m

A, B, C, FAR = 412000001, 412000002, 412000003, 636000009
METERS_PER_DEG_LAT = 111_195.0


@pytest.fixture(scope="module")
def geo(shared: Path) -> WorldGeo:
    return WorldGeo(shared)


def leg(*args: Any, every_min: float = 3.0, **kwargs: Any) -> pl.DataFrame:
    """``scenario.leg`` reporting every 3 minutes unless told otherwise."""
    return _leg(*args, every_min=every_min, **kwargs)


def positions(*legs: pl.DataFrame) -> pl.DataFrame:
    """Legs as a positions table (schema.POSITIONS), sorted by (mmsi, ts)."""
    df = pl.concat(legs).sort("mmsi", "ts")
    full = pl.DataFrame(schema.POSITIONS.empty_table())
    df = df.with_columns(
        *[pl.lit(None).alias(c) for c in full.columns if c not in df.columns],
    ).with_columns(source=pl.lit("test"), batch_id=pl.lit("test"))
    return df.select([pl.col(c).cast(t) for c, t in full.schema.items()])


def east(lon: float, lat: float, metres: float) -> tuple[float, float]:
    return lon + metres / (METERS_PER_DEG_LAT * np.cos(np.radians(lat))), lat


SEA = (124.50, 30.50)  # East China Sea, ~250 km off Shanghai, ~130 nm from the nearest coast
SEA_150M_E = east(*SEA, 150.0)
DRIFT = 0.0045  # degrees of latitude per hour northwards: 500 m/h, about 0.27 kn


def north(p: tuple[float, float], hours: float) -> tuple[float, float]:
    return p[0], p[1] + DRIFT * hours


def sts_pair() -> list[pl.DataFrame]:
    """Tanker A meets tanker B at SEA from 02:00 to 06:00, 150 m apart, drifting together."""
    return [
        # A steams in from the south-west at 12 kn
        leg(A, "00:00", "01:57", (124.20, 30.20), SEA, 12.0),
        # encounter starts: 02:00 A stops 150 m west of B; both drift north at 0.27 kn
        leg(A, "02:00", "06:00", SEA, north(SEA, 4), 0.3),
        # encounter ends: 06:00; from 06:03 A leaves to the east at 12 kn
        leg(A, "06:03", "08:00", north(SEA, 4), (124.90, 30.55), 12.0),
        # B drifts all day at the meeting point, reporting every 4 minutes
        leg(B, "00:00", "08:00", north(SEA_150M_E, -2), north(SEA_150M_E, 6), 0.3, every_min=4.0),
    ]


def test_sts_in_the_east_china_sea(geo: WorldGeo) -> None:
    ev = encounter.detect(positions(*sts_pair()), encounter.Params(), DetectContext(geo=geo))
    assert ev.height == 1
    row = ev.row(0, named=True)
    assert (row["type"], row["subtype"], row["mmsi"], row["other_mmsi"]) == (
        "encounter",
        None,
        A,
        B,
    )
    # at 01:50 A is still steaming in at 12 kn; at 06:10 it is leaving at 12 kn
    assert (row["start"], row["end"]) == (hm("02:00"), hm("06:00"))
    assert row["duration_h"] == pytest.approx(4.0)
    e = evidence(ev)
    assert e["n_slots"] == 25
    assert e["min_distance_m"] == pytest.approx(150.0, abs=1.0)
    assert e["median_distance_m"] == pytest.approx(150.0, abs=1.0)
    assert e["distance_to_port_m"] > 200_000  # Shanghai is ~250 km away
    assert (row["lon"], row["lat"]) == (
        pytest.approx(east(*SEA, 75.0)[0]),
        pytest.approx(SEA[1] + 2 * DRIFT),
    )
    assert [v["mmsi"] for v in e["vessels"]] == [A, B]
    assert [v["median_speed_kn"] for v in e["vessels"]] == [0.3, 0.3]
    assert [v["dark_within_24h"] for v in e["vessels"]] == [False, False]


def test_identity_draught_and_dark_partner(geo: WorldGeo) -> None:
    statics = pl.DataFrame(
        {
            "mmsi": [A, A, B, B],
            "ts": [hm("00:00") - timedelta(days=3), hm("09:00"), hm("00:30"), hm("07:00")],
            "name": ["RYE SONG GANG 1", None, "WAN HENG 11", "WAN HENG 11"],
            "imo": [7389704, None, 8791667, 8791667],
            "callsign": ["HMYB5", None, None, None],
            "ship_type": [80, None, 80, 80],
            # A reports 5.8 m before and 9.6 m after: it loaded; B reports no draught
            "draught_m": [5.8, 9.6, None, None],
        },
        schema_overrides={
            "ts": pl.Datetime("us", "UTC"),
            "ship_type": pl.Int16,
            "draught_m": pl.Float32,
        },
    )
    # B's report before the meeting is at 09:00 the day before: 15 h of silence far offshore
    b_before = leg(B, "00:00", "00:00", north(SEA_150M_E, -2), SEA, 0.3)
    b_before = b_before.with_columns(pl.col("ts") - timedelta(hours=15))
    pos = positions(*sts_pair(), b_before)
    ev = encounter.detect(pos, encounter.Params(), DetectContext(geo=geo, statics=statics))
    a, b = evidence(ev)["vessels"]
    assert (a["name"], a["imo"], a["callsign"], a["class"]) == (
        "RYE SONG GANG 1",
        7389704,
        "HMYB5",
        "tanker",
    )
    assert (a["draught_before_m"], a["draught_after_m"]) == (pytest.approx(5.8), pytest.approx(9.6))
    assert a["draught_change_m"] == pytest.approx(3.8)
    assert (b["name"], b["draught_before_m"], b["draught_change_m"]) == ("WAN HENG 11", None, None)
    assert (a["dark_within_24h"], b["dark_within_24h"]) == (False, True)
    assert (a["longest_dark_h"], b["longest_dark_h"]) == (None, pytest.approx(15.0))


def test_across_the_antimeridian(geo: WorldGeo) -> None:
    a0, b0 = (179.9990, 10.0), (-179.9995, 10.0)  # ~160 m apart across 180 degrees
    pos = positions(
        # encounter starts 10:00: both drift west at 0.2 kn for 3 hours
        leg(A, "10:00", "13:00", a0, (a0[0] - 0.01, 10.0), 0.2),
        # B reports from 10:01, a minute's drift on
        leg(B, "10:01", "13:00", (b0[0] - 0.01 / 180, 10.0), (b0[0] - 0.01, 10.0), 0.2),
        # encounter ends 13:00
    )
    ev = encounter.detect(pos, encounter.Params(), DetectContext(geo=geo))
    assert ev.height == 1
    assert (ev["start"][0], ev["end"][0]) == (hm("10:10"), hm("13:00"))
    assert abs(ev["lon"][0]) > 179.99  # mean position stays on the antimeridian, not at 0
    assert evidence(ev)["median_distance_m"] == pytest.approx(164.3, abs=2.0)


def test_three_ships_together_make_three_pairs(geo: WorldGeo) -> None:
    c0 = east(*SEA, -200.0)
    pos = positions(
        # encounter starts 00:00 for all three: A in the middle, B 150 m east, C 200 m west
        leg(A, "00:00", "05:00", SEA, SEA, 0.1),
        leg(B, "00:00", "05:00", SEA_150M_E, SEA_150M_E, 0.1, offset_min=1.0),
        leg(C, "00:00", "05:00", c0, c0, 0.1, offset_min=2.0),
        # encounter ends 05:00
    )
    ev = encounter.detect(pos, encounter.Params(), DetectContext(geo=geo))
    assert ev.select("mmsi", "other_mmsi").rows() == [(A, B), (A, C), (B, C)]
    dist = [evidence(ev, k)["median_distance_m"] for k in range(3)]
    assert dist == [
        pytest.approx(150.0, abs=1),
        pytest.approx(200.0, abs=1),
        pytest.approx(350.0, abs=1),
    ]


def test_silence_across_midnight_is_bridged(geo: WorldGeo) -> None:
    pos = positions(
        # encounter starts 22:00
        leg(A, "22:00", "23:40", SEA, SEA, 0.2),
        leg(B, "22:00", "23:40", SEA_150M_E, SEA_150M_E, 0.2),
        # both silent 23:40-00:20 (40 minutes, bridged by interpolation)
        leg(A, "+1 00:20", "+1 02:00", SEA, SEA, 0.2),
        leg(B, "+1 00:20", "+1 02:00", SEA_150M_E, SEA_150M_E, 0.2),
        # encounter ends 02:00
    )
    ev = encounter.detect(pos, encounter.Params(), DetectContext(geo=geo))
    assert ev.select("start", "end").rows() == [(hm("22:00"), hm("+1 02:00"))]
    assert evidence(ev)["n_slots"] == 25


def test_runs_less_than_4_hours_apart_merge_and_longer_pauses_split(geo: WorldGeo) -> None:
    def meeting(start: str, end: str) -> list[pl.DataFrame]:
        return [leg(A, start, end, SEA, SEA, 0.2), leg(B, start, end, SEA_150M_E, SEA_150M_E, 0.2)]

    # together 00:00-02:00, apart (no reports) 02:00-05:30, together 05:30-07:00: one event
    merged = encounter.detect(
        positions(*meeting("00:00", "02:00"), *meeting("05:30", "07:00")),
        encounter.Params(),
        DetectContext(geo=geo),
    )
    assert merged.select("start", "end").rows() == [(hm("00:00"), hm("07:00"))]
    assert evidence(merged)["n_slots"] == 13 + 10
    # a pause of 4 h 30 min: two events, and the second (1 h 30 min) is too short
    split = encounter.detect(
        positions(*meeting("00:00", "02:00"), *meeting("06:30", "08:00")),
        encounter.Params(),
        DetectContext(geo=geo),
    )
    assert split.select("start", "end").rows() == [(hm("00:00"), hm("02:00"))]


def test_ships_together_in_port_do_not_fire(geo: WorldGeo) -> None:
    nampo = (125.40 - 0.02, 38.716667)  # 1.7 km west of the World Port Index point for Nampo
    pos = positions(
        leg(A, "00:00", "08:00", nampo, nampo, 0.0),
        leg(B, "00:00", "08:00", east(*nampo, 60.0), east(*nampo, 60.0), 0.0),
    )
    assert encounter.detect(pos, encounter.Params(), DetectContext(geo=geo)).height == 0
    # the same pair is an encounter once the place filters are off: they are what stop it
    # (the harbour point lies inside the 110m land polygons, so inland water must go too)
    relaxed = encounter.Params(min_port_distance_m=0, exclude_inland=False)
    assert encounter.detect(pos, relaxed, DetectContext(geo=geo)).height == 1
    port_rule_only = encounter.Params(exclude_inland=False)
    assert encounter.detect(pos, port_rule_only, DetectContext(geo=geo)).height == 0


def test_crossing_at_speed_does_not_fire(geo: WorldGeo) -> None:
    pos = positions(
        # A northbound and B southbound at 8 kn, passing 96 m apart at 03:00
        leg(A, "00:00", "06:00", (124.50, 30.10), (124.50, 30.90), 8.0, every_min=1.0),
        leg(B, "00:00", "06:00", (124.501, 30.90), (124.501, 30.10), 8.0, every_min=1.0),
    )
    assert encounter.detect(pos, encounter.Params(), DetectContext(geo=geo)).height == 0


def test_sailing_in_company_at_speed_does_not_fire(geo: WorldGeo) -> None:
    # A and B steam north side by side, 200 m apart, at 10 kn for 5 hours: close, not stopped
    b0 = east(124.5, 30.0, 200.0)
    pos = positions(
        leg(
            A, "00:00", "05:00", (124.5, 30.0), (124.5, 30.0 + 50 * 1852 / METERS_PER_DEG_LAT), 10.0
        ),
        leg(B, "00:00", "05:00", b0, (b0[0], 30.0 + 50 * 1852 / METERS_PER_DEG_LAT), 10.0),
    )
    assert encounter.detect(pos, encounter.Params(), DetectContext(geo=geo)).height == 0
    # a 12 kn limit would call it an encounter: the speed rule is what stops it
    fast_ok = encounter.Params(max_speed_kn=12.0)
    assert encounter.detect(pos, fast_ok, DetectContext(geo=geo)).height == 1


def test_a_30_minute_meeting_does_not_fire(geo: WorldGeo) -> None:
    pos = positions(
        leg(A, "00:00", "02:00", (124.30, 30.50), SEA, 5.0),
        # encounter would start 02:00 ...
        leg(A, "02:03", "02:30", SEA, SEA, 0.5),
        # ... and ends 02:30, after half an hour
        leg(A, "02:33", "05:00", SEA, (124.80, 30.50), 5.0),
        leg(B, "00:00", "05:00", SEA_150M_E, SEA_150M_E, 0.5),
    )
    assert encounter.detect(pos, encounter.Params(), DetectContext(geo=geo)).height == 0


def test_distance_limit_per_vessel_class(geo: WorldGeo) -> None:
    far_e = east(*SEA, 300.0)
    pos = positions(
        leg(A, "00:00", "04:00", SEA, SEA, 0.1), leg(B, "00:00", "04:00", far_e, far_e, 0.1)
    )
    tankers = {"ship_type_by_mmsi": {A: 80, B: 84}}
    tight = encounter.Params(max_distance_m_by_class={"tanker": 200.0})
    # two tankers 300 m apart: an encounter by GFW's 500 m, not by a 200 m tanker limit
    assert (
        encounter.detect(pos, encounter.Params(), DetectContext(geo=geo, extra=tankers)).height == 1
    )
    assert encounter.detect(pos, tight, DetectContext(geo=geo, extra=tankers)).height == 0
    # a tanker and a fishing vessel: the stricter (tanker) limit applies to the pair
    mixed = {"ship_type_by_mmsi": {A: 80, B: 30}}
    assert encounter.detect(pos, tight, DetectContext(geo=geo, extra=mixed)).height == 0
    # two fishing vessels keep the default 500 m
    fishing = {"ship_type_by_mmsi": {A: 30, B: 30}}
    assert encounter.detect(pos, tight, DetectContext(geo=geo, extra=fishing)).height == 1
    # the class can also come from a ship_type column of the positions
    typed = pos.with_columns(ship_type=pl.lit(80, pl.Int16))
    assert encounter.detect(typed, tight, DetectContext(geo=geo)).height == 0
    with pytest.raises(UsageError, match="tankers"):
        encounter.detect(
            pos, encounter.Params(max_distance_m_by_class={"tankers": 1.0}), DetectContext(geo=geo)
        )


def test_slow_but_600_m_apart_does_not_fire(geo: WorldGeo) -> None:
    far_e = east(*SEA, 600.0)
    pos = positions(
        leg(A, "00:00", "04:00", SEA, SEA, 0.1), leg(B, "00:00", "04:00", far_e, far_e, 0.1)
    )
    assert encounter.detect(pos, encounter.Params(), DetectContext(geo=geo)).height == 0


def test_segments_are_not_bridged_but_one_pair_is_one_event(geo: WorldGeo) -> None:
    pos = positions(*sts_pair()).with_columns(
        # A's track was cut in two at 04:00 by segmentation; A has no report 04:00-04:30
        seg_id=pl.when(pl.col("mmsi") == B)
        .then(pl.lit("B"))
        .when(pl.col("ts") <= hm("04:00"))
        .then(pl.lit("A-1"))
        .otherwise(pl.lit("A-2"))
    )
    pos = pos.filter(~((pl.col("mmsi") == A) & pl.col("ts").is_between(hm("04:01"), hm("04:29"))))
    ev = encounter.detect(pos, encounter.Params(), DetectContext(geo=geo))
    assert ev.select("start", "end").rows() == [(hm("02:00"), hm("06:00"))]
    e = evidence(ev)
    assert e["vessels"][0]["segments"] == ["A-1", "A-2"]
    # slots 04:10 and 04:20 fall between A's segments: not interpolated, so not counted
    assert e["n_slots"] == 25 - 2


def test_needs_geography_for_the_port_filter() -> None:
    with pytest.raises(UsageError, match="GeoLookup"):
        encounter.detect(positions(*sts_pair()), encounter.Params(), DetectContext())


def test_adjacency_matches_all_pairs_on_a_random_fleet() -> None:
    """The cell join finds exactly the pairs an all-pairs comparison finds (test oracle)."""
    rng = np.random.default_rng(3)
    legs = []
    for k in range(12):
        # 12 slow vessels wandering inside a 2 km box, some near the antimeridian
        lon0 = 179.99 if k % 2 else -179.995
        pts = rng.uniform(0, 0.01, (2, 2))
        legs.append(
            leg(
                A + k,
                "00:00",
                "02:00",
                (lon0 + pts[0, 0], 20 + pts[0, 1]),
                (lon0 + pts[1, 0], 20 + pts[1, 1]),
                1.0,
                every_min=7.0,
                offset_min=float(k),
            )
        )
    pos = positions(*legs)
    params = encounter.Params()
    got = encounter.adjacency(pos, params, DetectContext())
    rs = resample(pos)
    allpairs = rs.join(rs, on="slot", suffix="_b").filter(pl.col("mmsi") < pl.col("mmsi_b"))
    allpairs = allpairs.with_columns(
        d=pl.Series(
            haversine_m(allpairs["lon"], allpairs["lat"], allpairs["lon_b"], allpairs["lat_b"])
        )
    ).filter(pl.col("d") <= params.max_distance_m)
    assert allpairs.height > 100
    assert sorted(got.select("slot", "mmsi_a", "mmsi_b").rows()) == sorted(
        allpairs.select("slot", "mmsi", "mmsi_b").rows()
    )


def test_real_us_snapshot_pairs_match_a_kd_tree_and_none_is_an_encounter(
    shared: Path, geo: WorldGeo
) -> None:
    """NOAA MarineCadastre, 2022-01-03 00:00-00:25: thousands of real slow pairs in ports."""
    raw = pl.read_csv(
        shared / "marinecadastre-vesselsummaryais" / "AIS_2022_01_03_first99999.csv.gz"
    )
    pos = raw.select(
        pl.col("MMSI").cast(pl.Int64).alias("mmsi"),
        pl.col("BaseDateTime").str.to_datetime(time_unit="us", time_zone="UTC").alias("ts"),
        pl.col("LON").alias("lon"),
        pl.col("LAT").alias("lat"),
        pl.col("SOG").cast(pl.Float32).alias("sog"),
        pl.col("VesselType").cast(pl.Int16).alias("ship_type"),
    ).sort("mmsi", "ts")
    params = encounter.Params()
    got = encounter.adjacency(pos, params, DetectContext())
    # oracle: a k-d tree on unit vectors, chord length for 500 m on the sphere
    rs = resample(pos).filter(pl.col("speed_kn") < params.max_speed_kn)
    chord = 2 * np.sin(params.max_distance_m / 2 / 6_371_008.8)
    expected = set()
    for (slot,), g in rs.group_by("slot"):
        lon, lat = np.radians(g["lon"].to_numpy()), np.radians(g["lat"].to_numpy())
        xyz = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        mmsi = g["mmsi"].to_numpy()
        for i, j in cKDTree(xyz).query_pairs(chord * (1 + 1e-9)):
            if mmsi[i] != mmsi[j]:
                expected.add((slot, min(mmsi[i], mmsi[j]), max(mmsi[i], mmsi[j])))
    assert len(expected) > 1000
    assert set(got.select("slot", "mmsi_a", "mmsi_b").iter_rows()) == expected
    # 25 minutes is too short for an encounter, whatever the port filter says
    assert encounter.detect(pos, params, DetectContext(geo=geo)).height == 0


# --- properties --------------------------------------------------------------------

meeting = st.fixed_dictionaries(
    {
        "lon": st.floats(-179.99, 179.99),
        "lat": st.floats(-60.0, 60.0),
        "apart_m": st.floats(20.0, 600.0),
        "start_min": st.integers(0, 600),
        "hours": st.floats(1.0, 6.0),
        "sog_a": st.sampled_from([0.1, 1.5, 2.5]),
        "every_b": st.sampled_from([2.0, 5.0, 11.0]),
    }
)


def meeting_positions(m: dict[str, Any], mmsi_a: int = A, mmsi_b: int = B) -> pl.DataFrame:
    t0 = T0 + timedelta(minutes=m["start_min"])
    start, end = t0.strftime("%H:%M"), (t0 + timedelta(hours=m["hours"])).strftime("%H:%M")
    if t0.day != T0.day:
        start = "+1 " + start
    if (t0 + timedelta(hours=m["hours"])).day != T0.day:
        end = "+1 " + end
    here = (m["lon"], m["lat"])
    there = east(m["lon"], m["lat"], m["apart_m"])
    return positions(
        leg(mmsi_a, start, end, here, here, m["sog_a"]),
        leg(mmsi_b, start, end, there, there, 0.3, every_min=m["every_b"], offset_min=1.0),
    )


def frame(ev: pl.DataFrame) -> pl.DataFrame:
    return ev.sort("mmsi", "other_mmsi", "start")


FAST = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FAST
@given(m=meeting, seed=st.integers(0, 2**32 - 1))
def test_row_order_changes_nothing(geo: WorldGeo, m: dict[str, Any], seed: int) -> None:
    pos = meeting_positions(m)
    ctx = DetectContext(geo=geo)
    shuffled = pos.sample(fraction=1.0, shuffle=True, seed=seed)
    assert frame(encounter.detect(shuffled, encounter.Params(), ctx)).equals(
        frame(encounter.detect(pos, encounter.Params(), ctx))
    )


@FAST
@given(m=meeting)
def test_a_meets_b_equals_b_meets_a(geo: WorldGeo, m: dict[str, Any]) -> None:
    ctx = DetectContext(geo=geo)
    ab = encounter.detect(meeting_positions(m, A, B), encounter.Params(), ctx)
    ba = encounter.detect(meeting_positions(m, B, A), encounter.Params(), ctx)
    same = ["mmsi", "other_mmsi", "start", "end", "lon", "lat", "event_id"]
    assert ab.select(same).equals(ba.select(same))
    for x, y in zip(ab["evidence"], ba["evidence"], strict=True):
        ex, ey = json.loads(x), json.loads(y)
        assert ex["median_distance_m"] == ey["median_distance_m"]
        assert ex["n_slots"] == ey["n_slots"]
        # the vessels swapped roles: each one's median speed goes with its own track
        assert [v["median_speed_kn"] for v in ex["vessels"]] == [
            v["median_speed_kn"] for v in ey["vessels"]
        ][::-1]


@FAST
@given(m=meeting)
def test_a_vessel_500_nm_away_changes_nothing(geo: WorldGeo, m: dict[str, Any]) -> None:
    ctx = DetectContext(geo=geo)
    pos = meeting_positions(m)
    lat_far = m["lat"] + (500 * 1852.0) / METERS_PER_DEG_LAT * (1 if m["lat"] < 0 else -1)
    far = (m["lon"], lat_far)
    other = leg(FAR, "00:00", "+1 06:00", far, far, 0.1, every_min=5.0)
    more = pl.concat([pos, positions(other)])
    assert frame(encounter.detect(more, encounter.Params(), ctx)).equals(
        frame(encounter.detect(pos, encounter.Params(), ctx))
    )
