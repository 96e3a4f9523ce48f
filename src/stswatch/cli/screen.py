"""Commands for sanctions screening: ``lists add|show|remove`` and ``screen``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from stswatch import output
from stswatch.cli import app, out
from stswatch.cli.options import DbOption, db_path
from stswatch.errors import UsageError
from stswatch.screen import ListChange, Screening, add_list, lists_table, remove_list, screen_store
from stswatch.screen.lists import formats
from stswatch.store import Store

lists_app = typer.Typer(
    help="Sanctions and watch lists to screen vessels against (each change re-screens).",
    no_args_is_help=True,
)
app.add_typer(lists_app, name="lists")

MATCH_COLUMNS = [
    "mmsi", "vessel_name", "vessel_imo", "list_name", "entry_id", "entry_name", "program",
    "method", "vessel_value", "entry_value", "confidence", "needs_review",
]  # fmt: skip
SHOW_COLUMNS = [
    "name", "format", "version", "entries", "with_imo", "with_mmsi", "invalid_imo", "loaded_at",
]  # fmt: skip
TABLE_COLUMNS = [
    "mmsi", "vessel_name", "list_name", "entry_name", "method", "confidence", "needs_review",
]  # fmt: skip
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]


def _version(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise UsageError(
            f"--version {value!r} is not a date. Hint: give the list's publication date as "
            "YYYY-MM-DD, e.g. --version 2024-05-03."
        ) from exc


def _check_format(fmt: str, allowed: tuple[str, ...] | list[str]) -> None:
    if fmt not in allowed:
        raise UsageError(f"--format {fmt!r} is not one of {', '.join(allowed)}.")


def _summary(result: Screening) -> None:
    m = result.matches
    out.print(
        f"Screened {result.vessels:,} vessels against {result.entries:,} list entries: "
        f"{m.height:,} matches for {m['mmsi'].n_unique():,} vessels."
    )
    if m.height:
        t = Table(title="Matches by list and method")
        for col in ("list", "method", "matches", "vessels", "to review", "confidence"):
            t.add_column(col, justify="left" if col in ("list", "method") else "right")
        by = (
            m.group_by("list_name", "method")
            .agg(
                pl.len().alias("n"),
                pl.col("mmsi").n_unique().alias("v"),
                pl.col("needs_review").sum().alias("r"),
                pl.col("confidence").min().alias("lo"),
                pl.col("confidence").max().alias("hi"),
            )
            .sort("list_name", "method")
        )
        for r in by.iter_rows(named=True):
            t.add_row(
                r["list_name"], r["method"], f"{r['n']:,}", f"{r['v']:,}", f"{r['r']:,}",
                f"{r['lo']:.2f}-{r['hi']:.2f}",
            )  # fmt: skip
        out.print(t)
    bad = result.invalid_vessel_imos
    if bad.height:
        examples = ", ".join(f"{r['mmsi']} ({r['imo']})" for r in bad.head(5).iter_rows(named=True))
        out.print(
            f"{bad['mmsi'].n_unique():,} vessels broadcast IMO numbers that fail the check digit "
            f"and were not matched by IMO, e.g. {examples}."
        )
    for r in result.invalid_entry_imos.iter_rows(named=True):
        out.print(
            f"List {r['list_name']} entry {r['entry_id']} ({r['name']}) gives IMO {r['imo']}, "
            "which fails the check digit; it was not matched by IMO."
        )


def _change(change: ListChange, verb: str) -> None:
    rec = change.record
    out.print(
        f"{verb} list [bold]{rec['name']}[/] ({rec['format']}, version {rec['version']} from "
        f"{rec['version_source']}): {rec['entries']:,} entries, {rec['with_imo']:,} with IMO, "
        f"{rec['with_mmsi']:,} with MMSI."
    )
    if verb == "Added" and change.replaced_version is not None:
        out.print(f"It replaces version {change.replaced_version}.")
    _summary(change.screening)
    out.print(f"Matches gained: {change.gained.height:,}; lost: {change.lost.height:,}.")


@lists_app.command("add")
def lists_add(
    file: Annotated[Path, typer.Argument(help="List file (OFAC sdn.csv, UN XML/CSV, ...).")],
    name: Annotated[
        str | None, typer.Option(help="Name to keep it under (default: by format).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="auto|ofac|un|opensanctions|csv")] = "auto",
    version: Annotated[
        str | None, typer.Option("--version", help="Version date YYYY-MM-DD (default: the file's).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Load even when older than the version loaded.")
    ] = False,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Load a sanctions or watch list (replacing one of the same name) and re-screen."""
    _check_format(fmt, formats())
    with Store(db_path(db)) as store:
        change = add_list(store, file, name=name, fmt=fmt, version=_version(version), force=force)
    if not quiet:
        _change(change, "Added")


@lists_app.command("show")
def lists_show(
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table|csv|json")] = "table",
) -> None:
    """The loaded lists: name, format, version, entries, with IMO, with MMSI, loaded at."""
    _check_format(fmt, ("table", "csv", "json"))
    with Store(db_path(db), read_only=True) as store:
        tbl = lists_table(store)
    if fmt == "table" and tbl.num_rows == 0:
        out.print("No lists loaded. Hint: stswatch lists add FILE (e.g. OFAC's sdn.csv).")
        return
    if fmt == "table":
        tbl = tbl.select(SHOW_COLUMNS)
    output.emit(tbl, fmt, out, title="Lists")


@lists_app.command("remove")
def lists_remove(
    name: Annotated[str, typer.Argument(help="Name of the list (see lists show).")],
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Remove a list and its entries, then re-screen."""
    with Store(db_path(db)) as store:
        change = remove_list(store, name)
    if not quiet:
        _change(change, "Removed")


@app.command()
def screen(
    db: DbOption = None,
    min_confidence: Annotated[
        float, typer.Option(help="Print matches at least this confident (all are stored).")
    ] = 0.5,
    fmt: Annotated[str, typer.Option("--format", help="table|csv|json")] = "table",
) -> None:
    """Screen every vessel in the store against the loaded lists; replaces the matches."""
    _check_format(fmt, ("table", "csv", "json"))
    with Store(db_path(db)) as store:
        result = screen_store(store)
    shown = result.matches.filter(pl.col("confidence") >= min_confidence)
    if fmt != "table":
        output.emit(shown.select([*MATCH_COLUMNS, "detail"]).to_arrow(), fmt, out)
        return
    if result.entries == 0:
        out.print("No lists loaded, so nothing matched. Hint: stswatch lists add FILE.")
    _summary(result)
    if shown.height:
        title = f"Matches with confidence >= {min_confidence:g}"
        output.emit(shown.select(TABLE_COLUMNS).to_arrow(), fmt, out, title=title)
