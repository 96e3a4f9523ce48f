"""An ingest killed half-way and run again stores each row exactly once (a real SIGKILL)."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time

import duckdb

CLI = [sys.executable, "-c", "from stswatch.cli import main; main()"]


def _counts(db: str) -> tuple[int, int, int]:
    con = duckdb.connect(db, read_only=True)
    try:
        row = con.execute(
            "SELECT (SELECT count(*) FROM positions), (SELECT count(*) FROM statics),"
            " (SELECT count(*) FROM rejects)"
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])
    finally:
        con.close()


def test_kill_mid_ingest_then_rerun_equals_a_clean_run(tmp_path, shared):
    src = shared / "marinecadastre-vesselsummaryais" / "AIS_2022_01_03_first99999.csv.gz"
    text = gzip.decompress(src.read_bytes()).decode()
    header, body = text.split("\n", 1)
    small = tmp_path / "a_small.csv"
    small.write_text(header + "\n" + "".join(body.splitlines(keepends=True)[:2000]))
    # A big input: the real rows eight times over, each copy a day later (distinct reports).
    big = tmp_path / "b_big.csv"
    with big.open("w") as f:
        f.write(header + "\n")
        for day in range(3, 11):
            f.write(body.replace("2022-01-03T", f"2022-01-{day:02d}T"))
    inputs = [str(small), str(big)]

    killed_db = str(tmp_path / "killed.duckdb")
    first = subprocess.run([*CLI, "ingest", str(small), "--db", killed_db, "-q"], check=False)
    assert first.returncode == 0
    proc = subprocess.Popen([*CLI, "ingest", *inputs, "--db", killed_db, "-q"])
    time.sleep(4.0)  # well into the big file: it takes far longer than this to load
    assert proc.poll() is None, "ingest finished before it could be killed: make the input bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    con = duckdb.connect(killed_db)
    files = con.execute("SELECT file FROM ingests").fetchall()
    con.close()
    assert [os.path.basename(f[0]) for f in files] == ["a_small.csv"], (
        "the big file must not have committed"
    )

    rerun = subprocess.run([*CLI, "ingest", *inputs, "--db", killed_db, "-q"], check=False)
    assert rerun.returncode == 0
    clean_db = str(tmp_path / "clean.duckdb")
    assert (
        subprocess.run([*CLI, "ingest", *inputs, "--db", clean_db, "-q"], check=False).returncode
        == 0
    )
    assert _counts(killed_db) == _counts(clean_db)
    assert _counts(clean_db)[0] > 8 * 90_000  # the big file really loaded
    info = json.loads(
        subprocess.run(
            [*CLI, "info", "--db", killed_db, "--json"], capture_output=True, text=True, check=True
        ).stdout
    )
    assert sum(i["files"] for i in info["ingests"]) == 2


def _csv(path, day: int, rows: int = 3000) -> str:
    lines = ["MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName"]
    for i in range(rows):
        lines.append(
            f"{367000000 + i % 50},2022-01-{day:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:"
            f"{i % 60:02d},28.{i % 97:02d},-90.{i % 89:02d},{i % 12}.0,{i % 360}.0,511,V{i % 50}"
        )
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_a_file_that_fails_half_way_leaves_no_rows(tmp_path, monkeypatch):
    import stswatch.ingest as ingest
    from stswatch.errors import InputError
    from stswatch.store import Store

    good = _csv(tmp_path / "good.csv", 3)
    bad = _csv(tmp_path / "bad.csv", 4)
    real_loader = ingest.load_reader
    committed = {}

    def loader(name):
        real = real_loader(name)

        def read(stream, opts):
            yield from real(stream, opts)  # every chunk is stored and committed ...
            if opts.file.endswith("bad.csv"):
                committed["rows"] = store.query(
                    "SELECT count(*) AS n FROM positions WHERE batch_id = ?", [opts.batch_id]
                ).to_pylist()[0]["n"]
                raise InputError(f"{opts.file}: damaged after its last chunk (test)")

        return read

    monkeypatch.setattr(ingest, "load_reader", loader)
    with Store(tmp_path / "s.duckdb") as store:
        results = ingest.ingest_paths(store, [good, bad], fmt="marinecadastre")
        assert [r.status for r in results] == ["complete", "failed"]
        assert "damaged" in (results[1].error or "")
        assert committed["rows"] > 0  # ... and removed with the failure
        n = store.query("SELECT count(*) AS n FROM positions").to_pylist()[0]["n"]
        assert n == results[0].positions_added > 0
        assert store.query("SELECT count(*) AS n FROM ingests").to_pylist()[0]["n"] == 1


def test_rows_of_an_unrecorded_batch_are_removed_before_the_next_ingest(tmp_path):
    from stswatch.ingest import ingest_paths
    from stswatch.store import Store

    with Store(tmp_path / "s.duckdb") as store:
        ingest_paths(store, [_csv(tmp_path / "a.csv", 3)], fmt="marinecadastre")
        # what a killed ingest leaves: committed chunks of a batch that was never recorded
        store.con.execute(
            "INSERT INTO positions SELECT * REPLACE ('killed0000000000' AS batch_id, "
            "ts + INTERVAL 9 DAY AS ts) FROM positions"
        )
        before = store.query("SELECT count(*) AS n FROM positions").to_pylist()[0]["n"]
        (res,) = ingest_paths(store, [_csv(tmp_path / "b.csv", 5)], fmt="marinecadastre")
        left = store.query(
            "SELECT count(*) AS n FROM positions WHERE batch_id = 'killed0000000000'"
        ).to_pylist()[0]["n"]
        after = store.query("SELECT count(*) AS n FROM positions").to_pylist()[0]["n"]
    assert left == 0
    assert after == before // 2 + res.positions_added
