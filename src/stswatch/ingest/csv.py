"""Any delimited AIS table with a header, mapped with ``--map canonical=Column,...``.

Columns named exactly like stswatch's fields (``mmsi, ts, lon, lat, sog, ...``, any case)
map themselves, so ``stswatch export --format csv`` output reads back as it is; every
other column is mapped by ``--map``, e.g. ``--map mmsi=MMSI,ts=Time,lon=Longitude,
lat=Latitude`` (``mmsi``, ``ts``, ``lon`` and ``lat`` are required). The separator (comma,
semicolon, tab or pipe) is taken from the header. Times are read as described in
``stswatch.ingest.tabular`` or with ``--time-format`` (strftime), e.g. ``%Y%m%d_%H%M%S``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from stswatch.errors import InputError
from stswatch.ingest.base import Chunk, ReadOptions
from stswatch.ingest.tabular import (
    CANONICAL,
    REQUIRED,
    Layout,
    check_map,
    find_column,
    found_list,
    layout_for,
    missing_message,
    read_delimited,
    suggest_map,
)

SELF_NAMED: dict[str, tuple[str, ...]] = {canon: (canon,) for canon in CANONICAL}


def read(stream: io.RawIOBase, opts: ReadOptions) -> Iterator[Chunk]:
    def make_layout(header: list[str]) -> Layout:
        check_map(opts.column_map)
        known = {c: n for c, n in SELF_NAMED.items() if c not in opts.column_map}
        mapped = set(opts.column_map) | {c for c in known if find_column(header, c) is not None}
        missing = [c for c in REQUIRED if c not in mapped]
        if missing:
            hint = f"pass {suggest_map(header, missing)}"
            if "BaseDateTime" in header:
                hint += " or --format marinecadastre"
            hint += "."
            if not opts.column_map:
                raise InputError(
                    f"{opts.file} is a CSV file without a column mapping (found: "
                    f"{found_list(header)}). Hint: {hint}"
                )
            raise InputError(missing_message(opts.file, missing, header, hint))
        return layout_for(
            header,
            known,
            opts,
            hint="pass --map for the missing columns.",
            map_must_exist=True,
            use_time_format=True,
        )

    return read_delimited(stream, opts, make_layout)
