"""Port visits: arrivals and departures, DPRK port calls flagged.

Ports are the real World Port Index entries in ../shared (gfw-anchorages/WPI_ports.csv),
found by haversine distance: Nampo and Kyomipo (DPRK, 19 km apart) and Shanghai.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenario import WpiPorts, evidence, hm, leg, positions
from stswatch.detect import port_visit
from stswatch.detect.base import DetectContext
from stswatch.errors import UsageError
from stswatch.units import haversine_m

A, B = 412000001, 412000002
NAMPO = (125.4, 38.716667)  # WPI: PRK, NAMPO
KYOMIPO = (125.616667, 38.733333)  # WPI: PRK, KYOMIP'O
SHANGHAI = (121.5, 31.216667)  # WPI: CHN, SHANGHAI
M_PER_DEG_LAT = 111_195.0


class PortGeo(WpiPorts):
    """PortLookup over the World Port Index; asking it about land or shore fails the test."""

    def distance_to_shore_m(
        self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        raise AssertionError("port visits do not ask about the shore")

    def on_land(
        self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_]:
        raise AssertionError("port visits do not ask about land")


@pytest.fixture(scope="module")
def geo(shared: Path) -> PortGeo:
    return PortGeo(shared)


def west(p: tuple[float, float], metres: float) -> tuple[float, float]:
    return p[0] - metres / (M_PER_DEG_LAT * np.cos(np.radians(p[1]))), p[1]


def call_at(port: tuple[float, float], mmsi: int = A) -> list[pl.DataFrame]:
    """Steams in from 30 km west at 10 kn, anchors 1.5 km west of the port point, leaves."""
    anchorage = west(port, 1_500)
    return [
        # 00:00 30 km out; crosses 3 km (arrival) at about 01:27
        leg(mmsi, "00:00", "01:35", west(port, 30_000), anchorage, 10.0, every_min=5.0),
        # at anchor from 01:40 until 20:00
        leg(mmsi, "01:40", "20:00", anchorage, anchorage, 0.0, every_min=20.0),
        # leaves west at 10 kn; passes 4 km (departure) at about 20:15
        leg(mmsi, "20:05", "21:40", anchorage, west(port, 30_000), 10.0, every_min=5.0),
    ]


def test_tanker_calls_at_nampo(geo: PortGeo) -> None:
    ev = port_visit.detect(positions(*call_at(NAMPO)), port_visit.Params(), DetectContext(geo=geo))
    assert ev.select("type", "subtype", "mmsi").rows() == [("port_visit", "dprk", A)]
    inbound, _, outbound = call_at(NAMPO)
    d_in = haversine_m(inbound["lon"], inbound["lat"], *NAMPO)
    d_out = haversine_m(outbound["lon"], outbound["lat"], *NAMPO)
    # arrival: the first report within 3 km; departure: the last within 4 km
    assert ev["start"][0] == inbound["ts"].filter(pl.Series(d_in <= 3_000)).min()
    assert ev["end"][0] == outbound["ts"].filter(pl.Series(d_out <= 4_000)).max()
    e = evidence(ev)
    assert (e["port_name"], e["country"], e["is_dprk"]) == ("NAMPO", "PRK", True)
    assert e["closest_approach_m"] == pytest.approx(1_500, abs=1)
    assert (e["open_start"], e["open_end"]) == (False, False)
    assert e["min_speed_kn"] == 0.0


def test_a_call_at_shanghai_is_an_ordinary_port_visit(geo: PortGeo) -> None:
    ev = port_visit.detect(
        positions(*call_at(SHANGHAI)), port_visit.Params(), DetectContext(geo=geo)
    )
    assert ev["subtype"].to_list() == ["port"]
    assert evidence(ev)["country"] == "CHN" and evidence(ev)["is_dprk"] is False


def test_passing_a_port_at_speed_is_not_a_visit(geo: PortGeo) -> None:
    # sails north at 12 kn, 2 km west of Nampo's port point, never stopping
    track = leg(
        A, "00:00", "02:00", (west(NAMPO, 2_000)[0], 38.5), (west(NAMPO, 2_000)[0], 38.9), 12.0, 2.0
    )
    assert port_visit.detect(track, port_visit.Params(), DetectContext(geo=geo)).height == 0


def test_hovering_at_the_edge_is_one_visit(geo: PortGeo) -> None:
    # at anchor 3.5 km out, the GPS swinging between 2.9 km and 3.8 km from the port point
    pts = [west(NAMPO, 2_900 if k % 3 == 0 else 3_800) for k in range(60)]
    track = pl.DataFrame(
        {
            "mmsi": A,
            "ts": [hm("00:00") + timedelta(minutes=20 * k) for k in range(60)],
            "lon": [p[0] for p in pts],
            "lat": [p[1] for p in pts],
            "sog": 0.1,
        },
        schema_overrides={"ts": pl.Datetime("us", "UTC"), "sog": pl.Float32},
    )
    ev = port_visit.detect(track, port_visit.Params(), DetectContext(geo=geo))
    assert ev.select("start", "end").rows() == [
        (hm("00:00"), hm("00:00") + timedelta(minutes=20 * 59))
    ]
    # the whole stay counts, starting on the first report inside 3 km
    assert (evidence(ev)["n_reports"], evidence(ev)["open_start"], evidence(ev)["open_end"]) == (
        60,
        True,
        True,
    )


def test_silence_in_port_counts_as_a_stop(geo: PortGeo) -> None:
    anchorage = west(NAMPO, 1_000)
    track = positions(
        leg(A, "00:00", "01:00", west(NAMPO, 10_000), anchorage, 5.0, 5.0),
        # AIS off in port from 01:00 to 07:00; the last and first reports still say 5 kn
        leg(A, "07:00", "08:00", anchorage, west(NAMPO, 10_000), 5.0, 5.0),
    )
    ev = port_visit.detect(track, port_visit.Params(), DetectContext(geo=geo))
    assert ev.height == 1 and evidence(ev)["longest_silence_h"] == 6.0
    # with only a 2-hour silence it is a slow pass, not a visit
    short = positions(
        leg(A, "00:00", "01:00", west(NAMPO, 10_000), anchorage, 5.0, 5.0),
        leg(A, "03:00", "04:00", anchorage, west(NAMPO, 10_000), 5.0, 5.0),
    )
    assert port_visit.detect(short, port_visit.Params(), DetectContext(geo=geo)).height == 0


def test_two_ports_in_a_row_are_two_visits(geo: PortGeo) -> None:
    at_nampo, at_kyomipo = west(NAMPO, 1_000), (KYOMIPO[0], KYOMIPO[1] - 0.005)
    track = positions(
        leg(A, "00:00", "05:00", at_nampo, at_nampo, 0.0),
        leg(A, "05:10", "06:50", at_nampo, at_kyomipo, 7.0),
        # across midnight at Kyomipo
        leg(A, "07:00", "+1 03:00", at_kyomipo, at_kyomipo, 0.0),
    )
    ev = port_visit.detect(track, port_visit.Params(), DetectContext(geo=geo))
    assert [evidence(ev, k)["port_name"] for k in range(ev.height)] == ["NAMPO", "KYOMIP'O"]
    assert ev["end"][1] == hm("+1 03:00")


def test_segments_are_separate_tracks(geo: PortGeo) -> None:
    pos = positions(*call_at(NAMPO)).with_columns(
        seg_id=pl.when(pl.col("ts") < hm("10:00")).then(pl.lit("A-0")).otherwise(pl.lit("A-1"))
    )
    ev = port_visit.detect(pos, port_visit.Params(), DetectContext(geo=geo))
    assert [(evidence(ev, k)["open_start"], evidence(ev, k)["open_end"]) for k in range(2)] == [
        (False, True),
        (True, False),
    ]


def test_needs_a_port_lookup() -> None:
    with pytest.raises(UsageError, match="PortLookup"):
        port_visit.detect(positions(*call_at(NAMPO)), port_visit.Params(), DetectContext())
    with pytest.raises(UsageError, match="exit must be the larger"):
        port_visit.detect(
            positions(*call_at(NAMPO)),
            port_visit.Params(exit_distance_m=1_000),
            DetectContext(geo=None),
        )


FAST = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FAST
@given(seed=st.integers(0, 2**32 - 1), n_drop=st.integers(0, 40))
def test_row_order_changes_nothing(geo: PortGeo, seed: int, n_drop: int) -> None:
    pos = positions(*call_at(NAMPO), *call_at(SHANGHAI, B))
    pos = pos.sample(n=pos.height - n_drop, seed=seed).sort("mmsi", "ts")
    shuffled = pos.sample(fraction=1.0, shuffle=True, seed=seed)
    ctx = DetectContext(geo=geo)
    assert port_visit.detect(shuffled, port_visit.Params(), ctx).equals(
        port_visit.detect(pos, port_visit.Params(), ctx)
    )


class AllPoints:
    """The shipped geography without its ``nearest_port_within`` shortcut."""

    def __init__(self) -> None:
        from stswatch.geo import default_geo

        self.geo = default_geo()

    def nearest_port(self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]):
        return self.geo.nearest_port(lon, lat)


def test_the_near_port_shortcut_changes_nothing() -> None:
    from stswatch.geo import default_geo

    tracks = positions(
        *call_at(NAMPO, A),
        *call_at(SHANGHAI, B),
        *call_at(KYOMIPO, 412000003),
        # hovering around the exit distance of Nampo's port point
        leg(412000004, "00:00", "06:00", west(NAMPO, 4_500), west(NAMPO, 3_500), 0.1, 7.0),
        leg(412000004, "06:10", "12:00", west(NAMPO, 3_500), west(NAMPO, 4_500), 0.1, 7.0),
    )
    assert isinstance(default_geo(), port_visit.NearPortLookup)
    assert not isinstance(AllPoints(), port_visit.NearPortLookup)
    fast = port_visit.detect(tracks, port_visit.Params(), DetectContext(geo=default_geo()))
    full = port_visit.detect(tracks, port_visit.Params(), DetectContext(geo=AllPoints()))
    assert fast.height >= 3
    assert fast.equals(full)
