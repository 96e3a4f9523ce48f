"""stswatch export: files that validate against the published schemas (OGC KML 2.2 and its
gx extension, GeoJSON JSON Schema; see tests/schemas/README.md) and hold exactly the stored
coordinates and times; CSV and Parquet that re-ingest.

Hand-made tracks: PACIFIC crosses the antimeridian east of Fiji (179.8 E to 179.7 W, so its
line must be cut there without inventing a vertex); COAST sails along the Chinese coast;
LONE has a single report. Real events come from the GFW sample of MMSI 416000000.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import polars as pl
import pytest
from lxml import etree
from typer.testing import CliRunner

from stswatch import schema
from stswatch.cli import app, data, detect  # noqa: F401  (register the commands)
from stswatch.errors import UsageError
from stswatch.store import Store

SCHEMAS = Path(__file__).parent / "schemas"
KML = "{http://www.opengis.net/kml/2.2}"
GX = "{http://www.google.com/kml/ext/2.2}"
T0 = datetime(2024, 5, 1, tzinfo=UTC)
PACIFIC, COAST, LONE = 520000001, 413000002, 636000003

runner = CliRunner()


def _positions() -> list[dict]:
    base = {f.name: None for f in schema.POSITION_FIELDS}
    rows = []
    # PACIFIC: eastward at about 12 kn, crossing 180 between the 4th and 5th report
    for i, lon in enumerate([179.80, 179.85, 179.90, 179.95, -179.99, -179.94, -179.89, -179.84]):
        rows.append({"mmsi": PACIFIC, "ts": T0 + timedelta(minutes=15 * i), "lon": lon, "lat": -17.5 + 0.001 * i, "sog": 12.1})  # fmt: skip
    # COAST: north along the coast of Zhejiang, reports every 10 minutes, one without SOG
    for i in range(12):
        sog = None if i == 5 else 9.5
        rows.append({"mmsi": COAST, "ts": T0 + timedelta(minutes=10 * i, seconds=7), "lon": 122.4 + 0.0021 * i, "lat": 29.9 + 0.0253 * i, "sog": sog, "cog": 4.0, "heading": 5})  # fmt: skip
    rows.append({"mmsi": LONE, "ts": T0 + timedelta(hours=3), "lon": 4.402771, "lat": 51.234567, "sog": 0.0, "nav_status": 5})  # fmt: skip
    return [
        {**base, "msg_type": 1, "source": "handmade", "batch_id": "b-export", **r} for r in rows
    ]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("export") / "x.duckdb"
    with Store(path) as store:
        store.add_positions(pl.DataFrame(_positions()).to_arrow().cast(schema.POSITIONS))
        sbase = {f.name: None for f in schema.STATIC_FIELDS}
        statics = [{**sbase, "mmsi": COAST, "ts": T0, "name": "ZHE HAI 3", "imo": 9074729, "source": "handmade", "batch_id": "b-export"}]  # fmt: skip
        store.add_statics(pl.DataFrame(statics).to_arrow().cast(schema.STATICS))
        events = [
            {"event_id": "ev-point", "type": "loitering", "subtype": None, "mmsi": COAST, "other_mmsi": None, "start": T0, "end": T0 + timedelta(hours=2), "lon": 122.41, "lat": 29.95, "duration_h": 2.0, "evidence": json.dumps({"n_reports": 12, "max_speed_kn": 9.5, "nested": {"a": [1, 2]}}), "run_id": "r1"},
            {"event_id": "ev-nowhere", "type": "identity_change", "subtype": "imo_check_digit", "mmsi": PACIFIC, "other_mmsi": None, "start": T0, "end": T0, "lon": None, "lat": None, "duration_h": 0.0, "evidence": "{}", "run_id": "r1"},
        ]  # fmt: skip
        store.con.register("ev", pl.DataFrame(events).to_arrow().cast(schema.STORED_EVENTS))
        store.con.execute("INSERT INTO events SELECT * FROM ev")
    return path


def stored(db: Path) -> pl.DataFrame:
    with Store(db, read_only=True) as store:
        df = pl.from_arrow(store.query("SELECT * FROM positions ORDER BY mmsi, ts"))
    assert isinstance(df, pl.DataFrame)
    return df


def export(db: Path, out: Path, *args: str) -> Path:
    r = runner.invoke(app, ["export", "--db", str(db), "--out", str(out), *args])
    assert r.exit_code == 0, r.output
    return out


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def validate_geojson(doc: dict) -> None:
    schema_doc = json.loads((SCHEMAS / "FeatureCollection.json").read_text())
    jsonschema.Draft7Validator(schema_doc).validate(doc)
    jsonschema.Draft7Validator(json.loads((SCHEMAS / "GeoJSON.json").read_text())).validate(doc)


def validate_kml(path: Path, gx: bool = False) -> etree._ElementTree:
    parser = etree.XMLParser(no_network=True, huge_tree=True)
    xsd = etree.XMLSchema(
        etree.parse(str(SCHEMAS / ("kml22gx.xsd" if gx else "ogckml22.xsd")), parser)
    )
    doc = etree.parse(str(path), parser)
    assert xsd.validate(doc), xsd.error_log
    return doc


def _coords(text: str) -> list[list[float]]:
    return [[float(v) for v in c.split(",")] for c in text.split()]


def test_geojson_lines_hold_the_stored_coordinates_cut_at_the_antimeridian(db, tmp_path):
    doc = json.loads(
        export(db, tmp_path / "p.geojson", "--what", "positions", "--format", "geojson").read_text()
    )
    validate_geojson(doc)
    pos = stored(db)
    feats = {f["properties"]["mmsi"]: f for f in doc["features"]}
    assert set(feats) == {PACIFIC, COAST, LONE}
    for mmsi, f in feats.items():
        mine = pos.filter(pl.col("mmsi") == mmsi)
        g = f["geometry"]
        flat = {
            "Point": lambda c: [c],
            "LineString": lambda c: c,
            "MultiLineString": lambda c: [p for part in c for p in part],
        }[g["type"]](g["coordinates"])
        assert flat == [[x, y] for x, y in zip(mine["lon"], mine["lat"], strict=True)]
        assert f["properties"]["times"] == [iso(t) for t in mine["ts"]]
    assert feats[PACIFIC]["geometry"]["type"] == "MultiLineString"  # cut at 180, 4 + 4
    assert [len(p) for p in feats[PACIFIC]["geometry"]["coordinates"]] == [4, 4]
    assert feats[COAST]["geometry"]["type"] == "LineString"
    assert feats[LONE]["geometry"] == {"type": "Point", "coordinates": [4.402771, 51.234567]}


def test_geojson_points_one_per_report_with_every_field(db, tmp_path):
    doc = json.loads(export(db, tmp_path / "p.geojson", "--what", "positions", "--format", "geojson", "--geometry", "points").read_text())  # fmt: skip
    validate_geojson(doc)
    pos = stored(db)
    assert len(doc["features"]) == pos.height
    for f, row in zip(doc["features"], pos.iter_rows(named=True), strict=True):
        assert f["geometry"]["coordinates"] == [row["lon"], row["lat"]]
        props = f["properties"]
        assert props["mmsi"] == row["mmsi"] and props["ts"] == iso(row["ts"])
        assert props["sog"] == (None if row["sog"] is None else pytest.approx(row["sog"]))
        assert props["batch_id"] == "b-export"


def test_kml_lines_validate_and_hold_the_stored_coordinates(db, tmp_path):
    doc = validate_kml(export(db, tmp_path / "p.kml", "--what", "positions", "--format", "kml"))
    pos = stored(db)
    marks = doc.findall(f".//{KML}Placemark")
    assert len(marks) == 3
    for pm in marks:
        mmsi = int(pm.findtext(f"{KML}name"))
        mine = pos.filter(pl.col("mmsi") == mmsi)
        coords = [c for el in pm.iter(f"{KML}coordinates") for c in _coords(el.text)]
        assert coords == [[x, y] for x, y in zip(mine["lon"], mine["lat"], strict=True)]
        assert pm.findtext(f"{KML}TimeSpan/{KML}begin") == iso(mine["ts"][0])
        assert pm.findtext(f"{KML}TimeSpan/{KML}end") == iso(mine["ts"][-1])
        assert pm.findtext(f"{KML}styleUrl").startswith("#v")
    pacific = next(pm for pm in marks if pm.findtext(f"{KML}name") == str(PACIFIC))
    assert len(pacific.findall(f"{KML}MultiGeometry/{KML}LineString")) == 2
    assert doc.find(f".//{KML}Style/{KML}LineStyle/{KML}color") is not None


def test_kml_gx_track_validates_and_pairs_each_time_with_its_position(db, tmp_path):
    doc = validate_kml(export(db, tmp_path / "t.kml", "--what", "positions", "--format", "kml", "--geometry", "track"), gx=True)  # fmt: skip
    pos = stored(db)
    for track in doc.iter(f"{GX}Track"):
        mmsi = int(track.getparent().findtext(f"{KML}name"))
        mine = pos.filter(pl.col("mmsi") == mmsi)
        assert [w.text for w in track.findall(f"{KML}when")] == [iso(t) for t in mine["ts"]]
        coords = [[float(v) for v in c.text.split()[:2]] for c in track.findall(f"{GX}coord")]
        assert coords == [[x, y] for x, y in zip(mine["lon"], mine["lat"], strict=True)]


def test_kml_points_have_a_timestamp_each(db, tmp_path):
    doc = validate_kml(export(db, tmp_path / "p.kml", "--what", "positions", "--format", "kml", "--geometry", "points"))  # fmt: skip
    pos = stored(db)
    marks = doc.findall(f".//{KML}Placemark")
    assert len(marks) == pos.height
    for pm, row in zip(marks, pos.iter_rows(named=True), strict=True):
        assert pm.findtext(f"{KML}TimeStamp/{KML}when") == iso(row["ts"])
        assert _coords(pm.findtext(f"{KML}Point/{KML}coordinates")) == [[row["lon"], row["lat"]]]


def test_events_geojson_and_kml(db, tmp_path):
    doc = json.loads(export(db, tmp_path / "e.geojson", "--what", "events", "--format", "geojson").read_text())  # fmt: skip
    validate_geojson(doc)
    by_id = {f["properties"]["event_id"]: f for f in doc["features"]}
    assert by_id["ev-point"]["geometry"] == {"type": "Point", "coordinates": [122.41, 29.95]}
    assert by_id["ev-point"]["properties"]["evidence"] == {"n_reports": 12, "max_speed_kn": 9.5, "nested": {"a": [1, 2]}}  # fmt: skip
    assert by_id["ev-nowhere"]["geometry"] is None
    assert set(schema.STORED_EVENTS.names) - {"lon", "lat"} <= set(by_id["ev-point"]["properties"])
    kml = validate_kml(export(db, tmp_path / "e.kml", "--what", "events", "--format", "kml"))
    marks = kml.findall(f".//{KML}Placemark")
    assert len(marks) == 2
    point = next(pm for pm in marks if pm.get("id") == "event-ev-point")
    assert point.findtext(f"{KML}TimeSpan/{KML}begin") == iso(T0)
    assert point.findtext(f"{KML}styleUrl") == "#loitering"
    values = {d.get("name"): d.findtext(f"{KML}value") for d in point.iter(f"{KML}Data")}
    assert json.loads(values["evidence"])["n_reports"] == 12


def test_vessels_as_points_at_their_last_position(db, tmp_path):
    doc = json.loads(export(db, tmp_path / "v.geojson", "--what", "vessels", "--format", "geojson").read_text())  # fmt: skip
    validate_geojson(doc)
    coast = next(f for f in doc["features"] if f["properties"]["mmsi"] == COAST)
    last = stored(db).filter(pl.col("mmsi") == COAST).tail(1)
    assert coast["geometry"]["coordinates"] == [last["lon"][0], last["lat"][0]]
    assert coast["properties"]["name"] == "ZHE HAI 3"
    validate_kml(export(db, tmp_path / "v.kml", "--what", "vessels", "--format", "kml"))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_positions_re_ingest_as_they_are(db, tmp_path, fmt):
    out = export(db, tmp_path / f"p.{fmt}", "--what", "positions", "--format", fmt)
    db2 = tmp_path / "again.duckdb"
    # a CSV row's source is the ingest's --source (the Parquet reader keeps the column)
    source = ["--source", "handmade"] if fmt == "csv" else []
    r = runner.invoke(app, ["ingest", str(out), "--db", str(db2), "-q", *source])
    assert r.exit_code == 0, r.output
    cols = ["mmsi", "ts", "lon", "lat", "sog", "cog", "heading", "nav_status", "msg_type", "source"]
    assert stored(db2).select(cols).equals(stored(db).select(cols))


def test_real_events_validate(samples, tmp_path):
    db = tmp_path / "gfw.duckdb"
    for args in (["ingest", str(samples / "416000000.json"), "-q"], ["detect", "-q"]):
        assert runner.invoke(app, [*args, "--db", str(db)]).exit_code == 0
    doc = json.loads(export(db, tmp_path / "e.geojson", "--what", "events", "--format", "geojson").read_text())  # fmt: skip
    validate_geojson(doc)
    with Store(db, read_only=True) as store:
        n, = store.con.execute("SELECT count(*) FROM events").fetchone()  # fmt: skip
    assert len(doc["features"]) == n > 0
    assert all(isinstance(f["properties"]["evidence"], dict) for f in doc["features"])
    assert len(validate_kml(export(db, tmp_path / "e.kml", "--what", "events", "--format", "kml")).findall(f".//{KML}Placemark")) == n  # fmt: skip
    validate_kml(export(db, tmp_path / "t.kml", "--what", "positions", "--format", "kml", "--geometry", "track"), gx=True)  # fmt: skip


def _refused(*args: str) -> str:
    """The message of the UsageError (exit status 2 from the command line) that args raise."""
    r = runner.invoke(app, ["export", *args])
    assert isinstance(r.exception, UsageError) and r.exception.exit_code == 2, r.output
    return str(r.exception)


def test_what_has_no_position_is_a_usage_error_with_a_hint(db, tmp_path):
    out = ["--db", str(db), "--out", str(tmp_path / "x")]
    assert "Hint: use --format csv" in _refused(*out, "--what", "statics", "--format", "kml")
    assert "events, positions, vessels, statics, rejects" in _refused(*out, "--what", "ships")
    assert "gx:Track" in _refused(*out, "--what", "events", "--format", "geojson", "--geometry", "track")  # fmt: skip
    assert "geojson, kml, csv, parquet" in _refused(*out, "--format", "shp")
