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
