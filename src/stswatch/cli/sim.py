"""Commands for testing detectors on synthetic data: simulate, evaluate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from stswatch.cli import app, out
from stswatch.cli.options import DbOption, db_path, parse_time
from stswatch.errors import UsageError

SIMULATE_HELP = (
    "Write simulated AIS (NMEA and MarineCadastre CSV) with injected events and truth.json."
    "\n\n"
    "Ships sail between real ports of the Yellow Sea, Korea Bay and East China Sea. Some meet "
    "for ship-to-ship transfers, loiter, go dark, spoof positions or change identity; decoys "
    "(fast crossings, short meetings, pairs in port, short or near-shore gaps) are mixed in. "
    "truth.json says what was injected; score detections with stswatch evaluate. Position "
    "reports are thinned to one a minute per ship (three minutes at anchor or moored)."
)
EVALUATE_HELP = (
    "Precision, recall and F1 per event type of detections against a simulation's truth."
    "\n\n"
    "A detection matches a truth event when they have the same type (and subtype when both give "
    "one), the same vessels (the unordered pair when either gives other_mmsi, else the same "
    "mmsi), and their time intervals overlap by at least half the shorter one. Matching is "
    "one-to-one. Optional truth events are neither missed nor false alarms. A decoy is hit "
    "when a detection matches it by the same rule. Overall figures leave port_visit out."
    "\n\n"
    "Detections come from the events table of --db, or from --events FILE.json: a list of "
    "objects with type, subtype, mmsi, other_mmsi, start and end (ISO 8601)."
)


@app.command(help=SIMULATE_HELP)
def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write the files into.")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")],
    vessels: Annotated[int, typer.Option(help="Number of vessels.", min=2)] = 60,
    days: Annotated[float, typer.Option(help="Length of the simulated period, days.")] = 3.0,
    start: Annotated[str, typer.Option(help="Start of the period (UTC, ISO 8601).")] = "2024-03-01",
    sanctioned_from: Annotated[
        Path | None,
        typer.Option(help="CSV sanctions list (imo and name columns): some tankers use its names."),
    ] = None,
    encoder: Annotated[
        str, typer.Option(help="NMEA position encoding: fast (NumPy) or pyais (slow, same bytes).")
    ] = "fast",
    no_nmea: Annotated[bool, typer.Option("--no-nmea", help="Skip positions.nmea.")] = False,
) -> None:
    """Write simulated AIS with injected events and their truth (see SIMULATE_HELP)."""
    from stswatch.simulate import SimConfig
    from stswatch.simulate import simulate as run

    if days <= 0 or days > 60:
        raise UsageError(f"--days {days} is out of range. Hint: give 0 < days <= 60.")
    if encoder not in ("fast", "pyais"):
        raise UsageError(f"--encoder {encoder!r} is not fast or pyais.")
    t0 = parse_time(start, "--start") or datetime(2024, 3, 1, tzinfo=UTC)
    cfg = SimConfig(
        seed=seed, vessels=vessels, days=days, start=t0, sanctioned_from=sanctioned_from
    )
    result = run(cfg, out_dir, nmea=not no_nmea, encoder=encoder)
    out.print(
        f"Simulated {vessels} vessels over {days:g} days from {cfg.params()['start']}: "
        f"{result['positions']:,} position reports, {result['statics']:,} static reports, "
        f"{result['events']} truth events, {result['decoys']} decoys."
    )
    counts: dict[str, int] = {}
    for e in result["truth"]["events"]:
        if not e["optional"]:
            key = e["type"] + (f"/{e['subtype']}" if e["subtype"] else "")
            counts[key] = counts.get(key, 0) + 1
    out.print("Events: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    kinds: dict[str, int] = {}
    for d in result["truth"]["decoys"]:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    out.print("Decoys: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    out.print("Seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in result["timings_s"].items()))
    out.print(f"Wrote {out_dir}/ positions.nmea, positions.csv, truth.json, README.txt")


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


@app.command(help=EVALUATE_HELP)
def evaluate(
    truth: Annotated[Path, typer.Option(help="truth.json written by stswatch simulate.")],
    db: DbOption = None,
    events: Annotated[
        Path | None, typer.Option(help="Detections as a JSON list instead of the database.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Score detections against a truth.json (see EVALUATE_HELP)."""
    from stswatch import evaluate as ev

    if db is not None and events is not None:
        raise UsageError("Give --db or --events, not both.")
    truth_events, decoys = ev.load_truth(truth)
    detected = ev.load_events_json(events) if events else ev.load_events_db(db_path(db))
    result = ev.evaluate(truth_events, detected, decoys)
    if as_json:
        out.file.write(json.dumps(result.as_dict(), indent=2) + "\n")
        return
    t = Table(
        title=f"Detections scored against {truth.name}",
        box=box.SIMPLE_HEAD,
        padding=(0, 0),
        pad_edge=False,
    )
    for col in (
        "type",
        "truth",
        "found",
        "TP",
        "FP",
        "FN",
        "prec",
        "recall",
        "F1",
        "decoys",
        "hit",
    ):
        t.add_column(col, justify="left" if col == "type" else "right", no_wrap=True)
    rows = list(result.per_type.values()) + [result.overall]
    for s in rows:
        label = "overall*" if s is result.overall else s.type
        t.add_row(
            label,
            str(s.truth),
            str(s.detected),
            str(s.tp),
            str(s.fp),
            str(s.fn),
            _fmt(s.precision),
            _fmt(s.recall),
            _fmt(s.f1),
            str(s.decoys),
            str(s.decoys_hit),
            end_section=s is rows[-2],
        )
    out.print(t)
    out.print(
        f"* overall: {', '.join(ev.OVERALL_TYPES)} (port_visit is context, not counted). "
        "hit: decoys that a detection matched."
    )
    for dec, det in result.decoys_hit:
        out.print(
            f"Decoy hit: {dec.kind or dec.type} {dec.id} ({dec.mmsi}"
            f"{'/' + str(dec.other_mmsi) if dec.other_mmsi else ''}) by a {det.type} detection."
        )
