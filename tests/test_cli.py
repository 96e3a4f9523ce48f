"""The command line: exit codes, messages that say what to do, and round trips."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from stswatch import schema

T0 = datetime(2022, 1, 3, tzinfo=UTC)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from stswatch.cli import main; main()", *args],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip


@pytest.fixture
def parquet_file(tmp_path):
    rows = [
        {"mmsi": 636015565, "ts": T0, "lon": -90.5, "lat": 28.9, "sog": 0.2, "source": "x", "batch_id": "b"},
        {"mmsi": 636015565, "ts": T0.replace(minute=5), "lon": -90.49, "lat": 28.91, "sog": 0.3, "source": "x", "batch_id": "b"},
        {"mmsi": 1234, "ts": T0, "lon": -90.5, "lat": 28.9, "source": "x", "batch_id": "b"},
    ]  # fmt: skip
    base = {f.name: None for f in schema.POSITION_FIELDS}
    tbl = pa.Table.from_pylist([{**base, **r} for r in rows], schema=schema.POSITIONS)
    path = tmp_path / "p.parquet"
    pq.write_table(tbl, path)
    return path


def test_ingest_info_track_and_parquet_round_trip(tmp_path, parquet_file):
    db = str(tmp_path / "a.duckdb")
    r = run("ingest", str(parquet_file), "--db", db, "--quiet")
    assert r.returncode == 0, r.stderr
    info = json.loads(run("info", "--db", db, "--json").stdout)
    assert info["positions"] == 2 and info["rejects"] == {"invalid_mmsi": 1}
    assert info["bbox"] == [-90.5, 28.9, -90.49, 28.91]
    track = json.loads(run("track", "636015565", "--db", db, "--format", "geojson").stdout)
    assert track["features"][0]["geometry"]["coordinates"] == [[-90.5, 28.9], [-90.49, 28.91]]
    out = tmp_path / "export.parquet"
    assert run("export", "--db", db, "--out", str(out)).returncode == 0
    db2 = str(tmp_path / "b.duckdb")
    assert run("ingest", str(out), "--db", db2, "-q").returncode == 0
    again = json.loads(run("info", "--db", db2, "--json").stdout)
    assert again["positions"] == 2 and again["sources"][0]["source"] == "x"


def test_second_ingest_adds_nothing_and_says_so(tmp_path, parquet_file):
    db = str(tmp_path / "a.duckdb")
    run("ingest", str(parquet_file), "--db", db, "-q")
    r = run("ingest", str(parquet_file), "--db", db)
    assert r.returncode == 0 and "already ingested" in r.stdout
    assert json.loads(run("info", "--db", db, "--json").stdout)["positions"] == 2


def test_db_from_environment(tmp_path, parquet_file):
    import os

    env = {**os.environ, "STSWATCH_DB": str(tmp_path / "env.duckdb")}
    assert run("ingest", str(parquet_file), "-q", env=env).returncode == 0
    assert (tmp_path / "env.duckdb").exists()


def test_unreadable_input_exits_1_and_the_next_file_still_loads(tmp_path, parquet_file):
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"not parquet at all")
    db = str(tmp_path / "a.duckdb")
    r = run("ingest", str(bad), str(parquet_file), "--db", db, "-q")
    assert r.returncode == 1
    assert "broken.parquet is not a readable Parquet file" in r.stderr
    assert json.loads(run("info", "--db", db, "--json").stdout)["positions"] == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["ingest", "x", "--format", "xml"], "--format 'xml' is not one of"),
        (["ingest", "x.csv", "--map", "mmsi"], "is not NAME=COLUMN"),
        (["ingest", "x.csv", "--assume-time", "yesterday"], "is not a date or time"),
        (["track", "636015565", "--format", "kml"], "--format 'kml' is not one of"),
    ],
)
def test_usage_errors_exit_2_with_a_hint(tmp_path, args, message):
    r = run(*args, "--db", str(tmp_path / "u.duckdb"))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr


def test_missing_input_exits_1_and_names_it(tmp_path):
    r = run("ingest", str(tmp_path / "nowhere.csv"), "--db", str(tmp_path / "u.duckdb"))
    assert r.returncode == 1 and "nowhere.csv does not exist" in r.stderr


def test_missing_database_is_explained(tmp_path):
    r = run("info", "--db", str(tmp_path / "none.duckdb"))
    assert r.returncode == 1 and "stswatch ingest FILE" in r.stderr


def test_bad_option_value_is_a_usage_error(tmp_path):
    r = run("track", "not-a-number", "--db", str(tmp_path / "u.duckdb"))
    assert r.returncode == 2


def test_gzip_wrapped_parquet_is_read(tmp_path, parquet_file):
    gz = tmp_path / "p.parquet.gz"
    gz.write_bytes(gzip.compress(parquet_file.read_bytes()))
    db = str(tmp_path / "g.duckdb")
    assert run("ingest", str(gz), "--db", db, "-q").returncode == 0
    assert json.loads(run("info", "--db", db, "--json").stdout)["positions"] == 2
