"""NMEA decoding benchmarks: stswatch's reader beside pyais and aiscat, decode only.

Two inputs, written once into the benchmark's temporary directory:

* ``aishub``: the real AISHub capture shipped in ``data/samples/ais-nmea-sample.log.gz``
  (bare !AIVDM sentences, all message types, multipart type 5, no timestamps) concatenated
  to at least ``--decode-lines`` lines (2,000,000 by default);
* ``simulated``: ``positions.nmea`` of ``stswatch simulate`` with ``--decode-sim-vessels``
  vessels over ``--decode-sim-days`` days (NMEA 4.0 tag blocks with station and time, types
  1, 3, 18, multipart 5 and 24 A/B).

Each tool reads the whole file in its own process (peak memory is that process's maximum
resident set size); the time covers reading the file and decoding, imports excluded.

* ``decode``: stswatch's NMEA reader (``stswatch.ingest.nmea.read``) from the file to Arrow
  tables of positions, statics and rejects with their times (base-station anchors for the
  AISHub capture), nothing stored.
* ``pyais``: pyais's ``FileReaderStream`` (its multipart assembly) and ``msg.decode()`` for
  every message, the pure-Python reference decoder (MIT).
* ``aiscat``: ``aiscat.from_file`` (AIS-catcher's C++ decoder, GPL-3.0, used here only as a
  benchmark peer), a Python dict per message.

Rows are input lines, so rows/s compare directly; the notes say how many messages or rows
each produced, the CPU seconds of the timed part (all threads: stswatch's Polars uses more
than one) and, for stswatch, its speed (wall clock) relative to each peer on the same file.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from argparse import Namespace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CAPTURE = REPO / "data" / "samples" / "ais-nmea-sample.log.gz"
TOOLS = ("pyais", "aiscat", "stswatch")

PRELUDE = """
import json, resource, sys, time
def report(rows, seconds, note):
    use = resource.getrusage(resource.RUSAGE_SELF)
    peak = use.ru_maxrss / 1024
    cpu = use.ru_utime + use.ru_stime - CPU0
    note += f"; {cpu:.1f} s CPU"
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak, "note": note}))
path = sys.argv[1]
lines = sum(1 for _ in open(path, "rb"))
"""
# CPU seconds (all threads) spent before the timed part: imports and counting lines.
CPU_MARK = """
_use = resource.getrusage(resource.RUSAGE_SELF)
CPU0 = _use.ru_utime + _use.ru_stime
"""

CODE = {
    "stswatch": """
from datetime import UTC, datetime
from pathlib import Path
from stswatch.ingest import nmea
from stswatch.ingest.base import ReadOptions
from stswatch.ingest.stream import Input
opts = ReadOptions(file=path, source="bench", batch_id="bench", now=datetime.now(UTC))
positions = statics = rejects = 0
t = time.perf_counter()
with Input(Path(path)).open() as stream:
    for chunk in nmea.read(stream, opts):
        positions += chunk.positions.num_rows
        statics += chunk.statics.num_rows
        rejects += chunk.rejects.num_rows
dt = time.perf_counter() - t
report(lines, dt, f"{positions:,} positions, {statics:,} statics, {rejects:,} rejects (Arrow)")
""",
    "pyais": """
from importlib.metadata import version
from pyais.stream import FileReaderStream
n = failed = 0
t = time.perf_counter()
for msg in FileReaderStream(path):
    try:
        msg.decode()
        n += 1
    except Exception:
        failed += 1
dt = time.perf_counter() - t
report(lines, dt, f"pyais {version('pyais')}: {n:,} messages decoded, {failed:,} refused")
""",
    "aiscat": """
from importlib.metadata import version
import aiscat
n = 0
t = time.perf_counter()
for msg in aiscat.from_file(path):
    n += 1
dt = time.perf_counter() - t
report(lines, dt, f"aiscat {version('aiscat')}: {n:,} messages decoded (dicts)")
""",
}


class Runs:
    """Inputs and results shared by the decode cases of one benchmark run."""

    def __init__(self, tmp: Path, args: Namespace) -> None:
        self.tmp = tmp
        self.args = args
        self.inputs: dict[str, tuple[Path, str]] = {}
        self.results: dict[tuple[str, str], dict[str, Any]] = {}

    def input_files(self) -> dict[str, tuple[Path, str]]:
        """name -> (file, description), written on first use."""
        if not self.inputs:
            lines = int(self.args.decode_lines)
            path = self.tmp / "decode-aishub.nmea"
            copies, total = replicate(CAPTURE, path, lines)
            self.inputs["aishub"] = (path, f"AISHub capture x{copies}, {total:,} lines")
            vessels, days = int(self.args.decode_sim_vessels), float(self.args.decode_sim_days)
            sim = self.tmp / "decode-sim"
            cli = Path(sys.executable).parent / "stswatch"
            subprocess.run(
                [
                    str(cli), "simulate", "--out", str(sim), "--seed", "2024",
                    "--vessels", str(vessels), "--days", str(days),
                ],
                check=True, capture_output=True,
            )  # fmt: skip
            nmea = sim / "positions.nmea"
            with open(nmea, "rb") as f:
                count = sum(1 for _ in f)
            self.inputs["simulated"] = (
                nmea,
                f"simulated, {vessels} vessels x {days:g} days, {count:,} lines",
            )
        return self.inputs

    def measure(self, tool: str) -> list[dict[str, Any]]:
        rows = []
        for name, (path, desc) in self.input_files().items():
            if (tool, name) not in self.results:
                self.results[tool, name] = child(tool, path)
            r = dict(self.results[tool, name])
            r["case"] = f"decode NMEA, {tool} ({desc})"
            if tool == "stswatch":
                r["note"] += "; " + self.ratios(name)
            rows.append(r)
        return rows

    def ratios(self, name: str) -> str:
        ours = rate(self.results["stswatch", name])
        parts = []
        for peer in ("pyais", "aiscat"):
            if (peer, name) in self.results:
                parts.append(f"{ours / rate(self.results[peer, name]):.1f}x {peer}")
        return ", ".join(parts) or "no peer measured"


RUNS: dict[Path, Runs] = {}


def bench(tmp: Path, args: Namespace, tool: str) -> list[dict[str, Any]]:
    """Rows (``Result`` fields) of one tool on both inputs. stswatch's rows come with both
    peers measured first (once per run) so that its notes can give the ratios."""
    if tmp not in RUNS:
        RUNS[tmp] = Runs(tmp, args)
    runs = RUNS[tmp]
    rows = []
    if tool == "stswatch":
        for peer in ("pyais", "aiscat"):
            fresh = any((peer, n) not in runs.results for n in runs.input_files())
            if fresh:
                rows += runs.measure(peer)
    return rows + runs.measure(tool)


def _after_imports(code: str) -> str:
    """``code`` with the CPU mark placed just before its timer starts."""
    head, sep, tail = code.partition("t = time.perf_counter()")
    return head + CPU_MARK + sep + tail


def rate(result: dict[str, Any]) -> float:
    return float(result["rows"]) / float(result["seconds"])


def child(tool: str, path: Path) -> dict[str, Any]:
    """Run one tool on one file in a fresh process; its JSON report."""
    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE + _after_imports(CODE[tool]), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{tool} decode benchmark failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def replicate(src: Path, dst: Path, min_lines: int) -> tuple[int, int]:
    """Concatenate a capture until it has at least ``min_lines`` lines; (copies, lines)."""
    with gzip.open(src, "rb") if src.suffix == ".gz" else open(src, "rb") as f:
        data = f.read()
    per_copy = data.count(b"\n")
    copies = max(1, -(-min_lines // per_copy))
    with open(dst, "wb") as out:
        for _ in range(copies):
            out.write(data)
    return copies, per_copy * copies


if __name__ == "__main__":  # python bench/decode.py TOOL FILE: one measurement
    print(json.dumps(child(sys.argv[1], Path(sys.argv[2]))))
