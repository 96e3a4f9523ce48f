"""Reference geography: known ports, known seas, distances checked against shapely and haversine.

Expected values never come from ``stswatch.geo`` itself: distances are computed with
``stswatch.units.haversine_m`` or with shapely in an azimuthal equidistant projection, and
"on land" with shapely's point-in-polygon on the same rings (or Natural Earth 50 m land from
the shared data).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from stswatch.errors import UsageError
from stswatch.geo import PORT_SCHEMA, Geo, data_dir, default_geo
from stswatch.geo.land import LandMask
from stswatch.geo.rings import Rings
from stswatch.geo.sphere import Arcs, unit_vectors
from stswatch.units import EARTH_RADIUS_M, haversine_m

EAST_ASIA = (117.0, 132.0, 30.0, 43.0)  # lon_min, lon_max, lat_min, lat_max


@pytest.fixture(scope="module")
def geo() -> Geo:
    return default_geo()


@pytest.fixture(scope="module")
def rings() -> Rings:
    return Rings.load(data_dir() / "land_rings.npz")


def arr(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


# --- ports --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "lon", "lat", "country"),
    [
        ("Rotterdam, Waalhaven", 4.40, 51.90, "NLD"),
        ("Busan, North Port", 129.05, 35.10, "KOR"),
        ("Nampo harbour", 125.38, 38.72, "PRK"),
    ],
)
def test_harbour_points_are_near_a_port(
    geo: Geo, place: str, lon: float, lat: float, country: str
) -> None:
    near = geo.nearest_port(arr(lon), arr(lat)).row(0, named=True)
    assert near["dist_m"] < 5_000, place
    assert near["country"] == country, place
    assert near["is_dprk"] == (country == "PRK")
    assert geo.distance_to_port_m(arr(lon), arr(lat))[0] == pytest.approx(near["dist_m"])


def test_nearest_port_distance_is_the_haversine_to_that_port(geo: Geo) -> None:
    lon, lat = arr(124.0, 126.2, 121.5, 130.0), arr(39.0, 36.9, 31.0, 42.5)
    near = geo.nearest_port(lon, lat).join(geo.ports(), on="port_id", how="left")
    expected = haversine_m(lon, lat, near["lon"].to_numpy(), near["lat"].to_numpy())
    np.testing.assert_allclose(near["dist_m"].to_numpy(), expected, rtol=1e-9, atol=0.01)


def test_nearest_port_is_the_brute_force_nearest(geo: Geo) -> None:
    rng = np.random.default_rng(3)
    lon = rng.uniform(EAST_ASIA[0], EAST_ASIA[1], 150)
    lat = rng.uniform(EAST_ASIA[2], EAST_ASIA[3], 150)
    lon = np.r_[lon, rng.uniform(-180, 180, 150)]  # far points take the grid path
    lat = np.r_[lat, rng.uniform(-60, 70, 150)]
    ports = geo.ports()
    brute = haversine_m(
        lon[:, None], lat[:, None], ports["lon"].to_numpy()[None, :], ports["lat"].to_numpy()
    ).min(axis=1)
    got = geo.distance_to_port_m(lon, lat)
    near = brute < 150_000  # the exact k-d tree path
    np.testing.assert_allclose(got[near], brute[near], rtol=1e-9, atol=0.01)
    assert np.all(got[~near] >= brute[~near] - 0.01)  # far: an upper bound...
    assert np.all(got[~near] <= brute[~near] + 10_000)  # ...and a close one


def test_mid_pacific_is_far_from_ports_and_shore(geo: Geo) -> None:
    # 10 N 140 W: about 1,900 km from Hawaii, 2,000 km from Kiritimati and the Marquesas.
    assert geo.distance_to_port_m(arr(-140.0), arr(10.0))[0] > 500_000
    assert geo.distance_to_shore_m(arr(-140.0), arr(10.0))[0] > 200_000
    assert not geo.on_land(arr(-140.0), arr(10.0))[0]


def test_all_seven_dprk_ports_present(geo: Geo) -> None:
    ports = geo.ports()
    dprk = ports.filter(pl.col("is_dprk"))
    for name in ["NAMPO", "SONGNIM", "HAEJU", "CHONGJIN", "WONSAN", "HUNGNAM", "RAJIN"]:
        assert name in dprk["name"].to_list(), name
    assert (dprk["country"] == "PRK").all()
    assert ports.filter(pl.col("country") == "PRK").height == dprk.height
    # Every DPRK port sits on the coast; Songnim is a river port on the Taedong, ~6 km inland
    # of the Natural Earth coastline.
    coast_m = geo.shore_index.distance_m(dprk["lon"].to_numpy(), dprk["lat"].to_numpy())
    assert coast_m.max() < 10_000
    # Nampo from the WPI is 38 deg 43 min N, 125 deg 24 min E.
    nampo = dprk.filter(pl.col("name") == "NAMPO").row(0, named=True)
    assert haversine_m(nampo["lon"], nampo["lat"], 125.4, 38.7167) < 100


def test_ports_table(geo: Geo) -> None:
    ports = geo.ports()
    assert ports.schema == pl.Schema(PORT_SCHEMA)
    assert ports["port_id"].n_unique() == ports.height
    assert ports.null_count().row(0) == (0,) * len(PORT_SCHEMA)
    assert set(ports["kind"]) == {"port", "anchorage"}
    assert set(ports["source"]) == {"wpi", "gfw", "ne"}
    assert ports["country"].str.contains(r"^[A-Z]{3}$").all()
    assert ports["lon"].is_between(-180, 180).all() and ports["lat"].is_between(-90, 90).all()
    assert ports.height > 50_000  # the GFW anchorage points are kept


# --- land and shore -------------------------------------------------------------------------


def test_cities_on_land_and_seas_not(geo: Geo) -> None:
    #            Seoul      Pyongyang  Beijing    Yellow Sea  Korea Bay
    lon = arr(126.978, 125.7625, 116.4074, 123.5, 124.0)
    lat = arr(37.5665, 39.0392, 39.9042, 35.5, 39.0)
    np.testing.assert_array_equal(geo.on_land(lon, lat), [True, True, True, False, False])
    shore = geo.distance_to_shore_m(lon, lat)
    np.testing.assert_array_equal(shore[:3], 0.0)
    assert np.all(shore[3:] > 10_000)


def rings_near(rings: Rings, box: tuple[float, float, float, float]) -> list[np.ndarray]:
    """The rings (as (n, 2) arrays) whose bounding box meets ``box`` widened by 3 degrees."""
    lon_min, lon_max, lat_min, lat_max = box
    starts = rings.offsets[:-1]
    hit = (
        (np.maximum.reduceat(rings.lon_deg, starts) > lon_min - 3)
        & (np.minimum.reduceat(rings.lon_deg, starts) < lon_max + 3)
        & (np.maximum.reduceat(rings.lat_deg, starts) > lat_min - 3)
        & (np.minimum.reduceat(rings.lat_deg, starts) < lat_max + 3)
    )
    return [
        np.c_[rings.lon_deg[a:b], rings.lat_deg[a:b]]
        for a, b in zip(rings.offsets[:-1][hit], rings.offsets[1:][hit], strict=True)
    ]


def test_on_land_matches_shapely_away_from_the_coast(geo: Geo, rings: Rings) -> None:
    rng = np.random.default_rng(11)
    lon = rng.uniform(EAST_ASIA[0], EAST_ASIA[1], 4000)
    lat = rng.uniform(EAST_ASIA[2], EAST_ASIA[3], 4000)
    lon_min, lon_max, lat_min, lat_max = EAST_ASIA
    polys = shapely.clip_by_rect(
        np.array([shapely.Polygon(r) for r in rings_near(rings, EAST_ASIA)]),
        lon_min - 1,
        lat_min - 1,
        lon_max + 1,
        lat_max + 1,
    )
    inside = np.zeros(lon.size, dtype=int)
    for poly in polys[~shapely.is_empty(polys)]:  # even-odd over rings, as the rasterizer does
        inside += shapely.contains_xy(poly, lon, lat)
    expected = inside % 2 == 1
    coast = shapely.union_all(shapely.boundary(polys))
    away = shapely.distance(coast, shapely.points(lon, lat)) > 0.01  # ~1 km from the coast
    got = geo.on_land(lon, lat)
    np.testing.assert_array_equal(got[away], expected[away])  # exact away from the coast
    assert (got == expected).mean() > 0.99


def test_on_land_agrees_with_natural_earth_50m(geo: Geo, shared: Path) -> None:
    features = json.loads((shared / "natural-earth" / "ne_50m_land.json").read_text())["features"]
    land_50m = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in features])
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(-180, 180, 20_000), np.degrees(np.arcsin(rng.uniform(-1, 1, 20_000)))
    expected = shapely.contains_xy(land_50m, lon, lat)
    assert (geo.on_land(lon, lat) == expected).mean() > 0.995


def aeqd_coast_distance_m(edges: np.ndarray, lon0: float, lat0: float) -> float:
    """Distance from (lon0, lat0) to the nearest edge (rows lon_a, lat_a, lon_b, lat_b), by
    shapely in an azimuthal equidistant projection centred on the point, where distances from
    the centre are exact."""
    near = (np.abs(edges[:, 1] - lat0) < 3) & (np.abs(edges[:, 0] - lon0) < 4)
    lon, lat = edges[near][:, [0, 2]], edges[near][:, [1, 3]]
    lam, phi, phi0 = np.radians(lon - lon0), np.radians(lat), np.radians(lat0)
    cos_c = np.sin(phi0) * np.sin(phi) + np.cos(phi0) * np.cos(phi) * np.cos(lam)
    c = np.arccos(np.clip(cos_c, -1.0, 1.0))
    k = EARTH_RADIUS_M * np.where(c > 0, c / np.sin(np.where(c > 0, c, 1.0)), 1.0)
    x = k * np.cos(phi) * np.sin(lam)
    y = k * (np.cos(phi0) * np.sin(phi) - np.sin(phi0) * np.cos(phi) * np.cos(lam))
    segments = shapely.linestrings(np.stack([x, y], axis=-1))
    return float(shapely.distance(shapely.Point(0.0, 0.0), segments).min())


def test_distance_to_shore_matches_shapely_near_east_asian_coasts(geo: Geo, rings: Rings) -> None:
    rng = np.random.default_rng(7)
    # 100 points anywhere in the box, 100 within ~20 km of a coastline vertex.
    lon = rng.uniform(EAST_ASIA[0], EAST_ASIA[1], 1000)
    lat = rng.uniform(EAST_ASIA[2], EAST_ASIA[3], 1000)
    in_box = np.flatnonzero(
        (rings.lon_deg > EAST_ASIA[0]) & (rings.lon_deg < EAST_ASIA[1])
        & (rings.lat_deg > EAST_ASIA[2]) & (rings.lat_deg < EAST_ASIA[3])
    )  # fmt: skip
    v = rng.choice(in_box, 1000)
    lon_c = rings.lon_deg[v] + rng.uniform(-0.2, 0.2, 1000)
    lat_c = rings.lat_deg[v] + rng.uniform(-0.2, 0.2, 1000)
    sea, sea_c = ~geo.on_land(lon, lat), ~geo.on_land(lon_c, lat_c)
    lon = np.r_[lon[sea][:100], lon_c[sea_c][:100]]
    lat = np.r_[lat[sea][:100], lat_c[sea_c][:100]]
    edges = np.vstack([np.c_[r[:-1], r[1:]] for r in rings_near(rings, EAST_ASIA)])
    expected = np.array([aeqd_coast_distance_m(edges, x, y) for x, y in zip(lon, lat, strict=True)])
    got = geo.distance_to_shore_m(lon, lat)
    assert np.median(expected[100:]) < 10_000  # these really are near coasts
    np.testing.assert_array_less(np.abs(got - expected), 2_000)  # the requirement
    assert np.all(got - expected < 600)  # the documented bound: 500 m at 1 km sampling
    assert np.all(got >= expected - 1.0)  # never below the true distance
    assert np.median(np.abs(got - expected)) < 1.0  # usually exact


def test_distance_to_a_straight_coast_is_the_haversine() -> None:
    # A continent whose west coast is the meridian 0 from 30 S to 30 N (a great circle).
    lat_edge = np.linspace(-30, 30, 61)
    ring = np.r_[np.c_[np.zeros(61), lat_edge], np.c_[np.full(61, 20.0), lat_edge[::-1]]]
    toy = Geo(empty_ports(), Rings.from_lists([ring]), workers=1)
    lon, lat = arr(-0.5, -2.0, -0.3, -1.0, 5.0), arr(0.0, 20.0, 29.0, 31.0, 0.0)
    got = toy.distance_to_shore_m(lon, lat)
    # Off a meridian coast the nearest point has the same... only at the equator; in general
    # the cross-track distance is asin(cos(lat) sin(dlon)).
    cross_m = EARTH_RADIUS_M * np.arcsin(np.cos(np.radians(lat)) * np.sin(np.radians(-lon)))
    assert got[0] == pytest.approx(haversine_m(-0.5, 0.0, 0.0, 0.0), rel=1e-9)
    assert got[0] == pytest.approx(cross_m[0], rel=1e-9)
    assert got[1] == pytest.approx(cross_m[1], rel=1e-9)
    assert got[2] == pytest.approx(cross_m[2], rel=1e-9)
    assert got[3] == pytest.approx(haversine_m(-1.0, 31.0, 0.0, 30.0), rel=1e-9)  # past a corner
    assert got[4] == 0.0 and toy.on_land(lon, lat).tolist() == [False] * 4 + [True]


# --- antimeridian, shapes, loading -----------------------------------------------------------


def empty_ports() -> pl.DataFrame:
    return pl.DataFrame(schema=PORT_SCHEMA)


def ports_frame(rows: list[tuple[str, float, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "port_id": [r[0] for r in rows],
            "name": [r[0] for r in rows],
            "country": ["FJI"] * len(rows),
            "kind": ["port"] * len(rows),
            "lon": [r[1] for r in rows],
            "lat": [r[2] for r in rows],
            "is_dprk": [False] * len(rows),
            "source": ["test"] * len(rows),
        },
        schema=PORT_SCHEMA,
    )


def test_antimeridian_port_and_shore() -> None:
    ports = ports_frame([("east", -179.99, -16.0), ("far", 170.0, -16.0)])
    # An island straddling the antimeridian, cut in two as Natural Earth does.
    west = [(179.5, -17.0), (180.0, -17.0), (180.0, -16.5), (179.5, -16.5)]
    east = [(-180.0, -17.0), (-179.5, -17.0), (-179.5, -16.5), (-180.0, -16.5)]
    toy = Geo(ports, Rings.from_lists([west, east]), workers=1)
    near = toy.nearest_port(arr(179.99), arr(-16.0)).row(0, named=True)
    assert near["port_id"] == "east"
    assert near["dist_m"] == pytest.approx(haversine_m(179.99, -16.0, -179.99, -16.0), rel=1e-9)
    assert near["dist_m"] < 2_200
    # North of the island the coast is the parallel-ish edge at -16.5, on both sides of 180.
    d = toy.distance_to_shore_m(arr(179.999, -179.999, 180.0), arr(-16.4, -16.4, -16.4))
    assert d[0] == pytest.approx(d[1], rel=1e-6)
    assert d[2] == pytest.approx(d[0], rel=1e-3)
    assert d[0] == pytest.approx(haversine_m(179.999, -16.4, 179.999, -16.5), rel=1e-3)
    # The cut along the antimeridian is not coastline: the island's middle is inland.
    assert toy.on_land(arr(180.0, -180.0, 179.9999), arr(-16.75, -16.75, -16.75)).all()
    assert toy.shore_index.distance_m(arr(180.0), arr(-16.75))[0] > 25_000


def test_antimeridian_with_shipped_data(geo: Geo) -> None:
    # Fiji straddles 180; a point just east and just west of it sees the same coastline.
    d_port = geo.distance_to_port_m(arr(179.999, -179.999), arr(-16.3, -16.3))
    d_shore = geo.distance_to_shore_m(arr(179.999, -179.999), arr(-16.3, -16.3))
    assert abs(d_port[0] - d_port[1]) < 250 and abs(d_shore[0] - d_shore[1]) < 250
    assert geo.on_land(arr(180.0), arr(0.0))[0] == geo.on_land(arr(-180.0), arr(0.0))[0]


def test_vectorized_shapes_nan_and_mismatch(geo: Geo) -> None:
    empty = np.array([], dtype=np.float64)
    assert geo.distance_to_port_m(empty, empty).shape == (0,)
    assert geo.distance_to_shore_m(empty, empty).shape == (0,)
    assert geo.on_land(empty, empty).shape == (0,)
    assert geo.nearest_port(empty, empty).columns == [
        "dist_m", "port_id", "name", "country", "kind", "is_dprk",
    ]  # fmt: skip
    lon, lat = arr(np.nan, 126.0, 0.0, 126.0), arr(35.0, np.nan, 95.0, 35.0)
    assert np.isnan(geo.distance_to_port_m(lon, lat)[:3]).all()
    assert np.isnan(geo.distance_to_shore_m(lon, lat)[:3]).all()
    assert geo.on_land(lon, lat)[:3].tolist() == [False, False, False]
    near = geo.nearest_port(lon, lat)
    assert near.height == 4 and near["port_id"].null_count() == 3
    assert near["port_id"][3] is not None
    n = 10_000
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(-180, 180, n), rng.uniform(-80, 80, n)
    assert geo.distance_to_port_m(lon, lat).dtype == np.float64
    assert geo.distance_to_shore_m(lon, lat).shape == (n,)
    assert geo.on_land(lon, lat).dtype == np.bool_
    assert geo.nearest_port(lon, lat).height == n
    with pytest.raises(UsageError, match="lon has 2 values but lat has 1"):
        geo.on_land(arr(1.0, 2.0), arr(1.0))


def test_points_are_answered_independently_of_order(geo: Geo) -> None:
    rng = np.random.default_rng(2)
    lon, lat = rng.uniform(118, 131, 3000), rng.uniform(31, 42, 3000)
    perm = rng.permutation(lon.size)
    for name in ("distance_to_port_m", "distance_to_shore_m", "on_land"):
        whole = getattr(geo, name)(lon, lat)
        np.testing.assert_array_equal(getattr(geo, name)(lon[perm], lat[perm]), whole[perm])
        np.testing.assert_array_equal(getattr(geo, name)(lon[:1], lat[:1]), whole[:1])


def test_nothing_loaded_at_import() -> None:
    code = (
        "import numpy, polars\n"
        "calls = []\n"
        "numpy.load = lambda *a, **k: calls.append(a)\n"
        "polars.read_parquet = lambda *a, **k: calls.append(a)\n"
        "import stswatch.geo\n"
        "from stswatch.geo import default_geo\n"
        "assert calls == [] and default_geo.cache_info().currsize == 0, calls\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_default_geo_is_loaded_once() -> None:
    assert default_geo() is default_geo()


# --- building blocks --------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    st.floats(-179, 179), st.floats(-80, 80), st.floats(-2, 2), st.floats(-2, 2),
    st.floats(-3, 3), st.floats(-3, 3),
)  # fmt: skip
def test_arc_distance_matches_dense_sampling(
    lon: float, lat: float, dlon: float, dlat: float, plon: float, plat: float
) -> None:
    a = unit_vectors(arr(lon), arr(lat))
    b = unit_vectors(arr(lon + dlon), arr(lat + dlat))
    p = unit_vectors(arr(lon + plon), arr(lat + plat))
    got = Arcs(a, b).distance_m(p, np.array([0]))[0]
    t = np.linspace(0.0, 1.0, 20_001)[:, None]
    samples = a * (1 - t) + b * t
    samples /= np.linalg.norm(samples, axis=1)[:, None]
    chord = np.linalg.norm(samples - p, axis=1).min()
    brute = 2 * EARTH_RADIUS_M * np.arcsin(chord / 2)
    step_m = EARTH_RADIUS_M * np.arccos(np.clip(a[0] @ b[0], -1, 1)) / 20_000
    assert brute - step_m - 0.1 <= got <= brute + 0.1


def test_rings_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    ring = np.c_[rng.uniform(-180, 180, 50), rng.uniform(-90, 90, 50)]
    rings = Rings.from_lists([ring, ring[:10]])
    rings.save(tmp_path / "r.npz")
    back = Rings.load(tmp_path / "r.npz")
    np.testing.assert_array_equal(back.offsets, [0, 51, 62])  # closed: first vertex repeated
    assert np.abs(back.lon_deg - rings.lon_deg).max() <= 0.5e-5 + 1e-12
    assert np.abs(back.lat_deg - rings.lat_deg).max() <= 0.5e-5 + 1e-12


def test_land_mask_of_a_square(tmp_path: Path) -> None:
    square = Rings.from_lists([[(10.0, 10.0), (11.0, 10.0), (11.0, 11.0), (10.0, 11.0)]])
    mask = LandMask.from_rings(square, cells_per_deg=2, fine_per_cell=16)
    mask.save(tmp_path / "m.npz")
    mask = LandMask.load(tmp_path / "m.npz")
    lon = arr(10.5, 10.01, 10.99, 9.99, 11.01, 10.5, 10.5, -170.0)
    lat = arr(10.5, 10.5, 10.99, 10.5, 10.5, 9.99, 11.01, 10.5)
    expected = [True, True, True, False, False, False, False, False]
    assert mask.contains(lon, lat).tolist() == expected


def destination(lon: float, lat: float, bearing_deg: float, dist_m: float) -> tuple[float, float]:
    """The point ``dist_m`` from (lon, lat) along the initial ``bearing_deg`` (great circle)."""
    phi, lam, theta = np.radians(lat), np.radians(lon), np.radians(bearing_deg)
    d = dist_m / EARTH_RADIUS_M
    phi2 = np.arcsin(np.sin(phi) * np.cos(d) + np.cos(phi) * np.sin(d) * np.cos(theta))
    lam2 = lam + np.arctan2(
        np.sin(theta) * np.sin(d) * np.cos(phi), np.cos(d) - np.sin(phi) * np.sin(phi2)
    )
    return float((np.degrees(lam2) + 180.0) % 360.0 - 180.0), float(np.degrees(phi2))


@settings(max_examples=80, deadline=None)
@given(
    lon=st.floats(-180.0, 180.0),
    lat=st.floats(-89.99, 89.99),
    bearing=st.floats(0.0, 360.0),
    frac=st.floats(0.0, 1.0),
    max_m=st.sampled_from([300.0, 4_000.0, 50_000.0]),
)
def test_nearest_within_finds_every_point_within_reach(
    lon: float, lat: float, bearing: float, frac: float, max_m: float
) -> None:
    """The cell raster never drops a point within the radius (antimeridian and poles
    included), and the answer is ``nearest``'s."""
    ports = ports_frame([("p", lon, lat), ("q", -lon, -lat), ("r", 0.0, 0.0)])
    toy = Geo(ports, Rings.from_lists([]), workers=1)
    plon, plat = destination(lon, lat, bearing, frac * max_m * 0.999)
    want = toy.nearest_port(arr(plon), arr(plat))
    got = toy.nearest_port_within(arr(plon), arr(plat), max_m)
    assert got["i"].to_list() == [0]
    assert got.drop("i").equals(want)


def test_nearest_port_within_agrees_with_nearest_port(geo: Geo) -> None:
    rng = np.random.default_rng(7)
    ports = geo.ports().sample(2_000, seed=3)
    # points scattered up to 8 km around real ports, and points anywhere in East Asia
    bearing, dist = rng.uniform(0, 360, ports.height), rng.uniform(0, 8_000, ports.height)
    near = [
        destination(x, y, b, d)
        for x, y, b, d in zip(ports["lon"], ports["lat"], bearing, dist, strict=True)
    ]
    lon = np.r_[[p[0] for p in near], rng.uniform(EAST_ASIA[0], EAST_ASIA[1], 20_000), np.nan]
    lat = np.r_[[p[1] for p in near], rng.uniform(EAST_ASIA[2], EAST_ASIA[3], 20_000), 95.0]
    want = geo.nearest_port(lon, lat).with_row_index("i").with_columns(pl.col("i").cast(pl.Int64))
    for max_m in (3_000.0, 4_000.0):
        got = geo.nearest_port_within(lon, lat, max_m)
        within = want.filter(pl.col("dist_m").is_null() | (pl.col("dist_m") <= max_m))
        assert got.join(within, on="i", how="semi").height == within.height  # none missed
        assert got.equals(want.join(got.select("i"), on="i", how="semi"))  # same answers
        left_out = want.join(got.select("i"), on="i", how="anti")
        assert (left_out["dist_m"] > max_m).all()
