"""Plain CSV watchlists: one vessel per row, columns found by their header.

The simplest layout is ``imo,mmsi,name,note`` (any subset, at least one of imo, mmsi and
name). Other headers are mapped by ``COLUMNS`` below, which covers the EU, Australian and New
Zealand vessel lists as ammitto publishes them (``imo_number``, ``vessel_name`` / ``names``
/ ``name``, ``date_of_application`` / ``control_date`` / ``date_of_sanction``, ``reference``
/ ``unique_identifier``). Several MMSIs or names in one cell are separated by ``|`` or
``;``; an IMO may be written ``IMO 9610810``; former names written into the name
(``Bodhi (formerly Robon)``, as the EU list does) become ``former_names``. Columns not mapped are kept in ``extra``. A
row without an id gets its 1-based row number. The file states no version; the file's date
is used.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from stswatch.errors import InputError
from stswatch.screen.base import ListFile, blank_to_null, dates_expr, entries_frame, split_list

FORMAT = "csv"
DEFAULT_NAME = "watchlist"

# Entry field -> header names that mean it (compared lower-cased, spaces as underscores).
COLUMNS: dict[str, tuple[str, ...]] = {
    "imo": ("imo", "imo_number", "imo_no", "imonumber", "imo_numbers"),
    "mmsi": ("mmsi", "mmsis", "mmsi_number"),
    "name": ("name", "names", "vessel_name", "vessel", "ship_name", "vesselname"),
    "remarks": ("note", "notes", "remarks", "comment", "comments"),
    "entry_id": ("id", "entry_id", "reference", "unique_identifier", "list_no"),
    "listed_on": (
        "listed_on", "date_of_application", "control_date", "date_of_sanction",
        "designation_date", "date_listed",
    ),
    "flag": ("flag", "flags", "flag_state"),
    "call_sign": ("call_sign", "callsign", "call_signs"),
    "vessel_type": ("vessel_type", "ship_type"),
    "program": ("program", "programme", "programs", "regime"),
}  # fmt: skip


# "Bodhi (formerly Robon)", "Noctis (formerly Luna; Asher)", "X (ex Y)": former names
# written into the name, as the EU list does (one EU entry lacks the closing parenthesis).
FORMERLY = r"(?i)\s*\((?:formerly|ex[- ]|f\.?k\.?a\.?)\s*([^)]*)\)?\s*$"


def _key(header: str) -> str:
    return header.strip().lower().replace(" ", "_").replace("-", "_")


def mapping(headers: list[str]) -> dict[str, str]:
    """Entry field -> the file's column, for the headers this layout knows."""
    found: dict[str, str] = {}
    keys = {_key(h): h for h in headers}
    for field, names in COLUMNS.items():
        for name in names:
            if name in keys:
                found[field] = keys[name]
                break
    return found


def sniff(path: Path, head: bytes) -> bool:
    first = head.decode("utf-8", "replace").lstrip("\ufeff").splitlines()[:1]
    headers = first[0].split(",") if first else []
    return bool({"imo", "mmsi", "name"} & set(mapping(headers)))


def _many(col: str) -> pl.Expr:
    return split_list(pl.col(col).str.replace_all(";", "|"))


def read(path: Path) -> ListFile:
    try:
        raw = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"{path} is not a readable CSV file ({exc}).") from exc
    cols = mapping(raw.columns)
    if not {"imo", "mmsi", "name"} & set(cols):
        raise InputError(
            f"{path} has none of the columns imo, mmsi, name (found: {', '.join(raw.columns)}). "
            "Hint: give the watchlist a header line such as imo,mmsi,name,note."
        )
    raw = raw.with_columns([blank_to_null(pl.col(c)).alias(c) for c in raw.columns])
    if "name" in cols:
        text = pl.col(cols["name"])
        names = split_list(text.str.replace(FORMERLY, "").str.replace_all(";", "|"))
        former = split_list(text.str.extract(FORMERLY, 1).str.replace_all(";", "|"))
    else:
        names = former = pl.lit(None, pl.List(pl.String))
    imo = (
        pl.col(cols["imo"]).str.extract(r"(\d+)", 1).cast(pl.Int64, strict=False)
        if "imo" in cols
        else pl.lit(None, pl.Int64)
    )
    mmsis = (
        _many(cols["mmsi"]).list.eval(pl.element().cast(pl.Int64, strict=False))
        if "mmsi" in cols
        else pl.lit(None, pl.List(pl.Int64))
    )
    label = pl.coalesce(
        names.list.first(),
        pl.concat_str(pl.lit("IMO "), imo.cast(pl.String)),
        pl.concat_str(pl.lit("MMSI "), mmsis.list.first().cast(pl.String)),
    )
    rest = [c for c in raw.columns if c not in cols.values()]
    df = raw.with_row_index("_row", offset=1).select(
        (pl.col(cols["entry_id"]) if "entry_id" in cols else pl.col("_row").cast(pl.String))
        .fill_null(pl.col("_row").cast(pl.String))
        .alias("entry_id"),
        label.alias("name"),
        names.list.slice(1).alias("aliases"),
        former.alias("former_names"),
        imo.alias("imo"),
        mmsis.alias("mmsis"),
        *[
            _many(cols[src]).alias(dst)
            for src, dst in (("flag", "flags"), ("call_sign", "call_signs"))
            if src in cols
        ],
        *[pl.col(cols[f]).alias(f) for f in ("vessel_type", "program", "remarks") if f in cols],
        *(
            [dates_expr(split_list(pl.col(cols["listed_on"])).list.first()).alias("listed_on")]
            if "listed_on" in cols
            else []
        ),
        (pl.struct(rest).struct.json_encode() if rest else pl.lit(None, pl.String)).alias("extra"),
    )
    return ListFile(entries_frame(df))
