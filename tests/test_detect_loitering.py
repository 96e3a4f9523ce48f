"""Loitering: one ship waiting far out at sea, the sign of a partner with AIS off.

Scenario tracks are in the East China Sea (about 250 km off Shanghai), at the port of
Nampo (DPRK) and across the antimeridian. Port distances are haversine distances to the
real World Port Index list, shore distances come from Natural Earth 110m land (both in
../shared); nothing is a constant.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenario import T0, WorldGeo, evidence, hm, leg, positions
from stswatch.detect import loitering
from stswatch.detect.base import DetectContext
from stswatch.errors import UsageError
from stswatch.units import METERS_PER_NM

A, B, FAR = 412000001, 412000002, 636000009
SEA = (124.50, 30.50)  # East China Sea, ~130 nm from the nearest coast
DEG_LAT_PER_KN_H = METERS_PER_NM / 111_195.0  # degrees of latitude sailed in 1 h at 1 kn


@pytest.fixture(scope="module")
def geo(shared: Path) -> WorldGeo:
    return WorldGeo(shared)


def north(p: tuple[float, float], kn: float, hours: float) -> tuple[float, float]:
    return p[0], p[1] + kn * hours * DEG_LAT_PER_KN_H


def waiting_tanker(start: str, end: str, at: tuple[float, float] = SEA) -> list[pl.DataFrame]:
    """Arrives at 11 kn, drifts north at 0.3 kn from ``start`` to ``end``, leaves at 11 kn."""
    h = (hm(end) - hm(start)).total_seconds() / 3600.0
    clock = lambda t: ("+1 " if t.day != T0.day else "") + t.strftime("%H:%M")  # noqa: E731
    # positions 10 minutes before the stop and after the start at 11 kn (north(p, 1.0, nm))
    before, after = north(at, -11.0, 10 / 60), north(at, 1.0, 0.3 * h + 11.0 * 10 / 60)
    return [
        leg(A, clock(hm(start) - timedelta(hours=2)), clock(hm(start) - timedelta(minutes=10)),
            north(before, -11.0, 110 / 60), before, 11.0, every_min=20.0),
        # loitering starts: the tanker stops and drifts
        leg(A, start, end, at, north(at, 0.3, h), 0.3),
        # loitering ends; ten minutes later it is under way again
        leg(A, clock(hm(end) + timedelta(minutes=10)), clock(hm(end) + timedelta(hours=2)),
            after, north(after, 11.0, 110 / 60), 11.0, every_min=20.0),
    ]  # fmt: skip


def test_tanker_waits_six_hours_far_offshore(geo: WorldGeo) -> None:
    ev = loitering.detect(
        positions(*waiting_tanker("04:00", "10:00")), loitering.Params(), DetectContext(geo=geo)
    )
    assert ev.select("type", "mmsi", "other_mmsi", "start", "end").rows() == [
        ("loitering", A, None, hm("04:00"), hm("10:00"))
    ]
    e = evidence(ev)
    assert e["n_reports"] == 37  # every 10 minutes, both ends included
    assert e["mean_sog_kn"] == pytest.approx(0.3)
    assert e["mean_implied_kn"] == pytest.approx(0.3, rel=0.01)
    assert e["distance_to_shore_m"] > 100 * METERS_PER_NM
    assert e["distance_to_port_m"] > 200_000
    assert (ev["lon"][0], ev["lat"][0]) == (
        pytest.approx(SEA[0]),
        pytest.approx(north(SEA, 0.3, 3)[1]),
    )


def test_three_hours_is_too_short(geo: WorldGeo) -> None:
    ev = loitering.detect(
        positions(*waiting_tanker("04:00", "07:00")), loitering.Params(), DetectContext(geo=geo)
    )
    assert ev.height == 0


def test_waiting_at_anchor_in_port_or_near_the_coast_does_not_fire(geo: WorldGeo) -> None:
    nampo = (125.40 - 0.02, 38.716667)  # 1.7 km west of the World Port Index point for Nampo
    at_port = loitering.detect(
        positions(leg(A, "00:00", "12:00", nampo, nampo, 0.0)),
        loitering.Params(),
        DetectContext(geo=geo),
    )
    assert at_port.height == 0
    # off the Yangtze estuary: 16 nm from the (Natural Earth 110m) coast, 71 km from a WPI port
    coastal = (122.2, 31.0)
    assert (
        geo.distance_to_shore_m(np.array([coastal[0]]), np.array([coastal[1]]))[0]
        < 20 * METERS_PER_NM
    )
    ev = loitering.detect(
        positions(leg(A, "00:00", "12:00", coastal, coastal, 0.0)),
        loitering.Params(),
        DetectContext(geo=geo),
    )
    assert ev.height == 0


def test_a_long_silence_splits_the_stretch(geo: WorldGeo) -> None:
    pos = positions(
        leg(A, "00:00", "03:30", SEA, SEA, 0.2),
        # silent 03:30-06:30: a gap, not loitering seen
        leg(A, "06:30", "10:00", SEA, SEA, 0.2),
    )
    assert loitering.detect(pos, loitering.Params(), DetectContext(geo=geo)).height == 0
    patient = loitering.Params(max_report_gap_h=4.0)
    ev = loitering.detect(pos, patient, DetectContext(geo=geo))
    assert ev.select("start", "end").rows() == [(hm("00:00"), hm("10:00"))]


def test_one_fast_report_splits_the_stretch(geo: WorldGeo) -> None:
    pos = positions(
        leg(A, "00:00", "03:50", SEA, SEA, 0.2),
        # 04:00: a report of 9 kn (the ship moved off and came back, or a manoeuvre)
        leg(A, "04:00", "04:00", SEA, SEA, 9.0),
        leg(A, "04:10", "08:00", SEA, SEA, 0.2),
    )
    assert loitering.detect(pos, loitering.Params(), DetectContext(geo=geo)).height == 0


def test_implied_speed_counts_when_speed_is_missing(geo: WorldGeo) -> None:
    drifting = positions(leg(A, "00:00", "06:00", SEA, north(SEA, 0.5, 6.0), None))
    ev = loitering.detect(drifting, loitering.Params(), DetectContext(geo=geo))
    assert ev.height == 1 and evidence(ev)["mean_sog_kn"] is None
    assert evidence(ev)["mean_implied_kn"] == pytest.approx(0.5, rel=0.01)
    # no speed reported, but the positions say 8 kn: not loitering
    sailing = positions(leg(A, "00:00", "06:00", SEA, north(SEA, 8.0, 6.0), None))
    assert loitering.detect(sailing, loitering.Params(), DetectContext(geo=geo)).height == 0


def test_waiting_across_midnight(geo: WorldGeo) -> None:
    ev = loitering.detect(
        positions(*waiting_tanker("21:00", "+1 03:00")), loitering.Params(), DetectContext(geo=geo)
    )
    assert ev.select("start", "end").rows() == [(hm("21:00"), hm("+1 03:00"))]


def test_drifting_across_the_antimeridian(geo: WorldGeo) -> None:
    pos = positions(leg(A, "00:00", "06:00", (179.995, 10.0), (-179.995, 10.0), 0.2))
    ev = loitering.detect(pos, loitering.Params(), DetectContext(geo=geo))
    assert ev.height == 1
    assert abs(ev["lon"][0]) > 179.99
    assert evidence(ev)["distance_along_track_m"] == pytest.approx(1095.0, rel=0.01)


def test_segments_are_separate_tracks(geo: WorldGeo) -> None:
    pos = positions(leg(A, "00:00", "06:00", SEA, SEA, 0.2)).with_columns(
        seg_id=pl.when(pl.col("ts") < hm("03:00")).then(pl.lit("A-0")).otherwise(pl.lit("A-1"))
    )
    assert loitering.detect(pos, loitering.Params(), DetectContext(geo=geo)).height == 0
    assert (
        loitering.detect(pos.drop("seg_id"), loitering.Params(), DetectContext(geo=geo)).height == 1
    )


def test_needs_geography() -> None:
    with pytest.raises(UsageError, match="GeoLookup"):
        loitering.detect(
            positions(*waiting_tanker("04:00", "10:00")), loitering.Params(), DetectContext()
        )


# --- properties --------------------------------------------------------------------

wait = st.fixed_dictionaries(
    {
        "start_min": st.integers(0, 600),
        "hours": st.floats(1.0, 10.0),
        "kn": st.floats(0.0, 3.0),
        "every": st.sampled_from([3.0, 10.0, 30.0, 90.0]),
        "lon": st.floats(-179.9, 179.9),
        "lat": st.floats(-50.0, 50.0),
    }
)


def wait_positions(w: dict[str, Any]) -> pl.DataFrame:
    t0 = T0 + timedelta(minutes=w["start_min"])
    t1 = t0 + timedelta(hours=w["hours"])
    here = (w["lon"], w["lat"])
    return positions(
        leg(
            A,
            t0.strftime("%H:%M"),
            t1.strftime("%H:%M"),
            here,
            north(here, w["kn"], w["hours"]),
            w["kn"],
            w["every"],
        ),
    )


FAST = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FAST
@given(w=wait, seed=st.integers(0, 2**32 - 1))
def test_row_order_changes_nothing(geo: WorldGeo, w: dict[str, Any], seed: int) -> None:
    pos = wait_positions(w)
    ctx = DetectContext(geo=geo)
    shuffled = pos.sample(fraction=1.0, shuffle=True, seed=seed)
    assert loitering.detect(shuffled, loitering.Params(), ctx).equals(
        loitering.detect(pos, loitering.Params(), ctx)
    )


@FAST
@given(w=wait)
def test_a_vessel_500_nm_away_changes_nothing(geo: WorldGeo, w: dict[str, Any]) -> None:
    pos = wait_positions(w)
    ctx = DetectContext(geo=geo)
    far = (w["lon"], w["lat"] + 500 * DEG_LAT_PER_KN_H * (1 if w["lat"] < 0 else -1))
    more = positions(pos, leg(FAR, "00:00", "20:00", far, far, 0.1, 10.0))
    mine = loitering.detect(more, loitering.Params(), ctx).filter(pl.col("mmsi") == A)
    assert mine.equals(loitering.detect(pos, loitering.Params(), ctx))
