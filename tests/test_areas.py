"""Areas of interest: the shipped hotspots, GeoJSON that is not an area, and the commands."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from shapely.geometry import MultiPolygon, Polygon
from typer.testing import CliRunner

import stswatch.cli.areas  # noqa: F401  (registers the areas commands)
from stswatch import schema
from stswatch.areas import Area, builtin_areas, contains, parse_areas, read_areas
from stswatch.cli import app
from stswatch.detect.base import finish_events
from stswatch.errors import InputError, UsageError
from stswatch.store import Store

SQUARE = [[[120.0, 30.0], [121.0, 30.0], [121.0, 31.0], [120.0, 31.0], [120.0, 30.0]]]
SHANGHAI = (121.4737, 31.2304)
REPO = Path(__file__).resolve().parent.parent


def feature(coords: Any = SQUARE, kind: str = "Polygon", **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": kind, "coordinates": coords},
    }


def write(tmp_path: Path, data: Any, name: str = "a.geojson") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return p


def destination(lon: float, lat: float, bearing_deg: float, km: float) -> tuple[float, float]:
    """Point ``km`` from (lon, lat) on the great circle at ``bearing_deg`` (sphere)."""
    d, b = km / 6371.0088, math.radians(bearing_deg)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(l2), math.degrees(p2)


# --- the shipped starter set ----------------------------------------------------------


def test_builtin_areas_are_valid_sourced_polygons():
    shipped = builtin_areas()
    assert {a.name for a in shipped} >= {
        "yellow_sea_korea_bay", "east_china_sea_off_shanghai", "taiwan_strait_north",
        "sea_of_japan_off_wonsan_chongjin",
    }  # fmt: skip
    for a in shipped:
        assert a.origin == "builtin" and a.geometry.is_valid and a.geometry.geom_type == "Polygon"
        assert a.source and a.description and 0 < a.weight <= 1
        assert a.geometry.exterior.is_ccw  # RFC 7946: exterior rings counterclockwise
    sources = (REPO / "src" / "stswatch" / "data" / "areas" / "SOURCES.md").read_text()
    assert all(f"## {a.name} (weight {a.weight:g}" in sources for a in shipped)


# Where Japan's MOFA and the JMSDF reported DPRK transfers (documented_sts_incidents.csv),
# as distance and bearing from Shanghai.
REPORTED_OFF_SHANGHAI = [
    ("2018-02-13 about 250 km off Shanghai (east)", 90, 250),
    ("2018-05-19 about 350 km off Shanghai (SSE)", 157.5, 350),
    ("2018-06-21 around 400 km SSE", 157.5, 400),
    ("2018-06-22 around 450 km SSE", 157.5, 450),
    ("2018-07 around 350 km SSE", 157.5, 350),
    ("2019-03-02 around 390 km south", 180, 390),
    ("2019-12-16 about 290 km SE", 135, 290),
]


@pytest.mark.parametrize("what, bearing, km", REPORTED_OFF_SHANGHAI)
def test_reported_transfers_off_shanghai_fall_in_the_east_china_sea_area(what, bearing, km):
    ecs = [a for a in builtin_areas() if a.name == "east_china_sea_off_shanghai"]
    lon, lat = destination(*SHANGHAI, bearing, km)
    assert contains(ecs, [lon], [lat])[0, 0], what


def test_open_ocean_and_ports_are_outside_every_builtin_area():
    points = {
        "Shanghai city": SHANGHAI,
        "Busan": (129.04, 35.10),
        "Nampo port (visits are their own factor)": (125.40, 38.73),
        "mid Pacific": (160.0, 30.0),
    }
    inside = contains(
        builtin_areas(), [p[0] for p in points.values()], [p[1] for p in points.values()]
    )
    assert not inside.any()


# --- validating user files ------------------------------------------------------------


def test_feature_collection_with_names_weights_and_sources(tmp_path):
    fc = {
        "type": "FeatureCollection",
        "features": [
            feature(name="west", weight=0.5, source="UN PoE S/2021/211", description="d"),
            feature([[[[122, 30], [123, 30], [123, 31], [122, 30]]]], "MultiPolygon", name="east"),
        ],
    }
    got = read_areas(write(tmp_path, fc))
    assert [(a.name, a.weight, a.geometry.geom_type) for a in got] == [
        ("west", 0.5, "Polygon"), ("east", 1.0, "MultiPolygon"),
    ]  # fmt: skip
    assert got[0].source == "UN PoE S/2021/211" and got[0].source_file.endswith("a.geojson")


def test_name_option_names_a_bare_geometry_or_merges_features(tmp_path):
    bare = {"type": "Polygon", "coordinates": SQUARE}
    assert [a.name for a in read_areas(write(tmp_path, bare), "box")] == ["box"]
    two = {
        "type": "FeatureCollection",
        "features": [feature(), feature([[[125, 30], [126, 30], [126, 31], [125, 30]]])],
    }
    (merged,) = read_areas(write(tmp_path, two), "both")
    assert merged.name == "both" and isinstance(merged.geometry, MultiPolygon)


@pytest.mark.parametrize(
    "data, message",
    [
        ('{"type": "Feature", ', "is not valid JSON: Expecting property name"),
        ("[1, 2]", "is not a GeoJSON object"),
        ({"type": "Point", "coordinates": [120, 30]}, "is a Point, not a Polygon"),
        (feature([[120, 30], [121, 31]], "LineString", name="x"), "is a LineString, not a Polygon"),
        ({"type": "FeatureCollection", "features": []}, "FeatureCollection without features"),
        (feature(name=None), "has no 'name' property"),
        (feature(name="x", weight=2), "has weight 2"),
        (feature([[[120, 30], [121]]], name="x"), "malformed Polygon coordinates"),
        (
            # a bow tie: the ring crosses itself at (120.5, 30.5)
            feature([[[120, 30], [121, 31], [121, 30], [120, 31], [120, 30]]], name="bowtie"),
            "is not a valid Polygon: Self-intersection",
        ),
        (
            # metres (Web Mercator), not degrees
            feature([[[1.3e7, 3.5e6], [1.4e7, 3.5e6], [1.4e7, 3.6e6], [1.3e7, 3.5e6]]], name="m"),
            "outside longitude -180..180",
        ),
        (
            {"type": "FeatureCollection", "features": [feature(name="a"), feature(name="a")]},
            "names more than one feature a",
        ),
        ({"type": "Feature", "properties": {"name": "x"}, "geometry": None}, "has no geometry"),
    ],
)
def test_geojson_that_is_not_an_area_is_refused_with_the_reason(tmp_path, data, message):
    path = write(tmp_path, data)
    with pytest.raises(InputError, match=message) as err:
        read_areas(path)
    assert str(path) in str(err.value) and "Hint:" in str(err.value)


def test_missing_file_and_empty_name(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_areas(tmp_path / "nope.geojson")
    with pytest.raises(UsageError, match="--name is empty"):
        read_areas(write(tmp_path, feature(name="x")), "  ")


def test_parse_areas_points_at_the_feature():
    fc = {"type": "FeatureCollection", "features": [feature(name="ok"), {"type": "Polygon"}]}
    with pytest.raises(InputError, match="x.geojson feature 2: is not a Feature"):
        parse_areas(fc, "x.geojson")


# --- point in polygon -----------------------------------------------------------------


def test_contains_is_vectorized_over_points_and_areas():
    areas = [
        Area("a", Polygon(SQUARE[0])),
        Area("b", Polygon([[120.5, 30.5], [122, 30.5], [122, 32], [120.5, 32]])),
    ]
    lon = np.array([120.2, 120.7, 121.5, 125.0, np.nan, 121.0])
    lat = np.array([30.2, 30.7, 31.5, 30.0, 30.5, 30.5])
    got = contains(areas, lon, lat)
    assert got.shape == (2, 6)
    assert got[0].tolist() == [True, True, False, False, False, True]  # boundary counts
    assert got[1].tolist() == [False, True, True, False, False, True]


# --- the commands ---------------------------------------------------------------------


def _encounter_in(tmp_db: str, lon: float, lat: float) -> str:
    t = datetime(2019, 3, 2, 2, tzinfo=UTC)
    ev = finish_events(
        pl.DataFrame(
            [{"type": "encounter", "subtype": None, "mmsi": 440000001, "other_mmsi": 636000002,
              "start": t, "end": t + timedelta(hours=3), "lon": lon, "lat": lat,
              "evidence": "{}"}],
            schema_overrides={"start": pl.Datetime("us", "UTC"), "end": pl.Datetime("us", "UTC")},
        )
    ).with_columns(pl.lit("r").alias("run_id"))  # fmt: skip
    with Store(tmp_db) as store:
        store.con.register("e", ev.to_arrow().cast(schema.STORED_EVENTS))
        store.con.execute("INSERT INTO events SELECT * FROM e")
    return ev["event_id"][0]


def _reasons(db: str, event_id: str) -> list[dict[str, Any]]:
    with Store(db, read_only=True) as store:
        rows = store.query("SELECT reasons FROM scores WHERE event_id = ?", [event_id]).to_pylist()
    return json.loads(rows[0]["reasons"]) if rows else []


def test_add_show_remove_round_trip_rescoring_each_time(tmp_path):
    db = str(tmp_path / "a.duckdb")
    eid = _encounter_in(db, 120.5, 30.5)  # inside SQUARE, outside every built-in area
    runner = CliRunner()
    src = write(tmp_path, feature(name="box", weight=0.6, source="analyst note"))
    res = runner.invoke(app, ["areas", "add", str(src), "--db", db])
    assert res.exit_code == 0, res.output
    assert "Added area box" in res.output and "1 lie in an area of interest" in res.output
    (r,) = [x for x in _reasons(db, eid) if x["factor"] == "area_of_interest"]
    assert r["detail"]["areas"] == ["box"] and r["points"] == pytest.approx(25 * 0.6)

    shown = json.loads(runner.invoke(app, ["areas", "show", "--db", db, "--format", "json"]).output)
    assert {(a["name"], a["origin"]) for a in shown} >= {
        ("box", "user"),
        ("taiwan_strait_north", "builtin"),
    }
    # what show writes as GeoJSON, add reads back
    gj = runner.invoke(app, ["areas", "show", "--db", db, "--format", "geojson"]).output
    again = write(tmp_path, gj, "all.geojson")
    assert len(read_areas(again)) == len(shown)

    # re-adding under the same name replaces
    moved = write(
        tmp_path, feature([[[10, 10], [11, 10], [11, 11], [10, 10]]], name="box"), "b.geojson"
    )
    assert runner.invoke(app, ["areas", "add", str(moved), "--db", db, "-q"]).exit_code == 0
    assert _reasons(db, eid) == []
    assert runner.invoke(app, ["areas", "remove", "box", "--db", db]).exit_code == 0
    names = [
        a["name"]
        for a in json.loads(
            runner.invoke(app, ["areas", "show", "--db", db, "--format", "json"]).output
        )
    ]
    assert "box" not in names


def test_remove_refuses_builtin_and_unknown_areas(tmp_path):
    db = str(tmp_path / "a.duckdb")
    runner = CliRunner()
    res = runner.invoke(app, ["areas", "remove", "taiwan_strait_north", "--db", db])
    assert isinstance(res.exception, UsageError) and "builtin_areas = false" in str(res.exception)
    res = runner.invoke(app, ["areas", "remove", "nowhere", "--db", db])
    assert isinstance(res.exception, UsageError) and "No user area named 'nowhere'" in str(
        res.exception
    )


def test_a_user_area_replaces_the_builtin_of_that_name(tmp_path):
    db = str(tmp_path / "a.duckdb")
    eid = _encounter_in(db, 123.06, 27.90)  # in the built-in East China Sea area
    runner = CliRunner()
    assert (
        runner.invoke(
            app, ["areas", "add", str(write(tmp_path, feature(name="x"))), "--db", db]
        ).exit_code
        == 0
    )
    assert [x["factor"] for x in _reasons(db, eid)] == ["area_of_interest"]
    elsewhere = write(tmp_path, feature(name="east_china_sea_off_shanghai"), "ecs.geojson")
    assert runner.invoke(app, ["areas", "add", str(elsewhere), "--db", db]).exit_code == 0
    assert _reasons(db, eid) == []  # the redrawn area no longer covers the encounter


def test_bad_file_through_the_command_names_the_problem(tmp_path):
    bad = write(tmp_path, {"type": "Point", "coordinates": [1, 2]})
    res = CliRunner().invoke(app, ["areas", "add", str(bad), "--db", str(tmp_path / "a.duckdb")])
    assert isinstance(res.exception, InputError) and "is a Point" in str(res.exception)
    res = CliRunner().invoke(
        app, ["areas", "show", "--format", "xml", "--db", str(tmp_path / "a.duckdb")]
    )
    assert isinstance(res.exception, UsageError)
