"""End to end through the real command line: ingest, detect and screen N positions.

For each size: synthetic traffic over several days (bench/synth.py, generated piece by piece
into ``positions.parquet`` and ``statics.parquet``), then, each stage in its own child
process with the database engine capped by ``--memory-limit``:

* ingest: ``stswatch ingest positions.parquet statics.parquet --db X --memory-limit M``
* detect: ``stswatch detect --db X --memory-limit M -q``
* screen: ``stswatch lists add`` of the lists shipped in data/lists, then ``stswatch screen``

Each stage reports wall-clock seconds, positions per second and the peak resident memory
of its child (``os.wait4``); the ingest also reports the database size and the most disk
its spill directory (``X.tmp``) took, sampled while it ran.

``python bench/endtoend.py --sizes 1e7 [--memory-limit 8GB] [--keep DIR]`` runs it alone.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LISTS = REPO / "data" / "lists"
MEMORY_LIMIT = "8GB"
DAYS = 10


def _stswatch() -> list[str]:
    exe = Path(sys.executable).with_name("stswatch")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "from stswatch.cli import main; main()"]


def _disk_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / f).stat().st_size
    return total


def run_child(argv: list[str], watch: Path | None = None) -> dict[str, float]:
    """Run one command; its seconds, peak RSS (MB) and, if ``watch``, the most bytes the
    directory ``watch`` held while it ran."""
    peak_disk = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_disk
        while not done.wait(0.5):
            if watch is not None and watch.exists():
                peak_disk = max(peak_disk, _disk_bytes(watch))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n{stderr[-3000:]!r}")
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "disk": peak_disk}


def generate(n: int, out: Path, days: int = DAYS) -> dict[str, object]:
    """Synthetic positions and statics (in a child, so its memory is not counted here)."""
    if not (out / "summary.json").exists():
        subprocess.run(
            [sys.executable, str(REPO / "bench" / "synth.py"), str(n), str(out),
             "--days", str(days)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    summary: dict[str, object] = json.loads((out / "summary.json").read_text())
    return summary


def run_size(tmp: Path, n: int, memory_limit: str = MEMORY_LIMIT) -> list[dict[str, object]]:
    """The three stages on ``n`` positions; rows as bench/run.py's ``Result`` fields."""
    data = tmp / f"endtoend-{n}"
    summary = generate(n, data)
    rows = int(summary["positions"])  # type: ignore[call-overload]
    db = tmp / f"endtoend-{n}.duckdb"
    for stale in (db, Path(f"{db}.wal")):
        stale.unlink(missing_ok=True)
    cli = _stswatch()
    mem = ["--memory-limit", memory_limit]
    label = f"end to end, {rows / 1e6:,.0f}M positions over {summary['days']:.0f} days"
    out: list[dict[str, object]] = []

    ing = run_child(
        [*cli, "ingest", str(data / "positions.parquet"), str(data / "statics.parquet"),
         "--db", str(db), *mem, "-q"],
        watch=Path(f"{db}.tmp"),
    )  # fmt: skip
    db_mb = db.stat().st_size / 2**20
    out.append(
        _row(
            f"{label}: ingest",
            rows,
            ing,
            f"DB {db_mb:,.0f} MB; spill {ing['disk'] / 2**20:,.0f} MB",
        )
    )
    det = run_child([*cli, "detect", "--db", str(db), *mem, "-q"], watch=Path(f"{db}.tmp"))
    out.append(
        _row(
            f"{label}: detect",
            rows,
            det,
            f"{_detect_note(db)}; spill {det['disk'] / 2**20:,.0f} MB",
        )
    )
    screen = {"seconds": 0.0, "peak_mb": 0.0, "disk": 0}
    lists = sorted(LISTS.glob("*.csv"))
    for argv in [[*cli, "lists", "add", str(f), "--db", str(db), "-q"] for f in lists] + [
        [*cli, "screen", "--db", str(db), "--format", "json"]
    ]:
        r = run_child(argv)
        screen["seconds"] += r["seconds"]
        screen["peak_mb"] = max(screen["peak_mb"], r["peak_mb"])
    out.append(_row(f"{label}: screen", rows, screen, f"{len(lists)} lists added, then screen"))
    stages = [ing, det, screen]
    total = {
        "seconds": sum(s["seconds"] for s in stages),
        "peak_mb": max(s["peak_mb"] for s in stages),
    }
    out.append(_row(f"{label}: total", rows, total, f"memory limit {memory_limit}"))
    db.unlink(missing_ok=True)
    return out


def _detect_note(db: Path) -> str:
    """Events found and how the run was windowed (from the ``runs`` table)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "SELECT params, events FROM runs ORDER BY started DESC LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    if row is None:
        return "no run recorded"
    used = json.loads(row[0]).get("windows_used", {})
    how = (
        f"{used.get('windows')} windows of {used.get('window_h'):g} h, "
        f"{used.get('positions_read', 0):,} positions read with overlaps"
        if used.get("window_h")
        else "one pass in memory"
    )
    return f"{row[1]:,} events; {how}"


def _row(case: str, rows: int, r: dict[str, float], note: str) -> dict[str, object]:
    return {
        "case": case,
        "rows": rows,
        "seconds": r["seconds"],
        "peak_mb": r["peak_mb"],
        "note": note,
    }


def run(tmp: Path, sizes: list[float], memory_limit: str = MEMORY_LIMIT) -> list[dict[str, object]]:
    results: list[dict[str, object]] = []
    for n in sizes:
        results += run_size(tmp, int(n), memory_limit)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e7])
    ap.add_argument("--memory-limit", default=MEMORY_LIMIT)
    ap.add_argument("--keep", type=Path, default=None, help="directory for data and database")
    args = ap.parse_args()
    import tempfile

    tmp = args.keep or Path(tempfile.mkdtemp(prefix="stswatch-e2e-"))
    tmp.mkdir(parents=True, exist_ok=True)
    for r in run(tmp, args.sizes, args.memory_limit):
        rate = r["rows"] / r["seconds"] if r["seconds"] else 0  # type: ignore[operator]
        print(json.dumps({**r, "rows_per_s": round(rate)}), flush=True)


if __name__ == "__main__":
    main()
