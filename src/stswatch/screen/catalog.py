"""The lists kept in the store: add (or replace), remove, show. Each change re-screens.

A list is stored under a name with its format, file, SHA-256, version date and load time
(``lists``) and its vessel entries (``list_entries``). Adding under a name that exists
replaces that list in one transaction, so a newer version swaps in and the matches are
recomputed; loading an *older* version over a newer one needs ``force``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa

from stswatch import __version__, schema
from stswatch.errors import UsageError
from stswatch.screen.lists import loader, read_list
from stswatch.screen.match import Params, Screening
from stswatch.screen.run import has_table, rescreen
from stswatch.store import Store

KEY = ["mmsi", "list_name", "entry_id"]
LIST_COLUMNS = [
    "name", "format", "version", "entries", "with_imo", "with_mmsi", "invalid_imo", "loaded_at",
    "version_source", "source_file", "sha256",
]  # fmt: skip


@dataclass(frozen=True)
class ListChange:
    """What adding or removing a list did."""

    record: dict[str, object]  # the lists row (for a removal: the row removed)
    replaced_version: date | None  # version of the list it replaced, if any
    screening: Screening
    gained: pl.DataFrame  # matches (mmsi, list_name, entry_id, ...) that are new
    lost: pl.DataFrame  # matches that are gone


def _sha256(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def _matches(store: Store) -> pl.DataFrame:
    df = pl.from_arrow(store.query("SELECT * FROM matches"))
    assert isinstance(df, pl.DataFrame)
    return df


def _existing(store: Store, name: str) -> dict[str, object] | None:
    rows = store.query("SELECT * FROM lists WHERE name = ?", [name]).to_pylist()
    return rows[0] if rows else None


def _delta(before: pl.DataFrame, after: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return after.join(before, on=KEY, how="anti"), before.join(after, on=KEY, how="anti")


def add_list(
    store: Store,
    path: str | Path,
    *,
    name: str | None = None,
    fmt: str = "auto",
    version: date | None = None,
    force: bool = False,
    params: Params | None = None,
    now: datetime | None = None,
) -> ListChange:
    """Read a list file and store it under ``name`` (default: the format's usual name),
    replacing a list of that name, then re-screen the store."""
    path = Path(path)
    now = now or datetime.now(UTC)
    fmt_used, read, version_date, version_source = read_list(path, fmt, version)
    name = name or loader(fmt_used).DEFAULT_NAME
    old = _existing(store, name)
    old_version = old["version"] if old else None
    if isinstance(old_version, date) and version_date < old_version and not force:
        raise UsageError(
            f"{path} is version {version_date} but the list {name!r} loaded is {old_version}, "
            "newer. Hint: pass --force to load the older version anyway, or --name to keep both."
        )
    sha, size = _sha256(path)
    entries = read.entries
    record: dict[str, object] = {
        "name": name,
        "format": fmt_used,
        "source_file": str(path),
        "sha256": sha,
        "size_bytes": size,
        "version": version_date,
        "version_source": version_source,
        "loaded_at": now,
        "entries": entries.height,
        "with_imo": int(entries["imo"].is_not_null().sum()),
        "with_mmsi": int((entries["mmsis"].list.len() > 0).sum()),
        "invalid_imo": int((entries["imo"].is_not_null() & ~entries["imo_valid"]).sum()),
        "stswatch_version": __version__,
    }
    rows = entries.with_columns(pl.lit(name).alias("list_name")).select(schema.LIST_ENTRIES.names)
    with store.transaction():
        before = _matches(store)
        store.con.execute("DELETE FROM list_entries WHERE list_name = ?", [name])
        store.con.execute("DELETE FROM lists WHERE name = ?", [name])
        store.con.register("new_list", pa.Table.from_pylist([record], schema=schema.LISTS))
        store.con.register("new_entries", rows.to_arrow().cast(schema.LIST_ENTRIES))
        try:
            store.con.execute("INSERT INTO lists SELECT * FROM new_list")
            store.con.execute("INSERT INTO list_entries SELECT * FROM new_entries")
        finally:
            store.con.unregister("new_list")
            store.con.unregister("new_entries")
        result = rescreen(store, params, now)
    gained, lost = _delta(before, result.matches)
    replaced = old_version if isinstance(old_version, date) else None
    return ListChange(record, replaced, result, gained, lost)


def remove_list(
    store: Store, name: str, params: Params | None = None, now: datetime | None = None
) -> ListChange:
    """Remove a list and its entries, then re-screen."""
    old = _existing(store, name)
    if old is None:
        have = [r["name"] for r in store.query("SELECT name FROM lists ORDER BY name").to_pylist()]
        raise UsageError(
            f"No list named {name!r} is loaded (have: {', '.join(have) or 'none'}). "
            "Hint: 'stswatch lists show' prints the loaded lists."
        )
    with store.transaction():
        before = _matches(store)
        store.con.execute("DELETE FROM list_entries WHERE list_name = ?", [name])
        store.con.execute("DELETE FROM lists WHERE name = ?", [name])
        result = rescreen(store, params, now)
    gained, lost = _delta(before, result.matches)
    version = old["version"] if isinstance(old["version"], date) else None
    return ListChange(old, version, result, gained, lost)


def lists_table(store: Store) -> pa.Table:
    """The loaded lists: name, format, version, entries, with IMO, with MMSI, loaded at, ..."""
    if not has_table(store, "lists"):
        return schema.LISTS.empty_table().select(LIST_COLUMNS)
    return store.query(
        f"SELECT {', '.join(LIST_COLUMNS)} FROM lists ORDER BY name"  # constant column names
    )
