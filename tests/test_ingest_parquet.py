"""Parquet streams from disk; any input order de-duplicates the same; --memory-limit."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from stswatch import schema, store
from stswatch.errors import UsageError
from stswatch.ingest import ingest_paths, parquet
from stswatch.ingest.stream import Input
from stswatch.store import Store, parse_memory_limit

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def _positions(n: int, vessels: int = 50, seed: int = 0) -> pa.Table:
    """``n`` reports in vessel order, with every report of vessel 0 repeated (a duplicate
    that another receiver heard 0.4 s later, at the far end of the file)."""
    rng = np.random.default_rng(seed)
    mmsi = 366_000_000 + np.sort(rng.integers(0, vessels, n))
    secs = rng.uniform(0, 3 * 86_400, n)
    ts = np.datetime64(T0.replace(tzinfo=None), "us") + (secs * 1e6).astype("timedelta64[us]")
    tbl = pa.table(
        {
            "mmsi": mmsi,
            "ts": pa.array(ts).cast(schema.TS),
            "lon": rng.uniform(120, 130, n),
            "lat": rng.uniform(30, 40, n),
            "sog": rng.uniform(0, 15, n).astype(np.float32),
            "cog": pa.nulls(n, pa.float32()),
            "heading": pa.nulls(n, pa.int16()),
            "nav_status": pa.nulls(n, pa.int8()),
            "msg_type": pa.repeat(pa.scalar(1, pa.int8()), n),
            "source": pa.repeat(pa.scalar("x"), n),
            "station": pa.nulls(n, pa.string()),
            "batch_id": pa.repeat(pa.scalar("b"), n),
        }
    ).cast(schema.POSITIONS)
    dup = tbl.filter(pc.equal(tbl["mmsi"], int(mmsi.min())))
    later = pc.add(dup["ts"], pa.scalar(timedelta(milliseconds=400)))
    same_second = pc.if_else(
        pc.equal(pc.floor_temporal(later, unit="second"),
                         pc.floor_temporal(dup["ts"], unit="second")),
        later, dup["ts"],
    )  # fmt: skip
    dup = dup.set_column(dup.schema.get_field_index("ts"), "ts", same_second)
    return pa.concat_tables([tbl, dup.cast(schema.POSITIONS)])


def _stored(db: Path) -> list[tuple]:
    with Store(db, read_only=True) as s:
        rows = s.query("SELECT mmsi, date_trunc('second', ts) AS s, lon, lat FROM positions")
    return sorted(zip(*(rows[c].to_pylist() for c in rows.column_names), strict=True))


def test_a_plain_parquet_file_is_read_in_place_not_whole(tmp_path, monkeypatch):
    path = tmp_path / "p.parquet"
    pq.write_table(_positions(5_000), path, row_group_size=1_000)
    monkeypatch.setattr(parquet, "BATCH_ROWS", 1_000)
    with Input(path).open() as stream:
        assert stream.seekable_file() is not None
        stream.read = None  # type: ignore[method-assign]  # reading it whole would fail
        chunks = list(parquet.read(stream, _opts(path)))
    assert sum(c.positions.num_rows for c in chunks) > 5_000
    assert max(c.positions.num_rows for c in chunks) <= 1_000
    assert chunks[1].positions["line_no"][0].as_py() == 1_001


def _opts(path: Path):
    from stswatch.ingest.base import ReadOptions

    return ReadOptions(file=str(path), source="parquet", batch_id="b", now=datetime.now(UTC))


@pytest.mark.parametrize("order", ["vessel", "time", "shuffled"])
def test_every_input_order_stores_each_report_once(tmp_path, monkeypatch, order):
    """Chunks of a shuffled file each span the whole table: they are staged and merged at
    the end (``merge_staged``), and must give what a sorted file gives."""
    monkeypatch.setattr(parquet, "BATCH_ROWS", 2_000)
    monkeypatch.setattr(store, "STAGE_OVERLAP_ROWS", 1_000)
    monkeypatch.setattr(store, "STAGE_OVERLAP_FACTOR", 1)
    monkeypatch.setattr(store, "MERGE_ROWS", 3_000)  # several time slices
    tbl = _positions(20_000)
    if order == "time":
        tbl = tbl.sort_by("ts")
    elif order == "shuffled":
        tbl = tbl.take(np.random.default_rng(1).permutation(tbl.num_rows))
    path = tmp_path / f"{order}.parquet"
    pq.write_table(tbl, path, row_group_size=2_000)
    reference = tmp_path / "ref.duckdb"
    with Store(reference) as s:  # one chunk: the reference de-duplication
        s.add_positions(tbl)
    staged_rows: list[int] = []
    stage = Store._stage
    monkeypatch.setattr(
        Store,
        "_stage",
        lambda self, t, rows, sch: staged_rows.append(rows.num_rows) or stage(self, t, rows, sch),
    )
    db = tmp_path / "x.duckdb"
    with Store(db) as s:
        (res,) = ingest_paths(s, [str(path)])
        assert res.status == "complete" and res.positions_read == tbl.num_rows
        staged = s._staged
    assert not staged
    assert bool(staged_rows) == (order == "shuffled")  # the merge path really ran
    assert res.positions_added == len(_stored(reference)) < tbl.num_rows
    assert _stored(db) == _stored(reference)
    # the same rows again, as another file: nothing new
    again = tmp_path / "again.parquet"
    pq.write_table(tbl.slice(0, 15_000), again, row_group_size=2_000)
    with Store(db) as s:
        (res2,) = ingest_paths(s, [str(again)])
    assert res2.status == "complete" and res2.positions_added == 0


def test_a_failed_ingest_drops_its_staged_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "STAGE_OVERLAP_ROWS", 0)
    monkeypatch.setattr(store, "STAGE_OVERLAP_FACTOR", 0)
    tbl = _positions(2_000)
    with Store(tmp_path / "s.duckdb") as s:
        s.add_positions(tbl.slice(0, 1_000))
        with pytest.raises(RuntimeError), s.transaction():
            assert s.add_positions(tbl.slice(1_000), defer=True) == 0  # staged
            raise RuntimeError("killed")
        assert s.add_positions(tbl.slice(1_000), defer=True) == 0
        added = s.merge_staged()["positions"]
        assert added > 0
        assert s.query("SELECT count(*) AS n FROM positions")["n"][0].as_py() == 1_000 + added


@pytest.mark.parametrize(
    ("given", "duck"), [("8GB", "8GB"), ("512 mb", "512MB"), ("1.5GiB", "1.5GiB")]
)
def test_memory_limit_values(given, duck):
    assert parse_memory_limit(given) == duck


@pytest.mark.parametrize("bad", ["8", "lots", "0GB", "-1GB", "8 GB extra", ""])
def test_a_bad_memory_limit_says_what_to_write(bad):
    with pytest.raises(UsageError, match=r"is not an amount of memory\. Hint: .*8GB"):
        parse_memory_limit(bad)


def test_store_sets_the_memory_limit_and_a_temp_directory_next_to_the_database(tmp_path):
    with Store(tmp_path / "s.duckdb", memory_limit="512MB") as s:
        (limit,) = s.con.execute("SELECT current_setting('memory_limit')").fetchone()  # type: ignore[misc]
        (tmp,) = s.con.execute("SELECT current_setting('temp_directory')").fetchone()  # type: ignore[misc]
    assert limit in ("488.2 MiB", "512.0 MB", "488.2MiB")
    assert tmp == str(tmp_path / "s.duckdb.tmp")


def test_ingest_memory_limit_option(tmp_path):
    path = tmp_path / "p.parquet"
    pq.write_table(_positions(3_000), path)
    cli = [sys.executable, "-c", "from stswatch.cli import main; main()", "ingest", str(path)]
    db = str(tmp_path / "a.duckdb")
    ok = subprocess.run([*cli, "--db", db, "--memory-limit", "1GB", "-q"], capture_output=True, text=True, check=False)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([*cli, "--db", db, "--memory-limit", "lots"], capture_output=True, text=True, check=False)  # fmt: skip
    assert bad.returncode == 2
    assert "--memory-limit 'lots' is not an amount of memory" in bad.stderr
