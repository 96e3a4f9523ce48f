"""AIS gaps: going dark far offshore, near another vessel, and together (a dark STS).

Scenario tracks are in the East China Sea, where DPRK-linked tankers went dark before
transfers (documented-sts-incidents); shore distances come from Natural Earth 110m land
(../shared) with shapely, so "at sea" is measured, not assumed. The real-data test uses
MMSI 416000000 from GFW's gpsdio-segment test data, an MMSI shared by several vessels.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenario import T0, NaturalEarthLand, evidence, hm, positions
from stswatch.detect import gap
from stswatch.detect.base import DetectContext
from stswatch.errors import UsageError
from stswatch.units import METERS_PER_NM, haversine_m

A, B, C = 412000001, 412000002, 412000003
NM_LON_AT_30N = METERS_PER_NM / (111_195.0 * np.cos(np.radians(30.0)))  # degrees per nm


class ShoreGeo(NaturalEarthLand):
    """Shore distances from Natural Earth 110m land; asking it about ports fails the test."""

    def distance_to_port_m(
        self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        raise AssertionError("the gap detector does not ask about ports")


@pytest.fixture(scope="module")
def geo(shared: Path) -> ShoreGeo:
    return ShoreGeo(shared)


def reports(mmsi: int, rows: list[tuple[str, float, float, float | None]]) -> pl.DataFrame:
    """Reports of one vessel: ("HH:MM", lon, lat, sog)."""
    return pl.DataFrame(
        {
            "mmsi": [mmsi] * len(rows),
            "ts": [hm(r[0]) for r in rows],
            "lon": [r[1] for r in rows],
            "lat": [r[2] for r in rows],
            "sog": [r[3] for r in rows],
        },
        schema={
            "mmsi": pl.Int64,
            "ts": pl.Datetime("us", "UTC"),
            "lon": pl.Float64,
            "lat": pl.Float64,
            "sog": pl.Float32,
        },
    )


def dark_tanker(mmsi: int = A, silent_from: str = "06:00", back_at: str = "20:00") -> pl.DataFrame:
    """Sails east at 10 kn from (124.0, 30.0), ~100 nm offshore, goes dark, reappears 56 nm on."""
    east_10kn_per_h = 10 * NM_LON_AT_30N
    return reports(
        mmsi,
        [
            ("05:00", 124.0, 30.0, 10.0),
            ("05:30", 124.0 + east_10kn_per_h / 2, 30.0, 10.0),
            # the gap starts: last report before the silence
            (silent_from, 124.0 + east_10kn_per_h, 30.0, 10.0),
            # the gap ends: first report after it, 56 nm further east
            (back_at, 124.0 + east_10kn_per_h + 56 * NM_LON_AT_30N, 30.0, 10.0),
        ],
    )


def test_tanker_dark_for_14_hours_far_offshore(geo: ShoreGeo) -> None:
    ev = gap.detect(positions(dark_tanker()), gap.Params(), DetectContext(geo=geo))
    assert ev.select("type", "subtype", "mmsi", "other_mmsi", "start", "end").rows() == [
        ("gap", "single", A, None, hm("06:00"), hm("20:00"))
    ]
    e = evidence(ev)
    assert e["gap_h"] == 14.0
    assert e["distance_m"] == pytest.approx(56 * METERS_PER_NM, rel=1e-3)
    assert e["implied_speed_kn"] == pytest.approx(4.0, rel=1e-3)
    assert e["last"]["distance_to_shore_m"] > 50 * METERS_PER_NM
    assert e["near_vessel_at_start"] is None and e["near_vessel_at_end"] is None
    assert ev["duration_h"][0] == 14.0


def test_twelve_hours_is_a_gap_and_a_minute_less_is_not(geo: ShoreGeo) -> None:
    exactly = gap.detect(
        positions(dark_tanker(back_at="18:00")), gap.Params(), DetectContext(geo=geo)
    )
    assert exactly["duration_h"].to_list() == [12.0]
    short = gap.detect(
        positions(dark_tanker(back_at="17:59")), gap.Params(), DetectContext(geo=geo)
    )
    assert short.height == 0


def test_gap_near_the_coast_is_not_at_sea(geo: ShoreGeo) -> None:
    # goes dark 45 nm from the (Natural Earth 110m) Chinese coast, east of Shanghai
    near = reports(A, [("06:00", 122.6, 30.5, 10.0), ("20:00", 124.5, 30.5, 10.0)])
    assert geo.distance_to_shore_m(np.array([122.6]), np.array([30.5]))[0] < 50 * METERS_PER_NM
    assert gap.detect(near, gap.Params(), DetectContext(geo=geo)).height == 0
    # with a 40 nm limit it is a gap
    loose = gap.Params(min_shore_distance_m=40 * METERS_PER_NM)
    assert gap.detect(near, loose, DetectContext(geo=geo)).height == 1


def test_gap_across_midnight(geo: ShoreGeo) -> None:
    pos = reports(
        A,
        [("17:50", 124.5, 30.5, 0.5), ("18:00", 124.5, 30.5, 0.5), ("+1 08:00", 124.6, 30.5, 0.5)],
    )
    ev = gap.detect(pos, gap.Params(), DetectContext(geo=geo))
    assert ev.select("start", "end").rows() == [(hm("18:00"), hm("+1 08:00"))]


def test_gap_that_starts_near_another_vessel_names_it(geo: ShoreGeo) -> None:
    a = dark_tanker()
    last_lon = a["lon"][2]
    pos = positions(
        a,
        # B was 1.2 km north of A's last position half an hour before A went dark
        reports(B, [("05:30", last_lon, 30.0 + 1200 / 111_195.0, 0.2)]),
        # C passes 8 km from where A reappears: too far to be named
        reports(C, [("20:30", a["lon"][3], 30.0 + 8000 / 111_195.0, 12.0)]),
    )
    ev = gap.detect(pos, gap.Params(), DetectContext(geo=geo))
    e = evidence(ev)
    assert e["near_vessel_at_start"] == {
        "mmsi": B,
        "distance_m": pytest.approx(1200.0, abs=1.0),
        "dt_h": -0.5,
    }
    assert e["near_vessel_at_end"] is None


def test_joint_gap_two_vessels_dark_together(geo: ShoreGeo) -> None:
    meet = (124.8, 30.6)
    pos = positions(
        # A goes dark at 06:00, 2 km west of the meeting point; back at 22:00 3 km east of it
        reports(
            A,
            [
                ("05:50", 124.78, 30.6, 9.0),
                ("06:00", 124.78, 30.6, 9.0),
                ("22:00", 124.83, 30.6, 9.0),
            ],
        ),
        # B goes dark at 07:00 1 km south of it; back at 23:30 4 km north of it
        reports(
            B,
            [
                ("06:50", 124.8, 30.59, 8.0),
                ("07:00", 124.8, 30.59, 8.0),
                ("23:30", 124.8, 30.64, 8.0),
            ],
        ),
    )
    ev = gap.detect(pos, gap.Params(), DetectContext(geo=geo))
    assert ev.select("subtype", "mmsi", "other_mmsi", "start", "end").rows() == [
        ("single", A, None, hm("06:00"), hm("22:00")),
        ("single", B, None, hm("07:00"), hm("23:30")),
        # both were silent from 07:00 (B's last report) to 22:00 (A's first)
        ("joint", A, B, hm("07:00"), hm("22:00")),
    ]
    joint = evidence(ev, 2)
    assert joint["both_silent_h"] == 15.0
    assert joint["start_distance_m"] == pytest.approx(
        haversine_m(124.78, 30.6, 124.8, 30.59), abs=0.1
    )
    assert [g["mmsi"] for g in joint["gaps"]] == [A, B]
    assert abs(ev["lon"][2] - meet[0]) < 0.05 and abs(ev["lat"][2] - meet[1]) < 0.05


def test_no_joint_gap_when_far_apart_or_barely_overlapping(geo: ShoreGeo) -> None:
    a = reports(A, [("06:00", 124.8, 30.6, 9.0), ("22:00", 124.85, 30.6, 9.0)])
    # B dark over the same hours, but 100 km away at both ends
    far_b = reports(B, [("06:00", 125.84, 30.6, 9.0), ("22:00", 125.89, 30.6, 9.0)])
    ev = gap.detect(positions(a, far_b), gap.Params(), DetectContext(geo=geo))
    assert ev["subtype"].to_list() == ["single", "single"]
    # B dark at the same place, but silent together only 21:00-22:00 (1 h)
    late_b = reports(B, [("21:00", 124.8, 30.6, 9.0), ("+1 10:00", 124.85, 30.6, 9.0)])
    ev = gap.detect(positions(a, late_b), gap.Params(), DetectContext(geo=geo))
    assert ev["subtype"].to_list() == ["single", "single"]


def test_joint_gap_distance_limit(geo: ShoreGeo) -> None:
    # A and B go dark and reappear 10.05 km apart (north-south), silent over the same hours
    apart = 10_050 / 111_195.0
    pos = positions(
        reports(A, [("06:00", 124.8, 30.6, 9.0), ("22:00", 124.85, 30.6, 9.0)]),
        reports(B, [("06:30", 124.8, 30.6 + apart, 9.0), ("21:30", 124.85, 30.6 + apart, 9.0)]),
    )
    joint = pl.col("subtype") == "joint"
    assert gap.detect(pos, gap.Params(), DetectContext(geo=geo)).filter(joint).height == 1
    tight = gap.Params(joint_max_distance_m=10_000)
    assert gap.detect(pos, tight, DetectContext(geo=geo)).filter(joint).height == 0
    # close where they went dark, 100 km apart where they came back: still together
    split = positions(
        reports(A, [("06:00", 124.8, 30.6, 9.0), ("22:00", 124.85, 30.6, 9.0)]),
        reports(B, [("06:30", 124.8, 30.61, 9.0), ("21:30", 124.85, 31.5, 9.0)]),
    )
    assert gap.detect(split, gap.Params(), DetectContext(geo=geo)).filter(joint).height == 1


def test_gap_across_the_antimeridian(geo: ShoreGeo) -> None:
    pos = reports(A, [("00:00", 179.9, 10.0, 3.0), ("13:00", -179.9, 10.0, 3.0)])
    ev = gap.detect(pos, gap.Params(), DetectContext(geo=geo))
    assert evidence(ev)["distance_m"] == pytest.approx(21_900, rel=0.01)  # not 39,000 km
    assert abs(ev["lon"][0]) == pytest.approx(180.0)


def test_gap_between_two_segments_is_found(geo: ShoreGeo) -> None:
    pos = positions(dark_tanker()).with_columns(
        seg_id=pl.when(pl.col("ts") <= hm("06:00")).then(pl.lit("A-0")).otherwise(pl.lit("A-1"))
    )
    ev = gap.detect(pos, gap.Params(), DetectContext(geo=geo))
    assert ev.height == 1 and evidence(ev)["same_segment"] is False


def test_needs_geography_unless_shore_distance_is_off() -> None:
    with pytest.raises(UsageError, match="GeoLookup"):
        gap.detect(dark_tanker(), gap.Params(), DetectContext())
    assert (
        gap.detect(dark_tanker(), gap.Params(min_shore_distance_m=0), DetectContext()).height == 1
    )


def test_real_shared_mmsi_416000000(shared: Path) -> None:
    """Every silence of 12 h or more in GFW's real test track, against a plain-Python oracle."""
    raw = pl.read_ndjson(shared / "gfw-gpsdio-segment" / "segmented-416000000.json")
    pos = raw.select(
        pl.col("ssvid").cast(pl.Int64).alias("mmsi"),
        pl.col("timestamp").str.to_datetime(time_unit="us", time_zone="UTC").alias("ts"),
        "lon",
        "lat",
        pl.col("speed").cast(pl.Float32).alias("sog"),
        pl.col("segment").alias("seg_id"),
    ).sort("mmsi", "ts")
    got = gap.find_gaps(pos, gap.Params(min_shore_distance_m=0), None)
    rows = pos.rows(named=True)
    expected = [
        (r0["ts"], r1["ts"], r0["seg_id"] == r1["seg_id"])
        for r0, r1 in zip(rows, rows[1:], strict=False)
        if (r1["ts"] - r0["ts"]) >= timedelta(hours=12)
    ]
    assert len(expected) >= 5
    assert got.select("start", "end", "same_segment").rows() == expected
    # within one GFW segment the silences are a vessel lying in a Taiwanese port ...
    assert (got.filter(pl.col("same_segment"))["implied_speed_kn"] < 1.0).all()
    # ... while the MMSI "jumps" between Taiwan and the Indian Ocean join two segments
    # (two vessels sharing the MMSI) at speeds no ship can make
    jumps = got.filter(pl.col("distance_m") > 3_000_000)
    assert jumps.height == 3
    assert not jumps["same_segment"].any() and (jumps["implied_speed_kn"] > 50).all()


# --- properties --------------------------------------------------------------------

dark_pair = st.fixed_dictionaries(
    {
        "a_dark": st.integers(0, 12 * 60),
        "a_hours": st.floats(8.0, 20.0),
        "b_offset_min": st.integers(-240, 240),
        "b_hours": st.floats(8.0, 20.0),
        "b_apart_m": st.floats(100.0, 30_000.0),
    }
)


def pair_positions(d: dict[str, Any], mmsi_a: int = A, mmsi_b: int = B) -> pl.DataFrame:
    def track(mmsi: int, start_min: float, hours: float, dlat: float) -> pl.DataFrame:
        t0 = T0 + timedelta(minutes=start_min)
        ts = [
            t0 - timedelta(minutes=20),
            t0,
            t0 + timedelta(hours=hours),
            t0 + timedelta(hours=hours, minutes=10),
        ]
        lat = 30.6 + dlat
        return pl.DataFrame(
            {"mmsi": mmsi, "ts": ts, "lon": [124.8, 124.81, 124.9, 124.91], "lat": lat, "sog": 8.0},
            schema_overrides={"ts": pl.Datetime("us", "UTC"), "sog": pl.Float32},
        )

    return positions(
        track(mmsi_a, d["a_dark"], d["a_hours"], 0.0),
        track(mmsi_b, d["a_dark"] + d["b_offset_min"], d["b_hours"], d["b_apart_m"] / 111_195.0),
    )


FAST = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FAST
@given(d=dark_pair, seed=st.integers(0, 2**32 - 1))
def test_row_order_changes_nothing(geo: ShoreGeo, d: dict[str, Any], seed: int) -> None:
    pos = pair_positions(d)
    ctx = DetectContext(geo=geo)
    shuffled = gap.detect(pos.sample(fraction=1.0, shuffle=True, seed=seed), gap.Params(), ctx)
    assert shuffled.sort("event_id").equals(gap.detect(pos, gap.Params(), ctx).sort("event_id"))


@FAST
@given(d=dark_pair)
def test_joint_gap_is_symmetric(geo: ShoreGeo, d: dict[str, Any]) -> None:
    ctx = DetectContext(geo=geo)
    ab = gap.detect(pair_positions(d, A, B), gap.Params(), ctx).filter(pl.col("subtype") == "joint")
    ba = gap.detect(pair_positions(d, B, A), gap.Params(), ctx).filter(pl.col("subtype") == "joint")
    cols = ["mmsi", "other_mmsi", "start", "end", "event_id"]
    assert ab.select(cols).equals(ba.select(cols))


@FAST
@given(d=dark_pair)
def test_a_vessel_500_nm_away_changes_nothing(geo: ShoreGeo, d: dict[str, Any]) -> None:
    ctx = DetectContext(geo=geo)
    pos = pair_positions(d)
    # C sails in and out of view 500 nm to the south the whole time
    far = pl.DataFrame(
        {
            "mmsi": C,
            "ts": [T0 + timedelta(minutes=30 * k) for k in range(80)],
            "lon": 124.8,
            "lat": 30.6 - 500 * METERS_PER_NM / 111_195.0,
            "sog": 0.5,
        },
        schema_overrides={"ts": pl.Datetime("us", "UTC"), "sog": pl.Float32},
    )
    more = positions(pos, far)
    assert gap.detect(more, gap.Params(), ctx).equals(gap.detect(pos, gap.Params(), ctx))
