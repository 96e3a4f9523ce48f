"""The clean stage turns AIS sentinels into nulls and rejects what cannot be used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from stswatch.clean import clean_positions, clean_statics
from stswatch.ingest.base import POSITION_CANDIDATES, STATIC_CANDIDATES, ReadOptions

NOW = datetime(2026, 1, 1, tzinfo=UTC)
OPTS = ReadOptions(file="f.nmea", source="t", batch_id="b", now=NOW)


def cands(schema: pa.Schema, rows: list[dict]) -> pa.Table:
    base = {f.name: None for f in schema}
    base.update(source="t", batch_id="b")
    return pa.Table.from_pylist(
        [{**base, "line_no": i + 1, "raw": f"line {i + 1}", **r} for i, r in enumerate(rows)],
        schema=schema,
    )


def test_position_rules():
    t = NOW - timedelta(days=1)
    rows = [
        {"mmsi": 366000001, "ts": t, "lon": 1.0, "lat": 2.0, "sog": 102.3, "cog": 360.0, "heading": 511, "nav_status": 15},
        {"mmsi": 12345678, "ts": t, "lon": 1.0, "lat": 2.0},  # eight digits
        {"mmsi": 366000001, "ts": t, "lon": 181.0, "lat": 91.0},
        {"mmsi": 366000001, "ts": t, "lon": 200.0, "lat": 2.0},
        {"mmsi": 366000001, "ts": NOW + timedelta(days=2), "lon": 1.0, "lat": 2.0},
        {"mmsi": 366000001, "ts": None, "lon": 1.0, "lat": 2.0},
    ]  # fmt: skip
    kept, rejects = clean_positions(cands(POSITION_CANDIDATES, rows), OPTS)
    assert kept.num_rows == 1
    row = kept.to_pylist()[0]
    assert (row["sog"], row["cog"], row["heading"], row["nav_status"]) == (None, None, None, None)
    got = {(r["line_no"], r["reason"]) for r in rejects.to_pylist()}
    assert got == {
        (2, "invalid_mmsi"),
        (3, "position_unavailable"),
        (4, "position_out_of_range"),
        (5, "future_time"),
        (6, "no_time"),
    }
    assert all(r["raw"].startswith("line ") and r["file"] == "f.nmea" for r in rejects.to_pylist())


def test_static_rules():
    t = NOW - timedelta(days=1)
    rows = [
        {"mmsi": 636015565, "ts": t, "imo": 0, "name": "VIKTOR BAKAEV@@@@", "callsign": " ", "ship_type": 0,
         "to_bow": 100, "to_stern": 50, "to_port": 0, "to_starboard": 0, "draught_m": 0.0},
        {"mmsi": 99, "ts": t, "name": "X"},
    ]  # fmt: skip
    kept, rejects = clean_statics(cands(STATIC_CANDIDATES, rows), OPTS)
    r = kept.to_pylist()[0]
    assert r["name"] == "VIKTOR BAKAEV" and r["callsign"] is None and r["imo"] is None
    assert r["ship_type"] is None and r["draught_m"] is None
    assert r["length_m"] == 150.0 and r["width_m"] is None
    assert rejects.column("reason").to_pylist() == ["invalid_mmsi"]
