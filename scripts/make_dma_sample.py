"""Write data/samples/dma_gothenburg_2017-07-05.csv from the DMA points in ais_dk_cpa.gpkg.

The GeoPackage (movingpandas/qgis-trajectools, sample_data/ais_dk_cpa.gpkg) holds 255 real
Danish Maritime Authority AIS points of two vessels near Gothenburg on 2017-07-05. This
script writes them back in the DMA CSV layout (``# Timestamp,Type of mobile,MMSI,...``):
the timestamp is the original DMA text, latitude and longitude come from the point geometry
(rounded to the 6 decimals DMA writes, which removes the reprojection noise of the
GeoPackage), and MMSI, navigational status, SOG, COG, name and ship type are copied. Every
field the GeoPackage lacks is left empty. Rows are in time order, as DMA writes them.

Usage: python scripts/make_dma_sample.py [GPKG] [OUT]
"""

from __future__ import annotations

import csv
import sqlite3
import struct
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GPKG = REPO.parent / "shared" / "data" / "movingpandas-samples" / "ais_dk_cpa.gpkg"
OUT = REPO / "data" / "samples" / "dma_gothenburg_2017-07-05.csv"

HEADER = [
    "# Timestamp", "Type of mobile", "MMSI", "Latitude", "Longitude", "Navigational status",
    "ROT", "SOG", "COG", "Heading", "IMO", "Callsign", "Name", "Ship type", "Cargo type",
    "Width", "Length", "Type of position fixing device", "Draught", "Destination", "ETA",
    "Data source type", "A", "B", "C", "D",
]  # fmt: skip
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def point_lon_lat(blob: bytes) -> tuple[float, float]:
    """(x, y) of a GeoPackage point: 'GP' header (+ envelope), then a WKB point."""
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    flags = blob[3]
    wkb = blob[8 + _ENVELOPE_BYTES[(flags >> 1) & 0b111] :]
    order = "<" if wkb[0] == 1 else ">"
    (geom_type,) = struct.unpack(order + "I", wkb[1:5])
    if geom_type != 1:
        raise ValueError(f"geometry type {geom_type} is not a 2-D point")
    x, y = struct.unpack(order + "dd", wkb[5:21])
    return x, y


def _number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def main(gpkg: Path = GPKG, out: Path = OUT) -> int:
    con = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    rows = con.execute(
        'SELECT geom, "Timestamp", MMSI, NavStatus, SOG, COG, Name, ShipType '
        "FROM ais_dk_cpa ORDER BY t, MMSI, fid"
    ).fetchall()
    con.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        for geom, stamp, mmsi, nav, sog, cog, name, ship_type in rows:
            lon, lat = point_lon_lat(geom)
            record = dict.fromkeys(HEADER, "")
            record.update(
                {
                    "# Timestamp": stamp,
                    "MMSI": str(mmsi),
                    "Latitude": f"{lat:.6f}",
                    "Longitude": f"{lon:.6f}",
                    "Navigational status": nav or "",
                    "SOG": _number(sog),
                    "COG": _number(cog),
                    "Name": name or "",
                    "Ship type": ship_type or "",
                }
            )
            writer.writerow([record[h] for h in HEADER])
    print(f"wrote {len(rows)} rows to {out}")
    return 0


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:3]]
    sys.exit(main(*args))
