"""Benchmarks: ``make bench`` writes docs/benchmarks.md.

Each case runs in a fresh subprocess so peak memory (ru_maxrss) is its own. Inputs are the
real samples shipped in data/samples, replicated where a case needs volume, and simulated
traffic from ``stswatch simulate``. The detection cases (detect, encounter, geopandas,
loitering, movingpandas) live in bench/detect.py, on synthetic traffic from bench/synth.py.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import decode  # bench/decode.py: NMEA decoding beside pyais and aiscat
import detect  # bench/detect.py (this directory is on sys.path when run as a script)
import endtoend  # bench/endtoend.py

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data" / "samples"


@dataclass
class Result:
    case: str
    rows: int
    seconds: float
    peak_mb: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _child(code: str) -> Result:
    """Run ``code`` (which must print one JSON line {case, rows, seconds, note}) in a child."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{proc.stderr[-3000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return Result(**data)


CHILD_PRELUDE = """
import json, resource, time, sys
def report(case, rows, seconds, note=""):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"case": case, "rows": rows, "seconds": seconds, "peak_mb": peak, "note": note}))
"""


def replicate_nmea(src: Path, dst: Path, copies: int) -> int:
    """Concatenate a real capture ``copies`` times; returns the number of lines."""
    opener = gzip.open if src.suffix == ".gz" else open
    with opener(src, "rb") as f:
        data = f.read()
    with open(dst, "wb") as out:
        for _ in range(copies):
            out.write(data)
    return data.count(b"\n") * copies


def bench_ingest(tmp: Path, nmea_copies: int) -> list[Result]:
    results = []
    nmea = tmp / "aishub_x.nmea"
    lines = replicate_nmea(SAMPLES / "ais-nmea-sample.log.gz", nmea, nmea_copies)
    for case, path, fmt in [
        (f"ingest NMEA (AISHub capture x{nmea_copies}, {lines:,} lines)", nmea, "nmea"),
        ("ingest CSV (MarineCadastre, 99,999 rows)", SAMPLES / "AIS_2022_01_03_first99999.csv.gz", "marinecadastre"),
    ]:  # fmt: skip
        db = tmp / f"{fmt}.duckdb"
        code = (
            CHILD_PRELUDE
            + f"""
from stswatch.ingest import ingest_paths
from stswatch.store import Store
t = time.perf_counter()
with Store({str(db)!r}) as s:
    r = ingest_paths(s, [{str(path)!r}], fmt={fmt!r})
dt = time.perf_counter() - t
report({case!r}, sum(x.lines for x in r), dt, f"{{sum(x.positions_added for x in r):,}} positions stored")
"""
        )
        results.append(_child(code))
    return results


DETECTION: dict[Path, detect.Runs] = {}  # data sets and results shared by detection cases


def bench_detection(tmp: Path, args: argparse.Namespace, case: str) -> list[Result]:
    """A detection case (see bench/detect.py): stswatch on ``--detect-sizes``, a peer on
    ``--geopandas-sizes`` or ``--movingpandas-sizes`` beside stswatch on the same input."""
    if tmp not in DETECTION:
        DETECTION[tmp] = detect.Runs(
            tmp,
            [int(n) for n in args.detect_sizes],
            {
                "geopandas": [int(n) for n in args.geopandas_sizes],
                "movingpandas": [int(n) for n in args.movingpandas_sizes],
            },
            args.peer_timeout,
        )
    runs = DETECTION[tmp]
    if case in detect.PEERS:
        rows = runs.peer(case, {"geopandas": "encounter", "movingpandas": "loitering"}[case])
    else:
        rows = runs.stswatch(case)
    return [Result(**r) for r in rows]


CASES: dict[str, Callable[[Path, argparse.Namespace], list[Result]]] = {
    "ingest": lambda tmp, a: bench_ingest(tmp, a.nmea_copies),
    "pyais": lambda tmp, a: [Result(**r) for r in decode.bench(tmp, a, "pyais")],
    "aiscat": lambda tmp, a: [Result(**r) for r in decode.bench(tmp, a, "aiscat")],
    "decode": lambda tmp, a: [Result(**r) for r in decode.bench(tmp, a, "stswatch")],
    "detect": lambda tmp, a: bench_detection(tmp, a, "detect"),
    "encounter": lambda tmp, a: bench_detection(tmp, a, "encounter"),
    "geopandas": lambda tmp, a: bench_detection(tmp, a, "geopandas"),
    "loitering": lambda tmp, a: bench_detection(tmp, a, "loitering"),
    "movingpandas": lambda tmp, a: bench_detection(tmp, a, "movingpandas"),
    "endtoend": lambda tmp, a: [Result(**r) for r in endtoend.run(tmp, a.endtoend_sizes)],  # type: ignore[arg-type]
}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}"


def write(results: list[Result], out: Path, command: str) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
        f"Reproduce with `{command}`. Each case runs in its own process; peak memory is its maximum resident set size.",
        "",
        "| case | rows | seconds | rows/s | peak MB | note |",
        "|---|---:|---:|---:|---:|---|",
    ]
    lines += [
        f"| {r.case} | {r.rows:,} | {r.seconds:.2f} | {r.rate:,.0f} | {r.peak_mb:,.0f} | {r.note} |"
        for r in results
    ]
    lines += [line for runs in DETECTION.values() for line in runs.markdown()]
    out.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md")
    ap.add_argument("--only", nargs="*", choices=list(CASES), default=list(CASES))
    ap.add_argument("--nmea-copies", type=int, default=12)
    ap.add_argument("--decode-lines", type=float, default=2e6, help="AISHub lines to decode")
    ap.add_argument("--decode-sim-vessels", type=int, default=300)
    ap.add_argument("--decode-sim-days", type=float, default=3.0)
    ap.add_argument("--detect-sizes", nargs="+", type=float, default=[1e6, 1e7])
    ap.add_argument("--geopandas-sizes", nargs="+", type=float, default=[1e6, 1e7])
    # MovingPandas takes about 22 min on 1M positions here: opt in with 1e5 1e6
    ap.add_argument("--movingpandas-sizes", nargs="+", type=float, default=[1e5])
    ap.add_argument("--peer-timeout", type=float, default=1800.0, help="seconds per peer case")
    ap.add_argument(
        "--endtoend-sizes", nargs="+", type=float, default=[1e7, 1e8],
        help="positions for the end-to-end case (bench/endtoend.py)",
    )  # fmt: skip
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="stswatch-bench-"))
    results: list[Result] = []
    try:
        for name in CASES:
            if name in args.only:
                started = time.perf_counter()
                results += CASES[name](tmp, args)
                print(f"{name}: done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write(results, args.out, "make bench")
    print(args.out.read_text())


if __name__ == "__main__":
    main()
