"""Commands over events: detect, events, settings."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import pyarrow as pa
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from stswatch import output
from stswatch.cli import app, err, out
from stswatch.cli.options import DbOption, MemoryLimitOption, db_path, memory_limit, parse_time
from stswatch.config import load, settings_table
from stswatch.detect.runner import Window, default_params, detect_store
from stswatch.errors import UsageError
from stswatch.score.run import SORTS, scored_events
from stswatch.store import Store

EVENT_FORMATS = ("table", "csv", "json", "geojson")


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    try:
        w, s, e, n = (float(v) for v in value.split(","))
    except ValueError as exc:
        raise UsageError(
            f"--bbox {value!r} is not W,S,E,N. Hint: --bbox 119,24,127,41 (degrees)."
        ) from exc
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s < n <= 90):
        raise UsageError(f"--bbox {value!r} is out of range: lon -180..180, lat -90..90, S < N.")
    return (w, s, e, n)


@app.command()
def detect(
    db: DbOption = None,
    since: Annotated[str | None, typer.Option(help="Start of the window (UTC, ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="End of the window (UTC, ISO 8601).")] = None,
    bbox: Annotated[str | None, typer.Option(help="Area W,S,E,N in degrees.")] = None,
    config: Annotated[str | None, typer.Option(help="TOML file with detector settings.")] = None,
    window_hours: Annotated[
        float | None,
        typer.Option(
            help="Detect window by window, this many hours each (24: day by day; 0: all in "
            "memory). Default: all in memory when it fits, else day by day or shorter."
        ),
    ] = None,
    memory_limit_: MemoryLimitOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Find encounters, loitering, gaps, spoofing, identity changes and port visits.

    Re-running over the same window replaces that window's events; it never duplicates them.
    Windowed runs (--window-hours, or chosen to fit --memory-limit) find the same events as
    one run over all the data (docs/detection.md, "Windows and memory").
    """
    from stswatch.geo import default_geo

    cfg = load(config, default_params())
    window = Window(parse_time(since, "--since"), parse_time(until, "--until"), parse_bbox(bbox))
    if window_hours is not None and not 0 <= window_hours <= 24 * 366:
        raise UsageError(f"--window-hours {window_hours:g} is out of range. Hint: 24, 6 or 0.")
    limit = memory_limit(memory_limit_)
    total = None if limit is None else size_bytes(limit)
    started = time.perf_counter()
    # DuckDB gets a quarter of the limit; the windows are sized to fit in the rest.
    duck = None if total is None else f"{max(total // 4, 64 << 20) // (1 << 20)}MiB"
    with Store(db_path(db), memory_limit=duck) as store:
        with err.status("Loading reference geography...", spinner="dots") if not quiet else _null():
            geo = default_geo()

        def step(name: str) -> None:
            if not quiet:
                err.print(f"  running {name}...", highlight=False)

        with _window_progress(quiet) as on_window:
            result = detect_store(
                store,
                cfg,
                window,
                geo=geo,
                progress=step,
                window_h=window_hours,
                memory_limit=None if total is None else total - total // 4,
                on_window=on_window,
            )
    if quiet:
        return
    counts = (
        result.events.group_by("type").len().sort("type").rows() if result.events.height else []
    )
    elapsed = time.perf_counter() - started
    how = f" in {result.windows} windows of {result.window_h:g} h" if result.window_h else ""
    out.print(
        f"{result.positions:,} positions{how} in {elapsed:.1f} s: {result.events.height:,} "
        f"events (run {result.run_id})"
        + ("; " + ", ".join(f"{t} {n:,}" for t, n in counts) if counts else "")
    )


_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS.update({"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40})


def size_bytes(spelled: str) -> int:
    """Bytes in a checked memory limit such as ``8GB`` or ``512MiB``."""
    text = spelled.strip().lower()
    unit = text.lstrip("0123456789. ")
    return int(float(text[: len(text) - len(unit)]) * _UNITS[unit.strip()])


@contextmanager
def _window_progress(quiet: bool) -> Iterator[Callable[[int, int, int], None] | None]:
    """A progress bar over time windows (positions read per second), shown once windowed."""
    if quiet:
        yield None
        return
    with Progress(
        TextColumn("  windows"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = None
        t0 = time.perf_counter()
        read = 0

        def update(done: int, total: int, n: int) -> None:
            nonlocal task, read
            read += n
            rate = f"{read / max(time.perf_counter() - t0, 1e-9):,.0f} positions/s"
            if task is None:
                task = bar.add_task("windows", total=total, rate=rate)
            bar.update(task, completed=done, rate=rate)

        yield update


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def event_records(tbl: pa.Table) -> list[dict[str, Any]]:
    """Events as JSON-ready dicts with the evidence (and score reasons) parsed."""
    rows = output.records(tbl)
    for r in rows:
        r["evidence"] = json.loads(r["evidence"]) if r.get("evidence") else {}
        if "reasons" in r:
            r["reasons"] = json.loads(r["reasons"]) if r["reasons"] else []
    return rows


def events_geojson(tbl: pa.Table) -> dict[str, Any]:
    feats = []
    for r in event_records(tbl):
        props = {k: v for k, v in r.items() if k not in ("lon", "lat")}
        geom = None if r["lon"] is None else {"type": "Point", "coordinates": [r["lon"], r["lat"]]}
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": feats}


@app.command()
def events(
    db: DbOption = None,
    type_: Annotated[str | None, typer.Option("--type", help="Only this event type.")] = None,
    mmsi: Annotated[int | None, typer.Option(help="Only events involving this MMSI.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table|csv|json|geojson")] = "table",
    limit: Annotated[int, typer.Option(help="At most this many (0: all).")] = 0,
    sort: Annotated[
        str, typer.Option(help="start: oldest first; score: riskiest first (docs/scoring.md).")
    ] = "start",
    min_score: Annotated[
        float | None, typer.Option(help="Only events scoring at least this (0-100).")
    ] = None,
) -> None:
    """List stored events with their risk scores, oldest (or riskiest) first."""
    if fmt not in EVENT_FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of {', '.join(EVENT_FORMATS)}.")
    if sort not in SORTS:
        raise UsageError(f"--sort {sort!r} is not one of {', '.join(SORTS)}.")
    if min_score is not None and not 0 <= min_score <= 100:
        raise UsageError(f"--min-score {min_score:g} is outside 0-100. Hint: --min-score 50.")
    conds: list[str] = ["TRUE"]
    params: list[Any] = []
    if type_:
        conds.append('"type" = ?')
        params.append(type_)
    if mmsi is not None:
        conds.append("(mmsi = ? OR other_mmsi = ?)")
        params += [mmsi, mmsi]
    with Store(db_path(db), read_only=True) as store:
        tbl = scored_events(store, " AND ".join(conds), params, sort=sort, min_score=min_score)
    if limit:
        tbl = tbl.slice(0, limit)
    if fmt == "json":
        out.file.write(json.dumps(event_records(tbl), indent=2) + "\n")
    elif fmt == "geojson":
        out.file.write(json.dumps(events_geojson(tbl)) + "\n")
    elif fmt == "csv":
        out.file.write(output.to_csv(tbl))
    else:
        view = tbl.select(
            [
                "event_id",
                "type",
                "subtype",
                "mmsi",
                "other_mmsi",
                "start",
                "duration_h",
                "lon",
                "lat",
                "score",
            ]
        )
        out.print(output.rich_table(view, title=f"{tbl.num_rows:,} events"))


@app.command()
def settings(
    config: Annotated[str | None, typer.Option(help="TOML file with detector settings.")] = None,
) -> None:
    """Every detector setting with its value in force and what it means."""
    cfg = load(config, default_params())
    t = Table(title=f"Settings ({cfg.source})")
    for col in ("section", "setting", "value", "help"):
        t.add_column(col, overflow="fold")
    for row in settings_table(cfg.detectors):
        t.add_row(row["section"], row["setting"], str(row["default"]), row["help"])
    out.print(t)
