"""Commands for areas of interest: ``areas add|show|remove`` (each change re-scores)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pyarrow.compute as pc
import typer

from stswatch import output
from stswatch.areas import (
    SHOW_COLUMNS,
    areas_geojson,
    areas_in_force,
    areas_table,
    delete_area,
    read_areas,
    save_areas,
)
from stswatch.cli import app, out
from stswatch.cli.options import DbOption, db_path
from stswatch.errors import UsageError
from stswatch.score import Scores
from stswatch.score.run import rescore
from stswatch.store import Store

areas_app = typer.Typer(
    help="Areas of interest: events inside them score higher (each change re-scores).",
    no_args_is_help=True,
)
app.add_typer(areas_app, name="areas")

SHOW_FORMATS = ("table", "csv", "json", "geojson")
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]


def _inside(result: Scores) -> int:
    r = result.reasons
    return r.filter(r["factor"] == "area_of_interest")["event_id"].n_unique() if r.height else 0


@areas_app.command("add")
def areas_add(
    file: Annotated[Path, typer.Argument(help="GeoJSON file: Polygon/MultiPolygon features.")],
    name: Annotated[
        str | None,
        typer.Option(help="Name of the area (default: each feature's 'name' property)."),
    ] = None,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Add areas from a GeoJSON file (replacing areas of the same names) and re-score.

    Feature properties read: name, weight (0-1, default 1), source, description. With
    --name, several features become one MultiPolygon area.
    """
    found = read_areas(file, name)
    with Store(db_path(db)) as store, store.transaction():
        save_areas(store, found)
        result = rescore(store)
    if quiet:
        return
    for a in found:
        out.print(
            f"Added area [bold]{a.name}[/] ({a.geometry.geom_type}, weight {a.weight:g}) "
            f"from {file}."
        )
    out.print(
        f"Re-scored {result.events.height:,} events: {_inside(result):,} lie in an area of interest."
    )


@areas_app.command("show")
def areas_show(
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table|csv|json|geojson")] = "table",
) -> None:
    """The areas in force: the built-in hotspots and yours (whether built-ins count is the
    [score] builtin_areas setting)."""
    if fmt not in SHOW_FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of {', '.join(SHOW_FORMATS)}.")
    path = db_path(db)
    if Path(path).exists():
        with Store(path, read_only=True) as store:
            areas = areas_in_force(store, builtin=True)
    else:
        areas = areas_in_force(None, builtin=True)
    if fmt == "geojson":
        out.file.write(json.dumps(areas_geojson(areas)) + "\n")
        return
    tbl = areas_table(areas)
    if fmt == "table":  # sources are paragraphs: the start here, all of it in csv/json
        short = pc.utf8_slice_codeunits(tbl["source"], 0, 60)
        tbl = tbl.set_column(tbl.schema.get_field_index("source"), "source", short)
        tbl = tbl.select(SHOW_COLUMNS)
    output.emit(tbl, fmt, out, title="Areas of interest")


@areas_app.command("remove")
def areas_remove(
    name: Annotated[str, typer.Argument(help="Name of a user area (see areas show).")],
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Remove one of your areas, then re-score."""
    with Store(db_path(db)) as store, store.transaction():
        delete_area(store, name)
        result = rescore(store)
    if not quiet:
        out.print(
            f"Removed area [bold]{name}[/]. Re-scored {result.events.height:,} events: "
            f"{_inside(result):,} lie in an area of interest."
        )
