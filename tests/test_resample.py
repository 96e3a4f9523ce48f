"""The shared 10-minute grid: interpolation rules, and spatial cells that never miss a neighbour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stswatch.resample import CellGrid, resample
from stswatch.units import EARTH_RADIUS_M, haversine_m

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def reports(
    rows: list[tuple[int, str, float, float, float | None]], seg: bool = False
) -> pl.DataFrame:
    """Rows (mmsi, "HH:MM" on 2024-03-01 or "+1 HH:MM" the day after, lon, lat, sog)."""

    def when(hhmm: str) -> datetime:
        day = 1 if hhmm.startswith("+1 ") else 0
        h, m = hhmm.removeprefix("+1 ").split(":")
        return T0 + timedelta(days=day, hours=int(h), minutes=int(m))

    df = pl.DataFrame(
        {
            "mmsi": [r[0] for r in rows],
            "ts": [when(r[1]) for r in rows],
            "lon": [r[2] for r in rows],
            "lat": [r[3] for r in rows],
            "sog": [r[4] for r in rows],
        },
        schema={
            "mmsi": pl.Int64,
            "ts": pl.Datetime("us", "UTC"),
            "lon": pl.Float64,
            "lat": pl.Float64,
            "sog": pl.Float32,
        },
    )
    return df


def at(rs: pl.DataFrame, hhmm: str) -> dict[str, Any]:
    h, m = hhmm.split(":")
    rows = rs.filter(pl.col("ts") == T0 + timedelta(hours=int(h), minutes=int(m))).to_dicts()
    assert len(rows) == 1, rows
    return rows[0]


def test_linear_interpolation_between_reports() -> None:
    rs = resample(
        reports(
            [
                (211000001, "10:05", 124.00, 30.00, 10.0),
                (211000001, "10:25", 124.02, 30.04, 12.0),
            ]
        )
    )
    # slots 10:10 and 10:20 lie between the reports, a quarter and three quarters of the way
    assert rs["ts"].dt.strftime("%H:%M").to_list() == ["10:10", "10:20"]
    assert at(rs, "10:10")["lon"] == pytest.approx(124.005)
    assert at(rs, "10:10")["lat"] == pytest.approx(30.01)
    assert at(rs, "10:10")["speed_kn"] == pytest.approx(10.5)
    assert at(rs, "10:20")["lat"] == pytest.approx(30.03)


def test_no_extrapolation_before_first_or_after_last_report() -> None:
    rs = resample(
        reports([(211000001, "10:01", 124.0, 30.0, 1.0), (211000001, "10:09", 124.0, 30.0, 1.0)])
    )
    # no slot between 10:01 and 10:09, and none invented at 10:00 or 10:10
    assert rs.height == 0


def test_silence_of_an_hour_or_more_is_not_bridged() -> None:
    rs = resample(
        reports(
            [
                (211000001, "10:05", 124.0, 30.0, 1.0),
                (211000001, "11:04", 124.0, 30.1, 1.0),  # 59 min later: bridged
                (211000001, "12:04", 124.0, 30.2, 1.0),  # 60 min later: not bridged
            ]
        )
    )
    assert rs["ts"].dt.strftime("%H:%M").to_list() == [
        "10:10",
        "10:20",
        "10:30",
        "10:40",
        "10:50",
        "11:00",
    ]


def test_report_on_a_slot_is_used_as_is_even_alone() -> None:
    rs = resample(
        reports(
            [
                (211000001, "10:00", 124.0, 30.0, 0.5),
                (211000001, "10:10", 124.1, 30.1, 0.7),
                (211000002, "13:20", 10.0, 50.0, None),  # a single report, on the grid
            ]
        )
    )
    assert rs.select("mmsi", "lon", "speed_kn").rows() == [
        (211000001, 124.0, 0.5),
        (211000001, 124.1, pytest.approx(0.7)),
        (211000002, 10.0, None),
    ]


def test_antimeridian_interpolated_the_short_way() -> None:
    rs = resample(
        reports([(211000001, "10:05", 179.99, 10.0, 8.0), (211000001, "10:15", -179.99, 10.0, 8.0)])
    )
    # half way: on the antimeridian itself, not at longitude 0
    assert abs(at(rs, "10:10")["lon"]) == pytest.approx(180.0)


def test_gap_across_midnight() -> None:
    rs = resample(
        reports(
            [
                (211000001, "23:45", 124.0, 30.0, 0.2),
                (211000001, "+1 00:25", 124.0, 30.04, 0.2),  # 40 minutes over midnight
            ]
        )
    )
    assert rs["ts"].dt.strftime("%d %H:%M").to_list() == [
        "01 23:50",
        "02 00:00",
        "02 00:10",
        "02 00:20",
    ]
    assert rs["lat"].to_list() == pytest.approx([30.005, 30.015, 30.025, 30.035])


def test_segments_are_never_joined() -> None:
    df = reports(
        [
            (211000001, "10:05", 124.0, 30.0, 1.0),
            (211000001, "10:15", 124.0, 30.1, 1.0),
            (211000001, "10:25", 124.0, 30.2, 1.0),
        ]
    ).with_columns(pl.Series("seg_id", ["a", "a", "b"]))
    rs = resample(df)
    # 10:10 lies inside segment a; 10:20 lies between segments a and b: no point there
    assert rs.select("track", pl.col("ts").dt.strftime("%H:%M")).rows() == [("a", "10:10")]
    # without seg_id the track is the MMSI and 10:20 is interpolated
    assert resample(df.drop("seg_id"))["ts"].dt.strftime("%H:%M").to_list() == ["10:10", "10:20"]


def test_duplicate_times_count_once_and_row_order_does_not_matter() -> None:
    df = reports(
        [
            (211000001, "10:05", 124.0, 30.0, 1.0),
            (211000001, "10:05", 124.0, 30.0, 1.0),
            (211000001, "10:15", 124.0, 30.1, 1.0),
            (211000002, "10:07", 125.0, 31.0, 3.0),
            (211000002, "10:13", 125.0, 31.1, 3.0),
        ]
    )
    rs = resample(df)
    assert rs.height == 2
    assert resample(df.reverse()).equals(rs)


# --- cells ---------------------------------------------------------------------------


def destination(
    lon: np.ndarray, lat: np.ndarray, bearing_deg: np.ndarray, dist_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Points reached from (lon, lat) along great circles (the standard spherical formula)."""
    d = dist_m / EARTH_RADIUS_M
    b = np.radians(bearing_deg)
    p1, l1 = np.radians(lat), np.radians(lon)
    p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(b))
    l2 = l1 + np.arctan2(np.sin(b) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    return (np.degrees(l2) + 540.0) % 360.0 - 180.0, np.degrees(p2)


def neighbour_found(
    lon: np.ndarray, lat: np.ndarray, lon2: np.ndarray, lat2: np.ndarray, cell_m: float
) -> np.ndarray:
    """For each pair: is the second point's cell among the first point's 9 cells?"""
    grid = CellGrid(cell_m)
    around = grid.neighbour_cells(lon, lat)
    return (around == grid.cell(lon2, lat2)[:, None]).any(axis=1)


@pytest.mark.parametrize("cell_m", [1000.0, 5000.0, 18520.0])
def test_a_point_within_cell_size_is_in_a_neighbour_cell(cell_m: float) -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    lon = rng.uniform(-180.0, 180.0, n)
    # dense near the antimeridian, the poles and band edges as well as everywhere
    lon[: n // 4] = rng.choice([-180.0, 180.0], n // 4) + rng.uniform(-0.05, 0.05, n // 4)
    lat = np.concatenate(
        [
            rng.uniform(-89.9, 89.9, n // 2),
            rng.choice([-1.0, 1.0], n // 2) * rng.uniform(80.0, 89.9, n // 2),
        ]
    )
    lon = (lon + 540.0) % 360.0 - 180.0
    dist = rng.uniform(0.0, 1.0, n) ** 0.2 * cell_m  # many near the limit
    lon2, lat2 = destination(lon, lat, rng.uniform(0.0, 360.0, n), dist)
    assert (haversine_m(lon, lat, lon2, lat2) <= cell_m * 1.000001).all()
    found = neighbour_found(lon, lat, lon2, lat2, cell_m)
    assert found.all(), np.column_stack([lon, lat, lon2, lat2])[~found][:5]


@settings(max_examples=40, deadline=None)
@given(
    lon=st.floats(-180.0, 180.0),
    lat=st.floats(-89.9, 89.9),
    bearing=st.floats(0.0, 360.0),
    frac=st.floats(0.0, 1.0),
)
def test_neighbour_cells_property(lon: float, lat: float, bearing: float, frac: float) -> None:
    a = lambda x: np.array([x])  # noqa: E731
    lon2, lat2 = destination(a(lon), a(lat), a(bearing), a(frac * 500.0))
    assert neighbour_found(a(lon), a(lat), lon2, lat2, 500.0).all()


def test_cells_wrap_at_the_antimeridian() -> None:
    grid = CellGrid(1000.0)
    east, west = grid.cell([179.999, -179.999], [60.0, 60.0])
    assert east != west
    assert east in grid.neighbour_cells([-179.999], [60.0])[0]


def test_cells_are_at_least_cell_size_wide() -> None:
    grid = CellGrid(500.0)
    lat = np.array([0.0, 45.0, 70.0, 85.0, 89.0])
    width_m = 360.0 / grid.n_cols(grid.band(lat)) * 111_195.0 * np.cos(np.radians(lat))
    assert (width_m >= 500.0).all()


def test_probes_list_each_cell_once_even_at_the_pole() -> None:
    grid = CellGrid(1000.0)
    rows, cells = grid.probes([10.0, 10.0], [89.99, 0.0])
    assert sorted(rows.tolist()) == [0] * len(set(cells[rows == 0])) + [1] * 9
    assert len(cells[rows == 0]) == len(set(cells[rows == 0].tolist())) < 9


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), layout=st.sampled_from(["shuffled", "by_time", "by_mmsi"]))
def test_sort_reports_is_a_full_sort(seed: int, layout: str) -> None:
    """Whatever the shortcut taken (as is, runs moved, full sort), the rows come out as
    ``sort(track, t, *ties)`` would put them."""
    from stswatch.resample import sort_reports

    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 80))
    mmsi = rng.choice([7, 12, 123], n)
    seg = rng.choice([0, 1, 2, 10], n)
    df = pl.DataFrame(
        {
            "track": [f"{m}-{s}" for m, s in zip(mmsi, seg, strict=True)],
            "mmsi": mmsi,
            "t": rng.choice(np.arange(200 if rng.random() < 0.5 else 10_000), n, replace=False)
            if n <= 200
            else rng.integers(0, 10_000, n),
            "lon": rng.normal(size=n).round(1),
            "lat": rng.normal(size=n).round(1),
        }
    )
    if rng.random() < 0.3 and n:
        df = pl.concat([df, df.head(3)])  # equal times: ties decide
    if layout == "by_time":
        df = df.sort("t")
    elif layout == "by_mmsi":
        df = df.sort("mmsi", "t")
    else:
        df = df.sample(fraction=1.0, shuffle=True, seed=seed % 1000)
    got = sort_reports(df, ("track", "t"), ("lon", "lat"))
    assert got.equals(df.sort("track", "t", "lon", "lat", nulls_last=True))
