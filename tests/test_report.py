"""Evidence reports: a real spoofing event from a real GFW sample, and a hand-made encounter.

The hand-made encounter is a plain scenario a domain expert can check: in the East China
Sea about 250 km off Shanghai, the tanker DONG HAI 7 (MMSI 412000001, China) comes from the
west at 10 knots, the tanker OCEAN GLORY (MMSI 636000002, Liberia, on a test sanctions
list) from the south; both stop 150 m apart from 10:00 to 16:00 UTC and then leave. The
rows are written straight into a temporary store with the schema (positions, statics, the
event, its run, the ingest, a list and a match, a score).
"""

from __future__ import annotations

import base64
import io
import json
import math
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from lxml import html as lxml_html
from PIL import Image
from typer.testing import CliRunner

from stswatch import schema
from stswatch.cli import app, data, detect, report  # noqa: F401  (register the commands)
from stswatch.report import gather, render_html
from stswatch.report.charts import pair_distance
from stswatch.report.maps import VESSEL_COLORS
from stswatch.store import Store

runner = CliRunner()

A, B = 412000001, 636000002
DAY = datetime(2024, 3, 1, tzinfo=UTC)
START, END = DAY.replace(hour=10), DAY.replace(hour=16)  # encounter starts / ends
MEET_LON, MEET_LAT = 124.30, 31.05
M_PER_DEG_LAT = 111_195.0
EVENT_ID = "e0c0ffee12345678"
RUN_ID = "run000000001"
BATCH = "handmadebatch001"


def _m_to_deg_lon(m: float, lat: float) -> float:
    return m / (M_PER_DEG_LAT * math.cos(math.radians(lat)))


def _leg(t0: datetime, t1: datetime, step_min: int, p0: tuple[float, float], p1: tuple[float, float], sog: float) -> list[dict]:  # fmt: skip
    """Reports every ``step_min`` from t0 (included) to t1 (excluded) along a straight line."""
    n = int((t1 - t0).total_seconds() // (step_min * 60))
    return [
        {
            "ts": t0 + timedelta(minutes=step_min * i),
            "lon": p0[0] + (p1[0] - p0[0]) * i / n,
            "lat": p0[1] + (p1[1] - p0[1]) * i / n,
            "sog": sog,
        }
        for i in range(n)
    ]


def scenario_positions() -> list[dict]:
    meet_a = (MEET_LON, MEET_LAT)
    meet_b = (MEET_LON + _m_to_deg_lon(150.0, MEET_LAT), MEET_LAT)  # 150 m east of A
    a = (
        # 12 h at 10 kn from the west: 222 km, 2.33 degrees of longitude at 31 N
        _leg(START - timedelta(hours=12), START, 10, (MEET_LON - 2.33, MEET_LAT), meet_a, 10.0)
        # encounter starts: A drifts at 0.3 kn
        + _leg(START, END, 10, meet_a, (MEET_LON + 0.001, MEET_LAT + 0.001), 0.3)
        # encounter ends: A leaves north-east at 11 kn
        + _leg(END, END + timedelta(hours=12), 10, meet_a, (MEET_LON + 1.9, MEET_LAT + 1.6), 11.0)
    )
    b = (
        # from the south at 10 kn, then silent for three hours (dark) before the meeting
        _leg(START - timedelta(hours=12), START - timedelta(hours=4), 6, (MEET_LON + 0.05, MEET_LAT - 2.0), (meet_b[0], MEET_LAT - 0.7), 10.0)
        + _leg(START - timedelta(hours=1), START, 6, (meet_b[0], MEET_LAT - 0.15), meet_b, 9.0)
        + _leg(START, END, 6, meet_b, (meet_b[0] + 0.001, MEET_LAT + 0.001), 0.2)
        # encounter ends: B goes back south-west
        + _leg(END, END + timedelta(hours=12), 6, meet_b, (MEET_LON - 1.2, MEET_LAT - 1.8), 10.5)
    )  # fmt: skip
    base = {f.name: None for f in schema.POSITION_FIELDS}
    rows = [{**base, "mmsi": A, "msg_type": 1, **r} for r in a]
    rows += [{**base, "mmsi": B, "msg_type": 1, **r} for r in b]
    return [{**r, "source": "handmade", "batch_id": BATCH} for r in rows]


def _evidence() -> dict:
    vessel = {"class": "tanker", "ship_type": 80, "segments": 1, "draught_change_m": None}
    return {
        "start": "2024-03-01T10:00:00Z",
        "end": "2024-03-01T16:00:00Z",
        "duration_h": 6.0,
        "n_slots": 37,
        "median_distance_m": 150.1,
        "min_distance_m": 149.6,
        "max_distance_m": 500.0,
        "mean_lon": 124.3008,
        "mean_lat": 31.0505,
        "distance_to_port_m": 182345.0,
        "vessels": [
            {**vessel, "mmsi": A, "name": "DONG HAI 7", "imo": 9074729, "median_speed_kn": 0.3},
            {**vessel, "mmsi": B, "name": "OCEAN GLORY", "imo": 9321483, "median_speed_kn": 0.2},
        ],
    }


def build_store(path: Path, scored: bool = True) -> Path:
    """The hand-made encounter written into a new store (see the module docstring)."""
    with Store(path) as store:
        store.add_positions(pl.DataFrame(scenario_positions()).to_arrow().cast(schema.POSITIONS))
        sbase = {f.name: None for f in schema.STATIC_FIELDS}
        statics = [
            {**sbase, "mmsi": A, "ts": DAY - timedelta(days=30), "msg_type": 5, "imo": 9074729, "name": "DONG HAI 7", "callsign": "BQAB", "ship_type": 80, "draught_m": 7.1, "destination": "ZHOUSHAN"},
            {**sbase, "mmsi": B, "ts": DAY - timedelta(days=60), "msg_type": 5, "imo": 9321483, "name": "SEA PEARL", "callsign": "D5AB2", "ship_type": 80},
            # renamed a week before the meeting
            {**sbase, "mmsi": B, "ts": DAY - timedelta(days=7), "msg_type": 5, "imo": 9321483, "name": "OCEAN GLORY", "callsign": "D5AB2", "ship_type": 80, "draught_m": 14.2},
            {**sbase, "mmsi": B, "ts": END + timedelta(hours=2), "msg_type": 5, "imo": 9321483, "name": "OCEAN GLORY", "callsign": "D5AB2", "ship_type": 80, "draught_m": 9.8, "destination": "FOR ORDERS"},
        ]  # fmt: skip
        statics = [{**r, "source": "handmade", "batch_id": BATCH} for r in statics]
        store.add_statics(pl.DataFrame(statics).to_arrow().cast(schema.STATICS))
        event = {
            "event_id": EVENT_ID, "type": "encounter", "subtype": None, "mmsi": A,
            "other_mmsi": B, "start": START, "end": END, "lon": 124.3008, "lat": 31.0505,
            "duration_h": 6.0, "evidence": json.dumps(_evidence()), "run_id": RUN_ID,
        }  # fmt: skip
        now = DAY + timedelta(days=2)
        run = {
            "run_id": RUN_ID, "started": now, "finished": now, "stswatch_version": "0.1.0",
            "params": json.dumps({"encounter": {"max_distance_m": 500.0, "min_duration_h": 2.0}}),
            "config_source": "defaults", "since": None, "until": None, "bbox": None,
            "positions": 1000, "events": 1, "batches": json.dumps([BATCH]),
        }  # fmt: skip
        ingest = {
            "batch_id": BATCH, "file": "handmade.csv", "sha256": "ab" * 32, "size_bytes": 1234,
            "format": "csv", "source": "handmade", "started": now, "finished": now,
            "status": "complete", "error": None, "lines_read": 1, "positions_read": 1,
            "positions_added": 1, "statics_read": 0, "statics_added": 0, "rejects": 0,
            "skipped": 0, "stswatch_version": "0.1.0",
        }  # fmt: skip
        lst = {
            "name": "test-list", "format": "csv", "source_file": "test.csv", "sha256": "cd" * 32,
            "size_bytes": 10, "version": date(2024, 2, 1), "version_source": "option",
            "loaded_at": now, "entries": 1, "with_imo": 1, "with_mmsi": 0, "invalid_imo": 0,
            "stswatch_version": "0.1.0",
        }  # fmt: skip
        match = {
            "mmsi": B, "vessel_name": "OCEAN GLORY", "vessel_imo": 9321483,
            "list_name": "test-list", "list_version": date(2024, 2, 1), "list_sha256": "cd" * 32,
            "entry_id": "T-17", "entry_name": "SEA PEARL", "program": "TEST-PROGRAMME",
            "method": "imo", "vessel_value": "9321483", "entry_value": "9321483",
            "confidence": 0.99, "needs_review": False, "detail": "{}", "screened_at": now,
        }  # fmt: skip
        for table, row in (
            ("events", event),
            ("runs", run),
            ("ingests", ingest),
            ("lists", lst),
            ("matches", match),
        ):
            cols = ", ".join(f'"{c}"' for c in row)
            marks = ", ".join("?" * len(row))
            store.con.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(row.values()))
        if scored:
            reasons = [
                {"factor": "listed_party", "mmsi": B, "weight": 70.0, "strength": 0.99, "points": 69.3, "detail": "636000002 matches test-list entry T-17 by IMO", "practice": "Ship-to-ship transfers"},
                {"factor": "dark_before", "mmsi": B, "weight": 20.0, "strength": 0.75, "points": 15.0, "detail": "636000002 silent 3 h before the meeting", "practice": "Disabling or manipulating AIS"},
            ]  # fmt: skip
            row = {
                "event_id": EVENT_ID,
                "score": 72.4,
                "reasons": json.dumps(reasons),
                "computed_at": now,
            }
            store.con.execute(
                "CREATE TABLE IF NOT EXISTS scores (event_id VARCHAR, score DOUBLE, reasons VARCHAR)"
            )
            have = {
                r[0]
                for r in store.con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = 'scores'"
                ).fetchall()
            }
            row = {k: v for k, v in row.items() if k in have}
            cols, marks = ", ".join(row), ", ".join("?" * len(row))
            store.con.execute(f"INSERT INTO scores ({cols}) VALUES ({marks})", list(row.values()))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def encounter_db(tmp_path_factory) -> Path:
    return build_store(tmp_path_factory.mktemp("enc") / "enc.duckdb")


@pytest.fixture(scope="module")
def encounter_html(encounter_db, tmp_path_factory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp("enc-report") / "report.html"
    r = runner.invoke(app, ["report", EVENT_ID[:8], "--db", str(encounter_db), "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out.read_text(), out


def _img(doc, element_id: str) -> bytes:
    (img,) = doc.xpath(f"//img[@id='{element_id}']")
    src = img.get("src")
    head, _, payload = src.partition(",")
    assert head.startswith("data:image/") and head.endswith(";base64"), head
    return base64.b64decode(payload)


def _pixels_near(png: bytes, hex_color: str, tol: int = 40) -> int:
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    target = np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(rgb - target).sum(axis=2) < tol).sum())


def assert_self_contained(doc) -> None:
    for el in doc.iter():
        for attr in ("src", "href", "srcset", "poster", "data", "action"):
            value = el.get(attr) if hasattr(el, "get") else None
            if value is not None:
                assert value.startswith(("data:", "#")), f"<{el.tag} {attr}={value[:60]!r}>"
    text = lxml_html.tostring(doc, encoding="unicode")
    for style in doc.xpath("//style/text()"):
        assert "url(" not in style and "@import" not in style
    assert "http://" not in "".join(doc.xpath("//@src | //@href"))
    assert "<script" not in text and "<link" not in text


def test_encounter_report_shows_both_tracks_distance_and_identities(encounter_html):
    text, _ = encounter_html
    doc = lxml_html.fromstring(text)
    assert_self_contained(doc)
    png = _img(doc, "map")
    assert png.startswith(b"\x89PNG")
    # both tracks are drawn, each in its own colour
    assert _pixels_near(png, VESSEL_COLORS[0]) > 500
    assert _pixels_near(png, VESSEL_COLORS[1]) > 500
    # the tracks meet in a much smaller area than the window covers: a close-up is drawn
    assert _img(doc, "map-closeup").startswith(b"\x89PNG")
    distance_svg = _img(doc, "chart-distance").decode()
    assert "<svg" in distance_svg and "distance between the vessels" in distance_svg
    assert "encounter limit 500 m" in distance_svg
    assert "<svg" in _img(doc, "chart-speed").decode()
    body = doc.text_content()
    for expected in ("DONG HAI 7", "OCEAN GLORY", "SEA PEARL", "9321483", "D5AB2", "Liberia"):
        assert expected in body, expected
    # evidence values, the score with its reasons, the match with list version and method
    evidence = doc.get_element_by_id("evidence").text_content()
    assert "median_distance_m" in evidence and "150.1" in evidence and "182,345" in evidence
    score = doc.get_element_by_id("score").text_content()
    assert "72.4" in score and "listed_party" in score and "69.3" in score
    assert "Disabling or manipulating AIS" in score
    matches = doc.xpath("//div[@id='vessel-636000002']//table[contains(@class, 'matches')]")[0]
    assert "test-list" in matches.text_content() and "2024-02-01" in matches.text_content()
    assert "imo" in matches.text_content() and "0.99" in matches.text_content()
    assert "No match" in doc.get_element_by_id("vessel-412000001").text_content()
    # provenance: run, its settings, the ingest batch and the list
    prov = doc.get_element_by_id("data").text_content()
    assert RUN_ID in prov and "handmade.csv" in prov and "max_distance_m" in prov
    assert "test-list" in doc.get_element_by_id("lists").text_content()


def test_positions_table_and_csv_are_the_stored_rows(encounter_html, encounter_db):
    text, _ = encounter_html
    doc = lxml_html.fromstring(text)
    with Store(encounter_db, read_only=True) as store:
        stored = pl.from_arrow(
            store.query(
                "SELECT * FROM positions WHERE ts BETWEEN ? AND ? ORDER BY mmsi, ts",
                [START - timedelta(hours=12), END + timedelta(hours=12)],
            )
        )
    rows = doc.xpath("//table[@id='positions']/tbody/tr")
    assert len(rows) == stored.height
    assert (
        sum("in-event" in (r.get("class") or "") for r in rows)
        == stored.filter(pl.col("ts").is_between(START, END)).height
    )
    link = doc.get_element_by_id("positions-csv")
    assert link.get("download").endswith(".csv")
    csv = base64.b64decode(link.get("href").partition(",")[2])
    back = pl.read_csv(io.BytesIO(csv), try_parse_dates=True)
    assert back.height == stored.height
    assert back["lon"].to_list() == stored["lon"].to_list()
    assert back["lat"].to_list() == stored["lat"].to_list()
    assert back["ts"].dt.replace_time_zone("UTC").to_list() == stored["ts"].to_list()


def test_distance_between_the_vessels_is_150_m_during_the_encounter(encounter_db):
    with Store(encounter_db, read_only=True) as store:
        d = gather(store, EVENT_ID)
    dist = pair_distance(d.positions, A, B)
    during = dist.filter(pl.col("ts").is_between(START, END))
    assert during.height == 37  # 10:00 to 16:00 on the 10-minute grid
    assert during["distance_m"].min() > 100 and during["distance_m"].max() < 300
    before = dist.filter(pl.col("ts") < START - timedelta(hours=6))
    assert before["distance_m"].min() > 50_000


def test_unscored_event_says_not_scored(tmp_path):
    db = build_store(tmp_path / "u.duckdb", scored=False)
    with Store(db, read_only=True) as store:
        d = gather(store, EVENT_ID, window_h=1.0)
        assert d.score is None
        page = render_html(d)
    doc = lxml_html.fromstring(page)
    assert "not scored" in doc.get_element_by_id("summary").text_content()
    assert "Not scored" in doc.get_element_by_id("not-scored").text_content()


def test_unknown_event_exits_1_with_a_hint(encounter_db):
    r = subprocess.run(
        [sys.executable, "-c", "from stswatch.cli import main, report; main()", "report", "nosuchevent", "--db", str(encounter_db)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert r.returncode == 1
    assert "nosuchevent" in r.stderr and "stswatch events" in r.stderr


# --- a real event: GFW sample of the shared MMSI 416000000 ------------------------------


@pytest.fixture(scope="module")
def real_db(samples, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("gfw") / "gfw.duckdb"
    for args in (["ingest", str(samples / "416000000.json"), "-q"], ["detect", "-q"]):
        r = runner.invoke(app, [*args, "--db", str(db)])
        assert r.exit_code == 0, r.output
    return db


def _impossible_speed_event(db: Path) -> dict:
    r = runner.invoke(app, ["events", "--db", str(db), "--type", "spoofing", "--format", "json"])
    events = [e for e in json.loads(r.stdout) if e["subtype"] == "impossible_speed"]
    assert events, "the shared MMSI 416000000 makes impossible jumps"
    return events[0]


def test_report_of_a_real_spoofing_event(real_db, tmp_path):
    event = _impossible_speed_event(real_db)
    out = tmp_path / "spoof.html"
    r = runner.invoke(app, ["report", event["event_id"], "--db", str(real_db), "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc = lxml_html.fromstring(out.read_text())
    assert_self_contained(doc)
    assert _pixels_near(_img(doc, "map"), VESSEL_COLORS[0]) > 50
    assert b"<svg" in _img(doc, "chart-distance") and b"<svg" in _img(doc, "chart-speed")
    assert "implied by consecutive reports" in _img(doc, "chart-speed").decode()
    body = doc.text_content()
    assert "416000000" in body and "Taiwan" in body  # flag from MID 416
    evidence = doc.get_element_by_id("evidence").text_content()
    jump = event["evidence"]["jumps"][0]
    assert f"{jump['implied_speed_kn']:,}" in evidence and jump["from_seg"] in evidence
    assert "416000000.json" in doc.get_element_by_id("ingests").text_content()
    assert event["run_id"] in doc.get_element_by_id("provenance").text_content()


def test_pdf_report_of_a_real_event_has_a_non_blank_first_page(real_db, tmp_path):
    event = _impossible_speed_event(real_db)
    out = tmp_path / "spoof.pdf"
    r = runner.invoke(app, ["report", event["event_id"], "--db", str(real_db), "--format", "pdf", "--out", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"%PDF")
    # the positions CSV travels inside the PDF as an attachment
    listed = subprocess.run(["pdfdetach", "-list", str(out)], capture_output=True, text=True, check=True)  # fmt: skip
    assert f"stswatch-event-{event['event_id']}-positions.csv" in listed.stdout
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "40", "-png", str(out), str(tmp_path / "page")], check=True)  # fmt: skip
    (page,) = tmp_path.glob("page*.png")
    gray = np.asarray(Image.open(page).convert("L"))
    assert gray.shape[0] > gray.shape[1]  # A4 portrait
    assert (gray < 235).mean() > 0.08  # text, the map: a real share of the page is not white
