"""The store keeps each report once and each ingest atomic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from stswatch import schema
from stswatch.errors import InputError
from stswatch.store import Store

T0 = datetime(2022, 1, 3, tzinfo=UTC)


def positions(rows: list[dict]) -> pa.Table:
    base = {f.name: None for f in schema.POSITION_FIELDS}
    base.update(source="test", batch_id="b1")
    return pa.Table.from_pylist([{**base, **r} for r in rows], schema=schema.POSITIONS)


def test_identical_reports_from_two_receivers_are_stored_once(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        a = {"mmsi": 636015565, "ts": T0, "lon": -90.1, "lat": 29.0, "sog": 0.1, "station": "r1"}
        b = {**a, "ts": T0 + timedelta(milliseconds=300), "station": "r2"}  # same second
        c = {**a, "ts": T0 + timedelta(seconds=10)}  # a later report
        assert store.add_positions(positions([a, b, c])) == 2
        assert store.add_positions(positions([a, c])) == 0


def test_null_fields_take_part_in_the_duplicate_key(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        a = {"mmsi": 366000001, "ts": T0, "lon": 1.0, "lat": 2.0, "sog": None}
        b = {**a, "sog": 3.0}
        assert store.add_positions(positions([a])) == 1
        assert store.add_positions(positions([a])) == 0
        assert store.add_positions(positions([b])) == 1


def test_a_rolled_back_transaction_leaves_nothing(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.add_positions(positions([{"mmsi": 366000001, "ts": T0, "lon": 1.0, "lat": 2.0}]))
            raise RuntimeError("killed")
        assert store.query("SELECT count(*) AS n FROM positions").to_pylist() == [{"n": 0}]


def test_read_only_open_of_a_missing_database_says_what_to_do(tmp_path):
    with pytest.raises(InputError, match="stswatch ingest"):
        Store(tmp_path / "missing.duckdb", read_only=True)


def test_ddl_matches_the_declared_schema(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        for table, fields in schema.TABLES.items():
            cols = store.query(f"DESCRIBE {table}").column("column_name").to_pylist()
            assert cols == [f.name for f in fields]
