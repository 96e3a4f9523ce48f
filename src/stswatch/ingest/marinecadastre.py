"""MarineCadastre (NOAA/BOEM, US coastal AIS) daily CSV files.

Columns ``MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,
Status,Length,Width,Draft,Cargo,TransceiverClass``; ``BaseDateTime`` is ISO 8601 in UTC.
IMO is written ``IMO9307839`` (the prefix is dropped), a heading of 511 means "not
available" (the clean stage makes it null), and the 2023 files write whole numbers as
floats (``95.0``), which are read as integers. ``Cargo`` and ``TransceiverClass`` are not
kept: the rows are decoded reports, so ``msg_type`` and ``station`` are null.
``--map`` can override a column; entries for columns the file lacks are ignored, so one
``--map`` may serve an ingest of several formats; ``--time-format`` is not used.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from stswatch.ingest.base import Chunk, ReadOptions
from stswatch.ingest.tabular import Layout, layout_for, read_delimited

COLUMNS: dict[str, tuple[str, ...]] = {
    "mmsi": ("MMSI",),
    "ts": ("BaseDateTime",),
    "lat": ("LAT",),
    "lon": ("LON",),
    "sog": ("SOG",),
    "cog": ("COG",),
    "heading": ("Heading",),
    "name": ("VesselName",),
    "imo": ("IMO",),
    "callsign": ("CallSign",),
    "ship_type": ("VesselType",),
    "nav_status": ("Status",),
    "length_m": ("Length",),
    "width_m": ("Width",),
    "draught_m": ("Draft",),
}


def read(stream: io.RawIOBase, opts: ReadOptions) -> Iterator[Chunk]:
    def make_layout(header: list[str]) -> Layout:
        return layout_for(
            header,
            COLUMNS,
            opts,
            hint="a MarineCadastre file starts with MMSI,BaseDateTime,LAT,LON; pass --map "
            "for a different layout, or --format csv.",
        )

    return read_delimited(stream, opts, make_layout)
