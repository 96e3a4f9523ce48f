"""The list loaders: found by format name, guessed from a file, and run with a version.

Loaders are modules registered under the ``stswatch.lists`` entry-point group (see ``base``
for what a loader module provides); the built-ins are registered there too, in
pyproject.toml, and a third party adds a format the same way.

``read_list`` settles the list's version date: ``--version`` when given, else the date the
file states (OFAC: its file name; UN XML: ``dateGenerated``), else the file's modification
date (UTC).
"""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

import polars as pl

from stswatch.errors import InputError, UsageError
from stswatch.screen.base import HEAD_BYTES, ListFile

GROUP = "stswatch.lists"
# Order of guessing: specific layouts first, the generic CSV watchlist last.
SNIFF_ORDER = ["un", "opensanctions", "ofac", "csv"]


@cache
def loaders() -> dict[str, ModuleType]:
    """Format name -> loader module, from the ``stswatch.lists`` entry-point group."""
    found: dict[str, ModuleType] = {}
    for ep in entry_points(group=GROUP):
        loaded = ep.load()
        found[ep.name] = (
            loaded if isinstance(loaded, ModuleType) else importlib.import_module(ep.value)
        )
    return found


def formats() -> list[str]:
    """``auto`` and every registered format, in guessing order."""
    names = list(loaders())
    return ["auto"] + [n for n in SNIFF_ORDER if n in names] + sorted(set(names) - set(SNIFF_ORDER))


def loader(fmt: str) -> ModuleType:
    found = loaders()
    if fmt not in found:
        raise UsageError(
            f"--format {fmt!r} is not a list format. Hint: use one of {', '.join(formats())}."
        )
    return found[fmt]


def sniff_format(path: Path) -> str:
    """The format of a list file, from its first bytes."""
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    for name in formats()[1:]:
        if loaders()[name].sniff(path, head):
            return name
    raise InputError(
        f"Cannot tell which list format {path} is. Hint: pass --format "
        f"{'|'.join(formats()[1:])}; a plain watchlist needs a header such as imo,mmsi,name."
    )


def read_list(
    path: Path, fmt: str = "auto", version: date | None = None
) -> tuple[str, ListFile, date, str]:
    """Read a list file: (format, entries, version date, where the version came from)."""
    if not path.is_file():
        raise InputError(f"No list file at {path}. Hint: check the path.")
    name = sniff_format(path) if fmt == "auto" else fmt
    try:
        read = loader(name).read(path)
    except (pl.exceptions.PolarsError, ValueError, KeyError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path} could not be read with --format {name} ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0]}). Hint: check --format (or leave it auto)."
        ) from exc
    if read.entries.height == 0:
        raise InputError(
            f"{path} read with --format {name} holds no vessel entries. Hint: check --format (or "
            "leave it auto); 'stswatch lists remove NAME' removes a list."
        )
    if version is not None:
        return name, read, version, "option"
    if read.version is not None:
        return name, read, read.version, read.version_source or name
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).date()
    return name, read, mtime, "file mtime"
