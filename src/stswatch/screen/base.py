"""What every list loader shares: the entries frame it returns and a few parsing helpers.

A list loader is a module in ``stswatch.screen`` (or any package, registered under the
``stswatch.lists`` entry-point group) with

* ``FORMAT``: the name used with ``--format`` (``ofac``, ``un``, ...);
* ``DEFAULT_NAME``: the list name used when ``lists add`` gets no ``--name``;
* ``sniff(path, head) -> bool``: whether the file looks like this format (``head`` is the
  first 64 KiB);
* ``read(path) -> ListFile``: the vessel entries, in ``ENTRY_SCHEMA`` (the ``list_entries``
  table without ``list_name``), and the list's own version date where it states one;

and a module docstring that describes the format in one paragraph. Loaders keep every
vessel entry they can read; they never match or drop on IMO validity (``imo_valid`` says).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from stswatch import schema
from stswatch.identity import imo_valid_expr


def polars_schema(arrow: pa.Schema, drop: tuple[str, ...] = ()) -> pl.Schema:
    """The Polars schema of one of the ``stswatch.schema`` tables."""
    full = pl.DataFrame(arrow.empty_table()).schema
    return pl.Schema({name: dtype for name, dtype in full.items() if name not in drop})


ENTRY_SCHEMA = polars_schema(schema.LIST_ENTRIES, drop=("list_name",))

HEAD_BYTES = 65536


@dataclass(frozen=True)
class ListFile:
    """Vessel entries read from one list file, with the version the file states (if any)."""

    entries: pl.DataFrame  # ENTRY_SCHEMA
    version: date | None = None
    version_source: str | None = None  # "file name", "dateGenerated", ...


def entries_frame(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` conformed to ``ENTRY_SCHEMA``: missing columns null, ``imo_valid`` computed,
    empty lists null, blank names dropped."""
    out = df.with_columns(
        [pl.lit(None, dtype=t).alias(c) for c, t in ENTRY_SCHEMA.items() if c not in df.columns]
    ).select([pl.col(c).cast(t) for c, t in ENTRY_SCHEMA.items()])
    lists = [c for c, t in ENTRY_SCHEMA.items() if isinstance(t, pl.List)]
    return out.with_columns(
        imo_valid_expr(pl.col("imo")).alias("imo_valid"),
        *[
            pl.when(pl.col(c).list.drop_nulls().list.len() > 0)
            .then(pl.col(c).list.drop_nulls())
            .alias(c)
            for c in lists
        ],
        pl.col("name").str.strip_chars(),
    ).filter(pl.col("name").is_not_null() & (pl.col("name") != ""))


def rows_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Entry rows built one by one (XML, JSON) as a frame in ``ENTRY_SCHEMA`` (keys a row
    lacks are null)."""
    return pl.DataFrame(rows, schema=ENTRY_SCHEMA)


def blank_to_null(col: pl.Expr, blanks: tuple[str, ...] = ("", "-0-", "na", "n/a")) -> pl.Expr:
    """Trimmed text; the list's ways of writing "nothing" become null."""
    text = col.cast(pl.String).str.strip_chars()
    return pl.when(text.str.to_lowercase().is_in(list(blanks))).then(None).otherwise(text)


def split_list(col: pl.Expr, sep: str = "|") -> pl.Expr:
    """``"A | B | "`` -> ``["A", "B"]`` (trimmed, blanks dropped); null stays null."""
    return col.str.split(sep).list.eval(
        pl.element().str.strip_chars().filter(pl.element().str.len_chars() > 0)
    )


DATE_FORMATS = ("%Y-%m-%d", "%d-%b-%y", "%d-%b-%Y", "%d %B %Y", "%d/%m/%Y", "%Y%m%d")


def dates_expr(text: pl.Expr) -> pl.Expr:
    """Dates written in any of ``DATE_FORMATS`` (the first that parses); else null."""
    return pl.coalesce([text.str.strip_chars().str.to_date(f, strict=False) for f in DATE_FORMATS])


def date_in_name(path: Path) -> date | None:
    """A date written in the file name (``sdn_2024-05-03.csv``, ``sdn20240503.csv``)."""
    m = re.search(r"(?<!\d)(\d{4})[-_.]?(\d{2})[-_.]?(\d{2})(?!\d)", path.name)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def parse_date(text: str | None) -> date | None:
    """ISO dates and date-times (``2024-05-02T19:00:04.937Z``), else None."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).date()
    except ValueError:
        return None


def json_value(value: Any) -> Any:
    """Empty containers and blank strings become None (for compact ``extra`` JSON)."""
    if value in ("", [], {}):
        return None
    return value
