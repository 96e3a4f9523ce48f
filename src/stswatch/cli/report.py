"""Commands over one event: report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stswatch.cli import app, out
from stswatch.cli.options import DbOption, db_path
from stswatch.errors import UsageError
from stswatch.store import Store


@app.command()
def report(
    event_id: Annotated[str, typer.Argument(help="Event id (or a unique prefix of one).")],
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", help="html|pdf")] = "html",
    out_path: Annotated[
        Path | None,
        typer.Option("--out", help="File to write (default: stswatch-event-ID.html or .pdf)."),
    ] = None,
    hours: Annotated[
        float, typer.Option(help="Hours of track to show before and after the event.")
    ] = 12.0,
) -> None:
    """Write a self-contained evidence report of one event (map, charts, identities,
    sanctions matches, score, the positions used and their provenance)."""
    from stswatch.report import REPORT_FORMATS, build_report

    if fmt not in REPORT_FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of {', '.join(REPORT_FORMATS)}.")
    if out_path is not None and not out_path.parent.is_dir():
        raise UsageError(f"--out {out_path}: the directory {out_path.parent} does not exist.")
    with Store(db_path(db), read_only=True) as store:
        dossier, payload = build_report(store, event_id, fmt, hours)
    target = out_path or Path(f"stswatch-event-{dossier.event_id}.{fmt}")
    target.write_bytes(payload)
    out.print(
        f"Wrote the {fmt.upper()} report of {dossier.event['type']} {dossier.event_id} "
        f"({dossier.positions.height:,} positions) to {target}",
        highlight=False,
    )
