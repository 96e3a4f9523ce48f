"""Options and parsers shared by several commands."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from stswatch.errors import UsageError
from stswatch.store import default_db_path, parse_memory_limit

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="DuckDB file (default: $STSWATCH_DB or ./stswatch.duckdb)."),
]


MemoryLimitOption = Annotated[
    str | None,
    typer.Option(
        "--memory-limit",
        help="Cap on the database engine's memory, e.g. 8GB; the rest spills to a temporary "
        "directory next to the database (default: no cap, DuckDB takes 80% of RAM).",
    ),
]


def memory_limit(value: str | None) -> str | None:
    """Check ``--memory-limit`` early (before any input is read); None when not given."""
    return None if value is None else parse_memory_limit(value)


def db_path(db: str | None) -> str:
    return db or default_db_path()


def parse_time(value: str | None, option: str) -> datetime | None:
    """ISO 8601 date or date-time; naive values are taken as UTC."""
    if value is None:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        t = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(
            f"{option} {value!r} is not a date or time. Hint: use ISO 8601, e.g. 2022-01-03 or "
            "2022-01-03T12:00:00Z."
        ) from exc
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def parse_map(values: list[str] | None) -> dict[str, str]:
    """``--map mmsi=MMSI,ts=BaseDateTime`` (repeatable) into {canonical: column}."""
    mapping: dict[str, str] = {}
    for value in values or []:
        for pair in value.split(","):
            if not pair.strip():
                continue
            key, sep, col = pair.partition("=")
            if not sep or not key.strip() or not col.strip():
                raise UsageError(
                    f"--map entry {pair!r} is not NAME=COLUMN. Hint: --map mmsi=MMSI,ts=BaseDateTime,lon=LON,lat=LAT"
                )
            mapping[key.strip()] = col.strip()
    return mapping
