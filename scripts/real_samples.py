"""What the detectors find on every real sample: docs/real-data.md and its pictures.

    python scripts/real_samples.py [--shared ../shared/data]

Each sample is ingested alone into a temporary store, then ``detect`` runs with default
settings. Samples shipped in data/samples are always used; those only in ../shared/data
(licences that do not allow shipping them) are used when that folder is present.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402

from stswatch import tracks  # noqa: E402
from stswatch.config import load  # noqa: E402
from stswatch.detect.runner import Window, default_params, detect_store  # noqa: E402
from stswatch.geo import default_geo  # noqa: E402
from stswatch.geo.lookup import data_dir  # noqa: E402
from stswatch.geo.rings import Rings  # noqa: E402
from stswatch.ingest import ingest_paths  # noqa: E402
from stswatch.store import Store  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data" / "samples"

# (label, path relative to data/samples or ../shared/data, where, note)
CASES = [
    ("NOAA MarineCadastre, US waters, 2022-01-03", "AIS_2022_01_03_first99999.csv.gz", "samples",
     "dense snapshot, 25 minutes; 22k slow pairs moored or rafted in port"),
    ("AISHub world feed, 3 minutes", "ais-nmea-sample.log.gz", "samples",
     "raw NMEA without receiver times (base-station time)"),
    ("Danish Maritime Authority, Gothenburg", "dma_gothenburg_2017-07-05.csv", "samples",
     "a ferry passing a slow tanker: a crossing, not an STS"),
    ("USCG / libais type examples", "typeexamples.nmea", "samples", "one message of each type"),
    ("GFW 416000000 (MMSI shared by many vessels)", "416000000.json", "samples",
     "Taiwanese vessels sharing a placeholder MMSI, January 2014"),
    ("GFW 263576000 (invalid positions)", "263576000.json", "samples",
     "lat 91 / lon 181 and null positions"),
    ("GFW 338013000 (one vessel, satellite)", "gfw-gpsdio-segment/338013000.json", "shared",
     "a US vessel off American Samoa"),
    ("pyais Greek waters capture", "pyais/nmea_data_sample.txt", "shared",
     "no receiver times: ingested with --assume-time"),
    ("gpsd type-6 feed", "gpsd-aishub/ais-nmea-type6-fid55.log", "shared",
     "no receiver times: ingested with --assume-time"),
    ("AISdb satellite tag blocks, 2021-11-01", "aisdb/test_data_20211101.nm4", "shared",
     "two minutes of satellite AIS with tag-block times"),
]  # fmt: skip
ASSUMED = "2021-01-01T00:00:00Z"


def run_case(path: Path, work: Path) -> tuple[dict[str, int], pl.DataFrame, pl.DataFrame, int]:
    db = work / (path.name + ".duckdb")
    with Store(db) as store:
        res = ingest_paths(store, [str(path)])
        if any(r.status == "failed" and "--assume-time" in (r.error or "") for r in res):
            from datetime import datetime

            res = ingest_paths(store, [str(path)], assume_time=datetime.fromisoformat(ASSUMED))
        result = detect_store(store, load(None, default_params()), Window(), geo=default_geo())
        positions = pl.DataFrame(store.query("SELECT * FROM positions ORDER BY mmsi, ts"))
    counts = Counter(
        f"{t}/{s}" if s else t for t, s in result.events.select("type", "subtype").iter_rows()
    )
    return dict(counts), result.events, positions, result.positions


def draw_416(positions: pl.DataFrame, events: pl.DataFrame, out: Path) -> None:
    seg = tracks.segment(positions.filter(pl.col("mmsi") == 416000000), tracks.Params())
    fig, ax = plt.subplots(figsize=(10, 5.2), dpi=110)
    rings = Rings.load(data_dir() / "land_rings.npz")
    for a, b in zip(rings.offsets[:-1], rings.offsets[1:], strict=True):
        ax.fill(rings.lon_deg[a:b], rings.lat_deg[a:b], color="#e8e4d8", lw=0.3, ec="#b9b2a0")
    cmap = plt.get_cmap("tab20")
    for i, (_sid, part) in enumerate(seg.group_by("seg_id", maintain_order=True)):
        ax.plot(part["lon"], part["lat"], ".", ms=3, color=cmap(i % 20), label=None)
    coll = events.filter(pl.col("subtype") == "mmsi_collision")
    ax.scatter(coll["lon"], coll["lat"], s=90, facecolors="none", edgecolors="crimson", lw=1.5,
               label=f"mmsi_collision ({coll.height})")  # fmt: skip
    ax.set_xlim(0, 140)
    ax.set_ylim(-15, 45)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    n = seg["seg_id"].n_unique()
    ax.set_title(f"MMSI 416000000, January 2014: {positions.height:,} reports split into {n} "
                 "tracks (colours); circles: one MMSI in two places at once")  # fmt: skip
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "real-data.md")
    args = ap.parse_args()
    img = args.out.parent / "img"
    img.mkdir(exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="stswatch-real-") as tmp:
        for label, rel, where, note in CASES:
            path = (SAMPLES if where == "samples" else args.shared) / rel
            if not path.exists():
                continue
            counts, events, positions, n = run_case(path, Path(tmp))
            rows.append((label, rel, n, counts, note))
            if rel == "416000000.json":
                draw_416(positions, events, img / "gfw-416000000.png")
    lines = [
        "# What the detectors find on the real samples",
        "",
        "Generated by `python scripts/real_samples.py`. Each sample is ingested alone, then "
        "`stswatch detect` runs with default settings. None of these samples contains a "
        "documented STS transfer (no public AIS track of one exists); they test that real, "
        "messy data gives the events it should and not the ones it should not.",
        "",
        "| sample | positions | events found | what it is |",
        "|---|---:|---|---|",
    ]
    for label, rel, n, counts, note in rows:
        found = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"
        lines.append(f"| {label} (`{rel}`) | {n:,} | {found} | {note} |")
    lines += [
        "",
        "Reading the table:",
        "",
        "- **No encounter anywhere.** The MarineCadastre snapshot holds 22,303 slow pairs within "
        "300 m of each other, moored or rafted in port: the 10 km port/anchorage rule removes "
        "them (the test suite checks this with the duration rule relaxed, so that only the "
        "port rule can keep them out). The Gothenburg ferry passes the tanker at 12 knots.",
        "- **Spoofing on 416000000** is the point: many vessels share that placeholder MMSI "
        "(MID 416 + 000000), so it is in two places at once and jumps at impossible speeds.",
        "- **Port visits** in the short US and world snapshots are ships already in port when "
        "the capture starts (marked `open_start` in their evidence).",
        "- **invalid_mmsi** flags MMSIs no administration would assign (unallocated MID, "
        "placeholders such as MID + 000000, 123456789).",
        "",
        "![MMSI 416000000 split into tracks](img/gfw-416000000.png)",
        "",
        "Segmentation of 416000000 against Global Fishing Watch's own labels "
        "(`segmented-416000000.json`): adjusted Rand index 0.61, and 78.9 % of reports fall in "
        "the track holding most of their GFW segment (tests/test_tracks.py measures both).",
    ]
    args.out.write_text("\n".join(lines) + "\n")
    print(args.out.read_text())
    print(json.dumps({r[1]: r[3] for r in rows}, indent=1))


if __name__ == "__main__":
    main()
