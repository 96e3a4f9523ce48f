"""Commands over stored AIS: ingest, info, vessels, track, export."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import pyarrow.compute as pc
import typer
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from stswatch import output
from stswatch.cli import app, err, out
from stswatch.cli.options import (
    DbOption,
    MemoryLimitOption,
    db_path,
    memory_limit,
    parse_map,
    parse_time,
)
from stswatch.errors import UsageError
from stswatch.ingest import FORMATS, FileResult, ingest_paths
from stswatch.store import Store


class RowRateColumn(ProgressColumn):
    """Rows read and rows per second for the current input."""

    def render(self, task: Task) -> Text:
        rows = int(task.fields.get("rows", 0))
        elapsed = task.elapsed or 0.0
        rate = rows / elapsed if elapsed > 0 else 0.0
        return Text(f"{rows:,} rows  {rate:,.0f} rows/s", style="progress.data.speed")


@app.command()
def ingest(
    paths: Annotated[
        list[str], typer.Argument(help="Files, directories or globs (.gz, .bz2, .zip too).")
    ],
    db: DbOption = None,
    fmt: Annotated[
        str, typer.Option("--format", help=f"Input format: {'|'.join(FORMATS)}.")
    ] = "auto",
    source: Annotated[
        str | None, typer.Option(help="Name of the source (default: the format).")
    ] = None,
    assume_time: Annotated[
        str | None, typer.Option(help="Time (UTC) to give reports of inputs that carry no time.")
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="CSV columns: mmsi=MMSI,ts=Time,lon=Lon,lat=Lat,... (see docs)."
        ),
    ] = None,
    time_format: Annotated[
        str | None, typer.Option(help="strftime format of the CSV time column when not ISO 8601.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    mem: MemoryLimitOption = None,
) -> None:
    """Read AIS inputs into the store. Re-running adds nothing twice."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}.")
    assumed = parse_time(assume_time, "--assume-time")
    column_map = parse_map(mapping)
    limit = memory_limit(mem)
    started = time.perf_counter()
    with Store(db_path(db), memory_limit=limit) as store:
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            RowRateColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=quiet,
            transient=True,
        )
        tasks: dict[str, TaskID] = {}

        def report(file: str, done: int, total: int, rows: int) -> None:
            if file not in tasks:
                tasks[file] = progress.add_task(Path(file).name[:40], total=max(total, 1))
            progress.update(tasks[file], completed=done, rows=rows)

        with progress:
            results = ingest_paths(
                store,
                paths,
                fmt=fmt,
                source=source,
                assume_time=assumed,
                column_map=column_map,
                time_format=time_format,
                progress=report,
            )
        elapsed = time.perf_counter() - started
        for r in results:
            if r.status in ("failed", "partial"):
                err.print(f"[bold red]stswatch:[/] {r.error}", highlight=False)
        if not quiet:
            _print_results(results, elapsed)
    if any(r.status in ("failed", "partial") for r in results):
        raise typer.Exit(1)


def _print_results(results: list[FileResult], elapsed: float) -> None:
    t = Table(title="Ingest")
    for col in ("file", "format", "status", "lines", "positions", "stored", "statics", "rejected"):
        t.add_column(col, justify="right" if col not in ("file", "format", "status") else "left")
    for r in results:
        t.add_row(
            Path(r.file).name,
            r.format,
            r.status,
            f"{r.lines:,}",
            f"{r.positions_read:,}",
            f"{r.positions_added:,}",
            f"{r.statics_added:,}",
            f"{sum(r.rejects.values()):,}",
        )
    out.print(t)
    lines = sum(r.lines for r in results)
    reasons: dict[str, int] = {}
    for r in results:
        for k, v in r.rejects.items():
            reasons[k] = reasons.get(k, 0) + v
    rate = lines / elapsed if elapsed > 0 else 0
    out.print(
        f"{lines:,} lines in {elapsed:.1f} s ({rate:,.0f} lines/s); "
        f"{sum(r.positions_added for r in results):,} positions and "
        f"{sum(r.statics_added for r in results):,} static reports stored."
    )
    if reasons:
        out.print(
            "Rejected: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]))
        )
    skipped = [r for r in results if r.status == "skipped"]
    if skipped:
        out.print(f"{len(skipped)} input(s) skipped: already ingested.")


@app.command()
def info(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Counts, time span, bounding box, vessels and rejects by reason, per source."""
    with Store(db_path(db), read_only=True) as store:
        s = store.summary()
    if as_json:
        out.file.write(json.dumps(s, default=output.json_default, indent=2) + "\n")
        return
    out.print(
        f"[bold]{s['positions']:,}[/] positions from [bold]{s['vessels']:,}[/] vessels; "
        f"{s['statics']:,} static reports for {s['vessels_with_statics']:,} vessels."
    )
    if s["first"] is not None:
        out.print(f"Time span: {s['first']:%Y-%m-%d %H:%M:%S} to {s['last']:%Y-%m-%d %H:%M:%S} UTC")
        w, so, e, n = s["bbox"]
        out.print(f"Bounding box: lon {w:.4f} to {e:.4f}, lat {so:.4f} to {n:.4f}")
    t = Table(title="Per source")
    for col in (
        "source",
        "files",
        "lines",
        "positions",
        "vessels",
        "statics",
        "rejects",
        "first",
        "last",
    ):
        t.add_column(col)
    by_src = {r["source"]: r for r in s["sources"]}
    for ing in s["ingests"]:
        p = by_src.get(ing["source"], {})
        t.add_row(
            ing["source"],
            str(ing["files"]),
            f"{ing['lines']:,}",
            f"{p.get('positions', 0):,}",
            f"{p.get('vessels', 0):,}",
            f"{ing['statics_added']:,}",
            f"{ing['rejects']:,}",
            f"{p['first']:%Y-%m-%d %H:%M}" if p.get("first") else "",
            f"{p['last']:%Y-%m-%d %H:%M}" if p.get("last") else "",
        )
    out.print(t)
    if s["rejects"]:
        r = Table(title="Rejected lines by reason (kept in the rejects table)")
        r.add_column("reason")
        r.add_column("lines", justify="right")
        for reason, n in s["rejects"].items():
            r.add_row(reason, f"{n:,}")
        out.print(r)


@app.command()
def vessels(
    db: DbOption = None,
    search: Annotated[str | None, typer.Option(help="Name, call sign, MMSI prefix or IMO.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows (0: all).")] = 50,
    fmt: Annotated[str, typer.Option("--format", help="table|csv|json")] = "table",
    sanctioned: Annotated[
        bool, typer.Option("--sanctioned", help="Only vessels matched to a sanctions list.")
    ] = False,
) -> None:
    """Vessels in the store with their latest identity."""
    if fmt not in ("table", "csv", "json"):
        raise UsageError(f"--format {fmt!r} is not one of table, csv, json.")
    with Store(db_path(db), read_only=True) as store:
        if sanctioned:
            from stswatch.screen import vessels_sanctioned

            tbl = vessels_sanctioned(store)
            if search:
                tbl = tbl.filter(
                    pc.match_substring(pc.utf8_upper(tbl["vessel_name"]), search.upper())
                )
            tbl = tbl.slice(0, limit or None)
            if fmt == "table":
                tbl = tbl.select(
                    ["mmsi", "vessel_name", "vessel_imo", "entry_name", "list_name", "method",
                     "confidence", "program"]
                )  # fmt: skip
            title = "Vessels matched to a sanctions list (run 'stswatch screen' after ingesting)"
        else:
            tbl = store.vessels(search, limit or None)
            title = "Vessels"
    output.emit(tbl, fmt, out, title=title)


@app.command()
def track(
    mmsi: Annotated[int, typer.Argument(help="MMSI of the vessel.")],
    db: DbOption = None,
    since: Annotated[str | None, typer.Option(help="Start time (UTC, ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="End time (UTC, ISO 8601).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table|csv|json|geojson")] = "table",
) -> None:
    """The positions of one vessel in time order."""
    if fmt not in output.OUTPUT_FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of {', '.join(output.OUTPUT_FORMATS)}.")
    with Store(db_path(db), read_only=True) as store:
        tbl = store.track(mmsi, parse_time(since, "--since"), parse_time(until, "--until"))
    if tbl.num_rows == 0:
        err.print(f"No positions for MMSI {mmsi} in that time range.")
    output.emit(tbl, fmt, out, title=f"Track of {mmsi}", line_by="mmsi")


@app.command()
def export(
    out_path: Annotated[Path, typer.Option("--out", help="File to write.")],
    db: DbOption = None,
    what: Annotated[
        str, typer.Option(help="events|positions|vessels|statics|rejects")
    ] = "positions",
    fmt: Annotated[str, typer.Option("--format", help="geojson|kml|csv|parquet")] = "parquet",
    geometry: Annotated[
        str,
        typer.Option(
            help="Positions in GeoJSON/KML: lines (one per vessel), points (one per report) "
            "or track (KML gx:Track per vessel)."
        ),
    ] = "lines",
) -> None:
    """Export a table for GIS tools or other programs.

    Parquet and CSV of positions re-ingest as they are (stswatch ingest FILE).
    """
    from stswatch.export import export as export_table

    if not out_path.parent.is_dir():
        raise UsageError(f"--out {out_path}: the directory {out_path.parent} does not exist.")
    with Store(db_path(db), read_only=True) as store:
        n = export_table(store, what, fmt, out_path, geometry)
    out.print(f"Wrote {n:,} {what} to {out_path}")
