"""Writing Arrow tables for people and programs: Rich tables, CSV, JSON, GeoJSON."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
from rich.console import Console
from rich.table import Table

OUTPUT_FORMATS = ("table", "csv", "json", "geojson")


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat().replace("+00:00", "Z")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def json_default(v: Any) -> Any:
    """``json.dumps(default=...)`` for dates, decimals and anything else printable."""
    out = _jsonable(v)
    return str(v) if out is v else out


def records(tbl: pa.Table) -> list[dict[str, Any]]:
    return [{k: _jsonable(v) for k, v in row.items()} for row in tbl.to_pylist()]


def to_csv(tbl: pa.Table) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(tbl.column_names)
    for row in records(tbl):
        w.writerow(
            [
                "" if v is None else (json.dumps(v) if isinstance(v, dict | list) else v)
                for v in row.values()
            ]
        )
    return buf.getvalue()


def to_json(tbl: pa.Table) -> str:
    return json.dumps(records(tbl), indent=2, ensure_ascii=False)


def points_geojson(tbl: pa.Table, line_by: str | None = None) -> dict[str, Any]:
    """GeoJSON FeatureCollection: one Point per row, or one LineString per ``line_by`` value."""
    rows = records(tbl)
    if line_by is None:
        feats = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                "properties": {k: v for k, v in r.items() if k not in ("lon", "lat")},
            }
            for r in rows
        ]
        return {"type": "FeatureCollection", "features": feats}
    groups: dict[Any, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r[line_by], []).append(r)
    feats = []
    for key, pts in groups.items():
        coords = [[p["lon"], p["lat"]] for p in pts]
        geom = (
            {"type": "LineString", "coordinates": coords}
            if len(coords) > 1
            else {"type": "Point", "coordinates": coords[0]}
        )
        feats.append(
            {
                "type": "Feature",
                "geometry": geom,
                "properties": {
                    line_by: key,
                    "start": pts[0].get("ts"),
                    "end": pts[-1].get("ts"),
                    "points": len(pts),
                    "times": [p.get("ts") for p in pts],
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def rich_table(tbl: pa.Table, title: str | None = None, max_rows: int = 200) -> Table:
    t = Table(title=title, show_lines=False)
    for name in tbl.column_names:
        t.add_column(name, overflow="fold")
    for row in records(tbl.slice(0, max_rows)):
        t.add_row(
            *[
                "" if v is None else (f"{v:.5g}" if isinstance(v, float) else str(v))
                for v in row.values()
            ]
        )
    if tbl.num_rows > max_rows:
        t.caption = f"{max_rows} of {tbl.num_rows:,} rows shown; use --format csv for all"
    return t


def emit(
    tbl: pa.Table, fmt: str, console: Console, title: str | None = None, line_by: str | None = None
) -> None:
    if fmt == "table":
        console.print(rich_table(tbl, title))
    elif fmt == "csv":
        console.file.write(to_csv(tbl))
    elif fmt == "json":
        console.file.write(to_json(tbl) + "\n")
    elif fmt == "geojson":
        console.file.write(json.dumps(points_geojson(tbl, line_by)) + "\n")
