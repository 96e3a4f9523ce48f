"""Tabular readers (MarineCadastre, DMA, generic CSV, JSON lines) on real data.

Expected numbers are counted independently in each test with Python's csv / json / sqlite3
modules, never copied from the reader's own output.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import shutil
import sqlite3
import struct
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stswatch.errors import InputError, UsageError
from stswatch.ingest import csv as csv_reader
from stswatch.ingest import dma, ingest_paths, jsonl, marinecadastre, sniff_format, tabular
from stswatch.ingest.base import Reader, ReadOptions
from stswatch.ingest.stream import Input
from stswatch.store import Store

NOW = datetime(2026, 1, 1, tzinfo=UTC)
MC_NAME = "AIS_2022_01_03_first99999.csv.gz"
AISDB_MAP = {
    "mmsi": "MMSI", "ts": "Time", "lon": "Longitude", "lat": "Latitude", "sog": "SOG",
    "cog": "COG", "heading": "Heading", "msg_type": "Message_ID", "name": "Vessel_Name",
    "imo": "IMO", "callsign": "Call_sign", "ship_type": "Ship_Type",
}  # fmt: skip


# --- helpers ------------------------------------------------------------------------------


@dataclass
class Read:
    positions: pa.Table
    statics: pa.Table
    rejects: pa.Table
    lines: int
    skipped: Counter[str] = field(default_factory=Counter)

    def reasons(self) -> dict[int, str]:
        return dict(
            zip(
                self.rejects.column("line_no").to_pylist(),
                self.rejects.column("reason").to_pylist(),
                strict=True,
            )
        )


def read_all(read: Reader, data: bytes, name: str = "input.csv", **kw: Any) -> Read:
    opts = ReadOptions(file=name, source="test", batch_id="b", now=NOW, **kw)
    chunks = list(read(cast(io.RawIOBase, io.BytesIO(data)), opts))
    skipped: Counter[str] = Counter()
    for c in chunks:
        skipped.update(c.skipped)
    return Read(
        pa.concat_tables([c.positions for c in chunks]),
        pa.concat_tables([c.statics for c in chunks]),
        pa.concat_tables([c.rejects for c in chunks]),
        sum(c.lines for c in chunks),
        skipped,
    )


def csv_rows(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def accounted(r: Read) -> set[int]:
    """Line numbers that became a position candidate, a static candidate or a reject."""
    return (
        set(r.positions.column("line_no").to_pylist())
        | set(r.statics.column("line_no").to_pylist())
        | set(r.rejects.column("line_no").to_pylist())
    )


def is_valid_mmsi(text: str) -> bool:
    return text.strip().isdigit() and 100_000_000 <= int(text) <= 999_999_999


def num(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


@pytest.fixture(scope="module")
def mc_text(shared: Path) -> str:
    return gzip.decompress(
        (shared / "marinecadastre-vesselsummaryais" / MC_NAME).read_bytes()
    ).decode()


# --- MarineCadastre -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def mc_read(mc_text: str) -> Read:
    mp = pytest.MonkeyPatch()
    mp.setattr(tabular, "BLOCK_BYTES", 64 << 20)  # one block: the whole file
    try:
        return read_all(marinecadastre.read, mc_text.encode(), MC_NAME)
    finally:
        mp.undo()


def test_marinecadastre_sample_rows_and_accounting(mc_text: str, mc_read: Read) -> None:
    header, rows = csv_rows(mc_text)
    assert len(rows) == 99_999
    assert len({r[0] for r in rows}) == 10_631
    # Every row has a position; an independent check that every number and time parses.
    bad = 0
    for r in rows:
        try:
            datetime.fromisoformat(r[1])
            for i in (0, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14):
                num(r[i])
        except ValueError:
            bad += 1
    assert mc_read.lines == len(rows)
    assert mc_read.rejects.num_rows == bad == 0
    assert mc_read.positions.num_rows == len(rows)
    assert accounted(mc_read) == set(range(2, len(rows) + 2))
    lines = mc_text.splitlines()
    first = mc_read.positions.slice(0, 1).to_pylist()[0]
    assert first["raw"] == lines[first["line_no"] - 1]
    assert first["ts"] == datetime.fromisoformat(rows[0][1]).replace(tzinfo=UTC)


def _mc_identity(r: list[str]) -> tuple[object, ...]:
    imo = r[8].strip().removeprefix("IMO")
    return (
        int(imo) if imo else None,
        r[7].strip() or None,
        r[9].strip() or None,
        int(float(r[10])) if r[10].strip() else None,
        num(r[12]),
        num(r[13]),
        num(r[14]),
    )


def static_history(
    records: list[tuple[int, str, str, tuple[object, ...], bool]],
) -> list[tuple[str, str, tuple[object, ...]]]:
    """Expected static candidates of one block, from (line_no, mmsi, time, identity, no_position).

    A row with any identity value (text, or a number > 0) is a candidate when its identity
    differs from the previous such row of the same MMSI in time order, or from the next one
    (the last row of an identity), when it falls in a later clock hour than the previous row
    (identity repeated hourly), or it has no position.
    """
    with_identity = sorted(
        (r for r in records if any(v for v in r[3])),
        key=lambda r: (not r[1], int(r[1] or 0), r[2], r[0]),
    )
    out = []
    for i, (_, mmsi, ts, ident, no_position) in enumerate(with_identity):
        before = with_identity[i - 1] if i else None
        after = with_identity[i + 1] if i + 1 < len(with_identity) else None
        first_of_hour = before is None or before[1] != mmsi or before[2][:13] != ts[:13]
        new_identity = before is None or (before[1], before[3]) != (mmsi, ident)
        last_of_identity = after is not None and after[1] == mmsi and after[3] != ident
        if first_of_hour or new_identity or last_of_identity or no_position:
            out.append((mmsi, ts, ident))
    return out


def _mc_history(rows: list[list[str]]) -> list[tuple[str, str, tuple[object, ...]]]:
    return static_history(
        [(n, r[0], r[1], _mc_identity(r), False) for n, r in enumerate(rows, start=2)]
    )


def test_marinecadastre_statics_keep_identity_history(mc_text: str, mc_read: Read) -> None:
    _, rows = csv_rows(mc_text)
    assert mc_read.statics.num_rows == len(_mc_history(rows))
    bakaev = mc_read.statics.filter(pc.equal(mc_read.statics["mmsi"], 636015565))
    assert set(zip(bakaev["imo"].to_pylist(), bakaev["name"].to_pylist(), strict=True)) == {
        (9610810, "VIKTOR BAKAEV")
    }


def test_marinecadastre_through_ingest(
    tmp_path: Path, samples: Path, mc_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tabular, "BLOCK_BYTES", 64 << 20)  # one block, as static_history
    _, rows = csv_rows(mc_text)
    valid = [r for r in rows if is_valid_mmsi(r[0])]

    def key(r: list[str]) -> tuple[object, ...]:  # the store's duplicate key, after cleaning
        heading = int(float(r[6])) if r[6] else None
        sog, cog = num(r[4]), num(r[5])
        return (
            int(r[0]),
            r[1],
            float(r[3]),
            float(r[2]),
            None if sog is None or sog >= 102.25 else sog,
            None if cog is None or cog >= 360 else cog,
            None if heading is None or heading >= 360 else heading,
            None if not r[11] or int(float(r[11])) == 15 else int(float(r[11])),
        )

    def cleaned(ident: tuple[object, ...]) -> tuple[object, ...]:  # 0 means "not available"
        return tuple(None if v == 0 else v for v in ident)

    history = _mc_history(rows)
    valid_statics = [h for h in history if is_valid_mmsi(h[0])]
    with Store(tmp_path / "s.duckdb") as store:
        (res,) = ingest_paths(store, [str(samples / MC_NAME)])
        assert (res.format, res.status, res.lines) == ("marinecadastre", "complete", len(rows))
        assert (res.positions_read, res.statics_read) == (len(rows), len(history))
        assert res.positions_added == len({key(r) for r in valid})
        assert res.statics_added == len({(m, t, cleaned(i)) for m, t, i in valid_statics})
        assert res.rejects == {
            "invalid_mmsi": (len(rows) - len(valid)) + (len(history) - len(valid_statics))
        }
        stored = store.query("SELECT count(*) AS n, count(DISTINCT mmsi) AS v FROM positions")
        assert stored["n"][0].as_py() == res.positions_added
        assert stored["v"][0].as_py() == len({r[0] for r in valid})
        by_reason = store.query("SELECT reason, count(*) AS n FROM rejects GROUP BY reason")
        assert dict(zip(*by_reason.to_pydict().values(), strict=True)) == res.rejects
        imo = store.query("SELECT DISTINCT imo, name FROM statics WHERE mmsi = 636015565")
        assert imo.to_pylist() == [{"imo": 9610810, "name": "VIKTOR BAKAEV"}]


def test_marinecadastre_2023_variant(shared: Path) -> None:
    path = shared / "aisdb" / "test_data_noaa_20230101.csv"
    header, rows = csv_rows(path.read_text())
    assert len(rows) == 1000 and header[6] == "Heading"
    r = read_all(marinecadastre.read, path.read_bytes())
    assert (r.lines, r.positions.num_rows, r.rejects.num_rows) == (1000, 1000, 0)
    by_line = {p["line_no"]: p for p in r.positions.to_pylist()}
    for line_no, row in enumerate(rows, start=2):
        p = by_line[line_no]
        assert p["heading"] == (int(float(row[6])) if row[6] else None)
        assert p["nav_status"] == (int(float(row[11])) if row[11] else None)
    with_imo = {
        int(row[0]): int(row[8][3:]) for row in rows if row[8].startswith("IMO") and int(row[8][3:])
    }
    statics = {s["mmsi"]: s["imo"] for s in r.statics.to_pylist() if s["imo"]}
    assert statics == with_imo
    assert statics[636021061] == 9307839


def test_block_boundaries_change_nothing(shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = (shared / "aisdb" / "test_data_noaa_20230101.csv").read_bytes()
    whole = read_all(marinecadastre.read, data)
    monkeypatch.setattr(tabular, "BLOCK_BYTES", 4096)  # about 35 blocks, header kept for each
    small = read_all(marinecadastre.read, data)
    assert small.lines == whole.lines == 1000
    assert small.rejects.num_rows == 0
    assert small.positions.sort_by("line_no").equals(whole.positions.sort_by("line_no"))


# --- generic CSV with --map -------------------------------------------------------------


def test_aisdb_vendor_csv_with_map(shared: Path, tmp_path: Path) -> None:
    path = shared / "aisdb" / "test_data_20210701.csv"
    header, rows = csv_rows(path.read_text())
    col = {name: header.index(name) for name in AISDB_MAP.values()}

    def identity(r: list[str]) -> tuple[object, ...]:
        imo, ship_type = num(r[col["IMO"]]), num(r[col["Ship_Type"]])
        return (
            int(imo) if imo is not None else None,
            r[col["Vessel_Name"]].strip() or None,
            r[col["Call_sign"]].strip() or None,
            int(ship_type) if ship_type is not None else None,
        )

    def no_position(r: list[str]) -> bool:
        return not r[col["Latitude"]].strip() and not r[col["Longitude"]].strip()

    static_only = sum(1 for r in rows if no_position(r) and any(v for v in identity(r)))
    history = static_history(
        [
            (n, r[col["MMSI"]], r[col["Time"]], identity(r), no_position(r))
            for n, r in enumerate(rows, start=2)
        ]
    )
    r = read_all(csv_reader.read, path.read_bytes(), column_map=AISDB_MAP)
    assert r.lines == len(rows) == 2498
    assert r.rejects.num_rows == 0
    assert r.positions.num_rows == len(rows) - static_only
    assert r.statics.num_rows == len(history)
    assert accounted(r) == set(range(2, len(rows) + 2))
    first = r.positions.slice(0, 1).to_pylist()[0]
    assert rows[0][col["Time"]] == "20210701_185151"
    assert first["ts"] == datetime(2021, 7, 1, 18, 51, 51, tzinfo=UTC)
    explicit = read_all(
        csv_reader.read, path.read_bytes(), column_map=AISDB_MAP, time_format="%Y%m%d_%H%M%S"
    )
    assert explicit.positions.column("ts").equals(r.positions.column("ts"))

    # Through ingest_paths: the clean stage's verdicts, counted independently.
    expected: Counter[str] = Counter(
        invalid_mmsi=sum(1 for h in history if not is_valid_mmsi(h[0]))
    )
    for row in rows:
        lat, lon = row[col["Latitude"]], row[col["Longitude"]]
        if no_position(row) and any(v for v in identity(row)):
            continue
        if not is_valid_mmsi(row[col["MMSI"]]):
            expected["invalid_mmsi"] += 1
        elif not lat or not lon or float(lat) == 91 or float(lon) == 181:
            expected["position_unavailable"] += 1
        elif abs(float(lat)) > 90 or abs(float(lon)) > 180:
            expected["position_out_of_range"] += 1
    with Store(tmp_path / "s.duckdb") as store:
        (res,) = ingest_paths(store, [str(path)], column_map=AISDB_MAP)
    assert (res.format, res.status) == ("csv", "complete")
    assert res.rejects == {k: v for k, v in expected.items() if v}


def test_generic_csv_without_mapping_names_columns_and_hints(shared: Path, tmp_path: Path) -> None:
    path = shared / "aisdb" / "test_data_20210701.csv"
    with Store(tmp_path / "s.duckdb") as store:
        (res,) = ingest_paths(store, [str(path)])
    assert res.status == "failed"
    assert res.error is not None
    assert "test_data_20210701.csv" in res.error
    assert "(found: MMSI, Message_ID, Repeat_indicator, Time" in res.error
    # MMSI names itself (any case); the others are suggested from likely column names
    assert "Hint: pass --map ts=Time,lon=Longitude,lat=Latitude." in res.error
    with pytest.raises(InputError, match=r"has no column 'Lat' \(found: MMSI, Message_ID"):
        read_all(csv_reader.read, path.read_bytes(), column_map={**AISDB_MAP, "lat": "Lat"})
    with pytest.raises(UsageError, match="'speed'.*Hint"):
        read_all(csv_reader.read, path.read_bytes(), column_map={"speed": "SOG"})
    with pytest.raises(UsageError, match="--time-format"):
        read_all(csv_reader.read, path.read_bytes(), column_map=AISDB_MAP, time_format="%Q")


def test_one_map_and_time_format_serve_a_mixed_ingest(
    shared: Path, samples: Path, tmp_path: Path
) -> None:
    paths = [
        shared / "aisdb" / "test_data_20210701.csv",
        samples / "dma_gothenburg_2017-07-05.csv",
        samples / "263576000.json",
        shared / "aisdb" / "test_data_noaa_20230101.csv",
    ]
    with Store(tmp_path / "s.duckdb") as store:
        results = ingest_paths(
            store,
            [str(p) for p in paths],
            column_map={"ts": "Time", "lon": "Longitude", "lat": "Latitude"},
            time_format="%Y%m%d_%H%M%S",
        )
    assert [(r.format, r.status) for r in results] == [
        ("csv", "complete"),
        ("dma", "complete"),
        ("jsonl", "complete"),
        ("marinecadastre", "complete"),
    ]
    assert [r.lines for r in results] == [2498, 255, 948, 1000]
    assert all("bad_time" not in r.rejects for r in results)


def test_missing_required_column_is_an_input_error(mc_text: str) -> None:
    head = "\n".join(mc_text.splitlines()[:5]).replace("MMSI,BaseDateTime,LAT,", "MMSI,When,LAT,")
    with pytest.raises(
        InputError, match=r"x.csv has no timestamp column \(found: MMSI, When, LAT, LON.*Hint"
    ):
        read_all(marinecadastre.read, head.encode(), "x.csv")
    with pytest.raises(InputError, match="empty"):
        read_all(marinecadastre.read, b"", "x.csv")


# --- broken rows ---------------------------------------------------------------------------


def test_broken_rows_are_rejected_with_line_numbers(mc_text: str, tmp_path: Path) -> None:
    lines = mc_text.splitlines()[:61]  # header + 60 real rows
    edits: dict[int, tuple[str, str]] = {}  # line number -> (reason, detail fragment)

    def edit(line_no: int, i: int, value: str | None, reason: str, detail: str) -> None:
        fields = next(csv.reader([lines[line_no - 1]]))
        if value is None:
            fields = fields[:i]  # drop the fields from i on
        else:
            fields[i] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(fields)
        lines[line_no - 1] = out.getvalue()
        edits[line_no] = (reason, detail)

    edit(5, 2, "3O.37", "malformed", "LAT='3O.37' is not a number")
    edit(10, 1, "2022-01-03T25:00:00", "bad_time", "BaseDateTime='2022-01-03T25:00:00'")
    edit(15, 16, None, "malformed", "16 fields, expected 17")
    lines[19] += ",EXTRA"
    edits[20] = ("malformed", "18 fields, expected 17")
    lines[24] = lines[24].replace(",", ',"BROKEN', 1)  # a quote that never closes
    edits[25] = ("malformed", "fields, expected 17")
    edit(30, 6, "12.5", "malformed", "Heading='12.5' is not a number")
    lines[34] = ""
    edits[35] = ("malformed", "empty line")
    path = tmp_path / "edited.csv"
    path.write_text("\n".join(lines) + "\n")

    r = read_all(marinecadastre.read, path.read_bytes(), "edited.csv")
    assert r.reasons() == {n: reason for n, (reason, _) in edits.items()}
    for rej in r.rejects.to_pylist():
        assert rej["raw"] == lines[rej["line_no"] - 1]
        assert edits[rej["line_no"]][1] in rej["detail"]
    assert r.positions.num_rows == 60 - len(edits)
    assert accounted(r) == set(range(2, 62))

    with Store(tmp_path / "s.duckdb") as store:
        (res,) = ingest_paths(store, [str(path)])
        stored = store.query(
            "SELECT line_no, reason, raw FROM rejects WHERE reason <> 'invalid_mmsi'"
        )
    good = [ln for n, ln in enumerate(lines[1:], start=2) if n not in edits]
    invalid = sum(1 for ln in good if not is_valid_mmsi(ln.split(",")[0]))
    assert res.status == "complete" and res.lines == 60
    assert res.positions_read == len(good)
    assert res.rejects["malformed"] == 6 and res.rejects["bad_time"] == 1
    assert res.rejects.get("invalid_mmsi", 0) >= invalid
    assert {row["line_no"]: row["reason"] for row in stored.to_pylist()} == r.reasons()


# --- compression and damage ----------------------------------------------------------------


def test_gz_bz2_zip_of_a_real_csv(shared: Path, tmp_path: Path) -> None:
    src = shared / "aisdb" / "test_data_noaa_20230101.csv"
    data = src.read_bytes()
    _, rows = csv_rows(data.decode())
    valid = sum(1 for r in rows if is_valid_mmsi(r[0]))
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(data))
    (tmp_path / "b.csv.bz2").write_bytes(bz2.compress(data))
    with zipfile.ZipFile(tmp_path / "c.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("noaa.csv", data)
    with Store(tmp_path / "s.duckdb") as store:
        results = ingest_paths(
            store, [str(tmp_path / n) for n in ("a.csv.gz", "b.csv.bz2", "c.zip")]
        )
        n_stored = store.query("SELECT count(*) AS n FROM positions")["n"][0].as_py()
    assert [r.file for r in results][2].endswith("c.zip!noaa.csv")
    for r in results:
        assert (r.format, r.status, r.lines, r.positions_read) == (
            "marinecadastre",
            "complete",
            1000,
            1000,
        )
    # one row per MMSI in this file, so no duplicates inside it; the copies add nothing.
    assert [r.positions_added for r in results] == [valid, 0, 0]
    assert n_stored == valid


def test_truncated_gz_is_partial_keeps_a_prefix_and_goes_on(
    samples: Path, tmp_path: Path, mc_text: str
) -> None:
    whole = (samples / MC_NAME).read_bytes()
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[:3_500_000])  # damage in the second 8 MiB block of text
    nxt = tmp_path / "dma.csv"
    shutil.copy(samples / "dma_gothenburg_2017-07-05.csv", nxt)
    original = mc_text.splitlines()
    with Store(tmp_path / "s.duckdb") as store:
        first, second = ingest_paths(store, [str(cut), str(nxt)])
        cut_rejects = store.query(
            "SELECT line_no, raw FROM rejects WHERE reason = 'malformed' AND batch_id = ?",
            [first.batch_id],
        ).to_pylist()
        stored = store.query(
            "SELECT mmsi, ts, lon, lat FROM positions WHERE batch_id = ?", [first.batch_id]
        )
    assert first.status == "partial"
    assert first.error is not None and str(cut) in first.error
    assert "corrupt at byte 3,500,000" in first.error
    assert 0 < first.lines < 99_999
    # a line the damage cut in two is rejected; it is the start of the real line
    assert len(cut_rejects) == first.rejects.get("malformed", 0) <= 1
    for rej in cut_rejects:
        assert original[rej["line_no"] - 1].startswith(rej["raw"])
        assert rej["line_no"] == first.lines + 1
    kept = first.lines - len(cut_rejects)
    assert first.positions_read == kept
    expected = {
        (int(r[0]), datetime.fromisoformat(r[1]).replace(tzinfo=UTC), float(r[3]), float(r[2]))
        for r in csv.reader(original[1 : kept + 1])
        if is_valid_mmsi(r[0])
    }
    got = {(p["mmsi"], p["ts"], p["lon"], p["lat"]) for p in stored.to_pylist()}
    assert got == expected
    assert (second.status, second.format, second.positions_read) == ("complete", "dma", 255)


def test_truncated_gz_keeps_every_complete_line_before_the_damage(
    samples: Path, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes((samples / MC_NAME).read_bytes()[:1_500_000])
    available = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut.read_bytes())
    complete_rows = available.count(b"\n") - 1  # minus the header
    with Store(tmp_path / "s.duckdb") as store:
        (res,) = ingest_paths(store, [str(cut)])
    assert res.status == "partial"
    assert res.positions_read == complete_rows


# --- DMA ---------------------------------------------------------------------------------


def _gpkg_points(path: Path) -> list[tuple[int, datetime, float, float, float, float]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = []
    for geom, t, mmsi, sog, cog in con.execute("SELECT geom, t, MMSI, SOG, COG FROM ais_dk_cpa"):
        assert geom[:2] == b"GP" and (geom[3] >> 1) & 7 == 0 and geom[8] == 1  # no envelope, LE
        x, y = struct.unpack("<dd", geom[13:29])
        out.append((mmsi, datetime.fromisoformat(t).replace(tzinfo=UTC), x, y, sog, cog))
    con.close()
    return out


def test_dma_sample_matches_the_geopackage(samples: Path, shared: Path, tmp_path: Path) -> None:
    path = samples / "dma_gothenburg_2017-07-05.csv"
    assert sniff_format(Input(path)) == "dma"
    points = _gpkg_points(shared / "movingpandas-samples" / "ais_dk_cpa.gpkg")
    assert len(points) == 255
    with Store(tmp_path / "s.duckdb") as store:
        (res,) = ingest_paths(store, [str(path)])
        pos = store.query("SELECT mmsi, ts, lon, lat, sog, cog, nav_status FROM positions")
        sta = store.query("SELECT mmsi, name, ship_type, imo FROM statics ORDER BY mmsi")
    assert (res.status, res.lines, res.positions_read, res.rejects) == ("complete", 255, 255, {})
    assert res.positions_added == len(
        {(p[0], p[1], round(p[2], 6), round(p[3], 6), p[4], p[5]) for p in points}
    )
    got = sorted(
        (r["mmsi"], r["ts"], r["lon"], r["lat"], r["sog"], r["cog"]) for r in pos.to_pylist()
    )
    want = sorted(set(points), key=lambda p: (p[0], p[1]))
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g[:2] == w[:2]
        assert abs(g[2] - w[2]) < 1e-6 and abs(g[3] - w[3]) < 1e-6
        assert g[4] == pytest.approx(w[4], abs=1e-4) and g[5] == pytest.approx(w[5], abs=1e-4)
    status = {(r["mmsi"], r["nav_status"]) for r in pos.to_pylist()}
    assert status == {(265410000, 0), (265550210, None)}  # "Unknown value" 15 -> null
    assert sta.to_pylist() == [
        {"mmsi": 265410000, "name": "STENA JUTLANDICA", "ship_type": 60, "imo": None},
        {"mmsi": 265550210, "name": "TANKSKAR", "ship_type": 80, "imo": None},
    ]


def test_dma_fields_on_edited_real_rows(samples: Path) -> None:
    lines = (samples / "dma_gothenburg_2017-07-05.csv").read_text().splitlines()[:4]
    header = lines[0].split(",")
    assert header[0] == "# Timestamp" and header[-4:] == ["A", "B", "C", "D"]

    def put(i: int, **values: str) -> None:
        f = lines[i].split(",")
        for name, value in values.items():
            f[header.index(name.replace("_", " "))] = value
        lines[i] = ",".join(f)

    put(1, Type_of_mobile="Class A", IMO="Unknown", Callsign="SFWK", Heading="254",
        ETA="05/07/2017 21:15:00", Destination="FREDERIKSHAVN")  # fmt: skip
    f = lines[1].split(",")
    f[-4:] = ["30", "153", "14", "14"]
    lines[1] = ",".join(f)
    put(2, Type_of_mobile="Base Station", MMSI="2190064")
    put(3, IMO="9131111")
    r = read_all(dma.read, ("\n".join(lines) + "\n").encode())
    assert r.lines == 3 and r.rejects.num_rows == 0
    assert dict(r.skipped) == {"base_station": 1}
    assert r.positions.column("line_no").to_pylist() == [2, 4]
    assert r.positions.column("heading").to_pylist() == [254, None]
    s = {row["mmsi"]: row for row in r.statics.to_pylist()}
    assert s[265410000]["imo"] is None and s[265410000]["callsign"] == "SFWK"
    assert (s[265410000]["to_bow"], s[265410000]["to_stern"]) == (30, 153)
    assert (s[265410000]["to_port"], s[265410000]["to_starboard"]) == (14, 14)
    assert s[265410000]["eta"] == "07-05T21:15"
    assert s[265550210]["imo"] == 9131111 and s[265550210]["ship_type"] == 80


# --- JSON lines ----------------------------------------------------------------------------


def test_gfw_json_invalid_positions_rejected_by_clean(shared: Path, tmp_path: Path) -> None:
    gfw = shared / "gfw-gpsdio-segment"
    records = [json.loads(ln) for ln in (gfw / "263576000.json").read_text().splitlines()]
    unavailable = sum(
        1
        for r in records
        if r["lat"] is None or r["lon"] is None or r["lat"] == 91 or r["lon"] == 181
    )
    assert any(r["lat"] == 91 and r["lon"] == 181 for r in records)
    shared_mmsi = [json.loads(ln) for ln in (gfw / "416000000.json").read_text().splitlines()]
    with Store(tmp_path / "s.duckdb") as store:
        a, b, c = ingest_paths(
            store,
            [
                str(gfw / n)
                for n in ("263576000.json", "416000000.json", "segmented-416000000.json")
            ],
        )
        span = store.query(
            "SELECT min(ts) AS lo, max(ts) AS hi, count(DISTINCT mmsi) AS n FROM positions "
            "WHERE batch_id = ?",
            [b.batch_id],
        ).to_pylist()[0]
    assert (a.format, a.status, a.lines, a.positions_read) == ("jsonl", "complete", 948, 948)
    assert a.rejects == {"position_unavailable": unavailable}
    assert (b.lines, b.positions_read, b.rejects) == (1668, 1668, {})
    times = sorted(datetime.fromisoformat(r["timestamp"]).replace(tzinfo=UTC) for r in shared_mmsi)
    assert (span["lo"], span["hi"], span["n"]) == (times[0], times[-1], 1)
    # the same points with an extra "segment" key: read the same, and all already stored
    assert (c.positions_read, c.positions_added) == (1668, 0)


def test_bad_json_lines_are_rejected_with_line_numbers(shared: Path) -> None:
    lines = (shared / "gfw-gpsdio-segment" / "263576000.json").read_text().splitlines()[:30]
    lines[2] = lines[2][:40]  # cut mid-object
    lines[6] = "[1, 2]"
    lines[11] = ""
    rec = json.loads(lines[14])
    rec["timestamp"] = "2015-10-15T27:00:00Z"
    lines[14] = json.dumps(rec)
    rec = json.loads(lines[17])
    rec["lat"] = "abc"
    lines[17] = json.dumps(rec)
    r = read_all(jsonl.read, ("\n".join(lines) + "\n").encode(), "x.json")
    assert r.reasons() == {3: "malformed", 7: "malformed", 12: "malformed", 15: "bad_time",
                           18: "malformed"}  # fmt: skip
    assert r.positions.num_rows == 25 and r.lines == 30
    assert accounted(r) == set(range(1, 31))
    assert r.rejects.filter(pc.equal(r.rejects["line_no"], 18))["detail"][0].as_py() == (
        "lat='abc' is not a number"
    )


def test_jsonl_other_keys_need_a_map(shared: Path) -> None:
    lines = (shared / "gfw-gpsdio-segment" / "416000000.json").read_text().splitlines()[:5]
    renamed = [ln.replace('"ssvid"', '"vessel"') for ln in lines]
    data = ("\n".join(renamed) + "\n").encode()
    with pytest.raises(InputError, match=r"has no MMSI column \(found: vessel, lat, lon"):
        read_all(jsonl.read, data, "x.json")
    r = read_all(jsonl.read, data, "x.json", column_map={"mmsi": "vessel"})
    assert r.positions.column("mmsi").to_pylist() == [416000000] * 5


# --- sniffing and times -----------------------------------------------------------------------


def test_sniffing(samples: Path, shared: Path) -> None:
    assert sniff_format(Input(samples / MC_NAME)) == "marinecadastre"
    assert sniff_format(Input(shared / "aisdb" / "test_data_noaa_20230101.csv")) == "marinecadastre"
    assert sniff_format(Input(samples / "263576000.json")) == "jsonl"
    assert sniff_format(Input(shared / "aisdb" / "test_data_20210701.csv")) == "csv"


def test_time_forms() -> None:
    text = pl.Series(
        ["2022-01-03T00:00:00", "2022-01-03 00:00:00.5Z", "2022-01-03T02:00:00+02:00",
         "20210701_185151", "05/07/2017 19:00:05", "1635731889", "2022-02-30T00:00:00",
         "junk", None]
    )  # fmt: skip
    got = tabular.parse_times(text).to_list()
    assert got == [
        datetime(2022, 1, 3, tzinfo=UTC),
        datetime(2022, 1, 3, 0, 0, 0, 500000, tzinfo=UTC),
        datetime(2022, 1, 3, tzinfo=UTC),
        datetime(2021, 7, 1, 18, 51, 51, tzinfo=UTC),
        datetime(2017, 7, 5, 19, 0, 5, tzinfo=UTC),
        datetime(2021, 11, 1, 1, 58, 9, tzinfo=UTC),
        None,
        None,
        None,
    ]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
            st.integers(min_value=-14 * 60, max_value=14 * 60),
            st.sampled_from(["T", " "]),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_iso_times_round_trip(values: list[tuple[datetime, int, str]]) -> None:
    texts, want = [], []
    for naive, offset_min, sep in values:
        aware = naive.replace(tzinfo=timezone(timedelta(minutes=offset_min)))
        texts.append(aware.isoformat(sep=sep))
        want.append(aware.astimezone(UTC))
    assert tabular.parse_times(pl.Series(texts)).to_list() == want
