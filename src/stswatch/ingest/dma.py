"""Danish Maritime Authority (DMA) AIS CSV files (``aisdk-YYYY-MM-DD.csv``).

Header ``# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,
Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,
Draught,Destination,ETA,Data source type,A,B,C,D``. Times are ``dd/mm/yyyy HH:MM:SS`` in
UTC; ETA in the same form becomes ``MM-DDTHH:MM``. ``Unknown`` (IMO, call sign,
destination) and ``Undefined`` mean no value. A, B, C, D are the distances from the GPS
antenna to bow, stern, port and starboard. The navigational status is text and becomes its
ITU code ("Under way using engine" 0, "At anchor" 1, "Not under command" 2, "Restricted
maneuverability" 3, "Constrained by her draught" 4, "Moored" 5, "Aground" 6, "Engaged in
fishing" 7, "Under way sailing" 8, "Reserved for future amendment [HSC]" 9, "[WIG]" 10,
"Reserved for future use [11]" 11 ... [13] 13, "AIS-SART" 14, "Unknown value" 15). The ship
type is text naming a class of ITU codes; each becomes the representative (first) code of
its class: WIG 20, Fishing 30, Towing 31, Towing long/wide 32, Dredging 33, Diving 34,
Military 35, Sailing 36, Pleasure 37, Reserved 38, HSC 40, Pilot 50, SAR 51, Tug 52, Port
tender 53, Anti-pollution 54, Law enforcement 55, Spare 1 56, Spare 2 57, Medical 58, Not
party to conflict 59, Passenger 60, Cargo 70, Tanker 80, Other 90; "Undefined" is null. So
a DMA tanker is 80 whatever its hazard category (81-84 are never produced). Rows from base
stations and aids to navigation ("Type of mobile" Base Station / AtoN) are counted as
skipped, not stored. ROT, cargo type, fixing device and data source are not kept.
``--map`` can override a column; entries for columns the file lacks are ignored, so one
``--map`` may serve an ingest of several formats; ``--time-format`` is not used.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from stswatch.ingest.base import Chunk, ReadOptions
from stswatch.ingest.tabular import (
    DEFAULT_NULLS,
    NAV_STATUS_CODES,
    Layout,
    layout_for,
    read_delimited,
)

COLUMNS: dict[str, tuple[str, ...]] = {
    "ts": ("# Timestamp", "Timestamp"),
    "mmsi": ("MMSI",),
    "lat": ("Latitude",),
    "lon": ("Longitude",),
    "nav_status": ("Navigational status",),
    "sog": ("SOG",),
    "cog": ("COG",),
    "heading": ("Heading",),
    "imo": ("IMO",),
    "callsign": ("Callsign",),
    "name": ("Name",),
    "ship_type": ("Ship type",),
    "width_m": ("Width",),
    "length_m": ("Length",),
    "draught_m": ("Draught",),
    "destination": ("Destination",),
    "eta": ("ETA",),
    "to_bow": ("A",),
    "to_stern": ("B",),
    "to_port": ("C",),
    "to_starboard": ("D",),
}

# DMA "Ship type" text (lower case) -> representative ITU ship-and-cargo code.
SHIP_TYPE_CODES: dict[str, int] = {
    "wig": 20, "fishing": 30, "towing": 31, "towing long/wide": 32, "dredging": 33,
    "diving": 34, "military": 35, "sailing": 36, "pleasure": 37, "reserved": 38, "hsc": 40,
    "pilot": 50, "sar": 51, "tug": 52, "port tender": 53, "anti-pollution": 54,
    "law enforcement": 55, "spare 1": 56, "spare 2": 57, "medical": 58,
    "not party to conflict": 59, "passenger": 60, "cargo": 70, "tanker": 80, "other": 90,
}  # fmt: skip

SKIP_MOBILE = {"base station": "base_station", "aton": "aton"}
NULLS = (*DEFAULT_NULLS, "Unknown", "Undefined")


def read(stream: io.RawIOBase, opts: ReadOptions) -> Iterator[Chunk]:
    def make_layout(header: list[str]) -> Layout:
        return layout_for(
            header,
            COLUMNS,
            opts,
            hint="a DMA file starts with '# Timestamp,Type of mobile,MMSI,Latitude,Longitude'; "
            "pass --map for a different layout, or --format csv.",
            null_tokens=NULLS,
            codes={"nav_status": NAV_STATUS_CODES, "ship_type": SHIP_TYPE_CODES},
            skip=("Type of mobile", SKIP_MOBILE),
        )

    return read_delimited(stream, opts, make_layout)
