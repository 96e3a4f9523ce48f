"""Stored tables written as files that other tools open as they are.

``export(store, what, fmt, path)`` writes one table of the store:

* ``events``: GeoJSON Points (every field; the evidence as an object), KML Placemarks
  (a TimeSpan, a style per event type, every field as ExtendedData), CSV, Parquet;
* ``positions``: GeoJSON or KML with one line per vessel (``geometry="lines"``), one point
  per report (``"points"``) or, KML only, one ``gx:Track`` per vessel (``"track"``); CSV and
  Parquet that ``stswatch ingest`` reads back as they are;
* ``vessels``: the latest identity of each MMSI, as a point at its last position in
  GeoJSON and KML;
* ``statics`` and ``rejects``: CSV and Parquet (they have no position).

Coordinates are written exactly as stored (shortest round-trip decimal form). A track that
crosses the antimeridian is cut there into several lines, with no invented vertex, so GIS
tools do not draw it across the whole world (RFC 7946, section 3.1.9). KML follows the OGC
KML 2.2 schema (plus Google's ``gx`` extension for tracks); tests validate both formats.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from stswatch import output
from stswatch.errors import UsageError
from stswatch.store import Store

WHATS = ("events", "positions", "vessels", "statics", "rejects")
FORMATS = ("geojson", "kml", "csv", "parquet")
GEOMETRIES = ("lines", "points", "track")

ISO_US = "%Y-%m-%dT%H:%M:%S%.fZ"  # 2022-01-03T00:00:05Z, or .123456Z with microseconds
KML_NS = "http://www.opengis.net/kml/2.2"
GX_NS = "http://www.google.com/kml/ext/2.2"

# One colour per vessel or event type, as RGB hex; KML writes them as aabbggrr.
PALETTE = (
    "1f77b4", "d62728", "2ca02c", "ff7f0e", "9467bd", "8c564b", "e377c2", "17becf", "bcbd22",
)  # fmt: skip
EVENT_TYPES = ("encounter", "loitering", "gap", "spoofing", "identity_change", "port_visit")

_QUERIES = {
    "events": 'SELECT * FROM events ORDER BY start, "type", mmsi, event_id',
    "positions": "SELECT * FROM positions ORDER BY mmsi, ts, lon, lat",
    "statics": "SELECT * FROM statics ORDER BY mmsi, ts",
    "rejects": "SELECT * FROM rejects ORDER BY batch_id, line_no",
}
_LAST_POSITION_SQL = """
    SELECT mmsi, arg_max(lon, ts) AS lon, arg_max(lat, ts) AS lat, max(ts) AS last_position_ts
    FROM positions GROUP BY mmsi
"""


def read_table(store: Store, what: str) -> pa.Table:
    """The rows of ``what`` in a stable order (``vessels``: one row per MMSI with its last
    position as ``lon``, ``lat``)."""
    if what not in WHATS:
        raise UsageError(f"--what {what!r} is not one of {', '.join(WHATS)}.")
    if what != "vessels":
        return store.query(_QUERIES[what])
    vessels = pl.from_arrow(store.vessels())
    last = pl.from_arrow(store.query(_LAST_POSITION_SQL))
    assert isinstance(vessels, pl.DataFrame) and isinstance(last, pl.DataFrame)
    return vessels.join(last, on="mmsi", how="left", maintain_order="left").to_arrow()


def export(store: Store, what: str, fmt: str, path: Path, geometry: str = "lines") -> int:
    """Write ``what`` as ``fmt`` to ``path``; the number of rows exported."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}.")
    if geometry not in GEOMETRIES:
        raise UsageError(f"--geometry {geometry!r} is not one of {', '.join(GEOMETRIES)}.")
    if fmt in ("geojson", "kml") and what in ("statics", "rejects"):
        raise UsageError(
            f"{what} have no position, so they cannot be written as {fmt}. "
            "Hint: use --format csv or --format parquet."
        )
    if geometry == "track" and not (fmt == "kml" and what == "positions"):
        raise UsageError(
            "--geometry track makes one gx:Track per vessel: it is for --what positions "
            "--format kml only. Hint: use --geometry lines or points."
        )
    tbl = read_table(store, what)
    write_table(tbl, what, fmt, path, geometry)
    return tbl.num_rows


def write_table(tbl: pa.Table, what: str, fmt: str, path: Path, geometry: str = "lines") -> None:
    if fmt == "parquet":
        pq.write_table(tbl, path, compression="zstd")
    elif fmt == "csv":
        to_csv_file(tbl, path)
    elif fmt == "geojson":
        with path.open("w", encoding="utf-8") as f:
            if what == "events":
                json.dump(events_geojson(tbl), f, ensure_ascii=False)
            elif what == "positions" and geometry == "lines":
                json.dump(tracks_geojson(tbl), f, ensure_ascii=False)
            else:
                write_points_geojson(tbl, f)
    else:
        with path.open("w", encoding="utf-8") as f:
            if what == "events":
                write_events_kml(tbl, f)
            elif what == "positions" and geometry != "points":
                write_tracks_kml(tbl, f, gx_track=geometry == "track")
            else:
                write_points_kml(tbl, f, title=what)


# --- CSV --------------------------------------------------------------------------------


def to_csv_file(tbl: pa.Table, path: Path) -> None:
    """CSV with a header; times as ISO 8601 UTC (``...Z``), which ``stswatch ingest`` reads."""
    df = pl.from_arrow(tbl)
    assert isinstance(df, pl.DataFrame)
    df.write_csv(path, datetime_format=ISO_US, date_format="%Y-%m-%d")


# --- GeoJSON ----------------------------------------------------------------------------


def _feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def events_geojson(tbl: pa.Table) -> dict[str, Any]:
    """One Point Feature per event (geometry null when the event has no position); every
    field a property, ``evidence`` parsed into an object."""
    feats = []
    for r in output.records(tbl):
        r["evidence"] = json.loads(r["evidence"]) if r.get("evidence") else {}
        lon, lat = r.pop("lon"), r.pop("lat")
        geom = None if lon is None or lat is None else {"type": "Point", "coordinates": [lon, lat]}
        feats.append({"type": "Feature", "id": r["event_id"], "geometry": geom, "properties": r})
    return _feature_collection(feats)


def _iso(col: str) -> pl.Expr:
    return pl.col(col).dt.to_string(ISO_US)


def _times_as_text(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(
        [_iso(c) for c, t in df.schema.items() if isinstance(t, pl.Datetime)]
        + [pl.col(c).cast(pl.Utf8) for c, t in df.schema.items() if t == pl.Date]
    )


def write_points_geojson(tbl: pa.Table, f: IO[str]) -> None:
    """One Point Feature per row (rows without a position get a null geometry); every other
    column a property. Encoded column-wise, so millions of rows take seconds."""
    df = _times_as_text(_frame(tbl))
    props = [c for c in df.columns if c not in ("lon", "lat")]
    geometry = (
        pl.when(pl.col("lon").is_not_null() & pl.col("lat").is_not_null())
        .then(pl.struct(pl.lit("Point").alias("type"), pl.concat_list("lon", "lat").alias("coordinates")))
        .alias("geometry")
    )  # fmt: skip
    feature = pl.struct(
        pl.lit("Feature").alias("type"), geometry, pl.struct(props).alias("properties")
    )
    lines = df.select(feature.struct.json_encode().alias("f"))["f"]
    f.write('{"type": "FeatureCollection", "features": [\n')
    for i, line in enumerate(lines):
        f.write(line if i == 0 else ",\n" + line)
    f.write("\n]}\n")


def track_parts(lon: np.ndarray) -> list[slice]:
    """Slices of one vessel's time-ordered reports cut where a step crosses the antimeridian
    (a longitude jump of more than 180 degrees); no vertex is added or moved."""
    cuts = np.flatnonzero(np.abs(np.diff(lon)) > 180.0) + 1
    bounds = [0, *cuts.tolist(), lon.size]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _track_geometry(coords: list[list[float]], parts: list[slice]) -> dict[str, Any]:
    pieces = [coords[p] for p in parts]
    if len(pieces) == 1:
        if len(pieces[0]) == 1:
            return {"type": "Point", "coordinates": pieces[0][0]}
        return {"type": "LineString", "coordinates": pieces[0]}
    if all(len(p) > 1 for p in pieces):
        return {"type": "MultiLineString", "coordinates": pieces}
    return {
        "type": "GeometryCollection",
        "geometries": [
            {"type": "LineString", "coordinates": p}
            if len(p) > 1
            else {"type": "Point", "coordinates": p[0]}
            for p in pieces
        ],
    }


def vessel_groups(tbl: pa.Table) -> Iterator[tuple[int, pl.DataFrame]]:
    """(mmsi, its reports in time order) for each vessel of a positions table."""
    df = _frame(tbl).sort("mmsi", "ts", maintain_order=True)
    for (mmsi,), group in df.group_by("mmsi", maintain_order=True):
        yield int(mmsi), group


def tracks_geojson(tbl: pa.Table) -> dict[str, Any]:
    """One Feature per vessel: a LineString of its reports in time order (MultiLineString
    when cut at the antimeridian, Point for a single report). Properties: mmsi, start, end,
    points, and ``times``, the time of each vertex in order."""
    feats = []
    for mmsi, g in vessel_groups(tbl):
        lon, lat = g["lon"].to_numpy(), g["lat"].to_numpy()
        coords = np.column_stack([lon, lat]).tolist()
        times = g.select(_iso("ts"))["ts"].to_list()
        feats.append(
            {
                "type": "Feature",
                "id": str(mmsi),
                "geometry": _track_geometry(coords, track_parts(lon)),
                "properties": {
                    "mmsi": mmsi,
                    "start": times[0],
                    "end": times[-1],
                    "points": len(times),
                    "sources": sorted(set(g["source"].to_list())),
                    "times": times,
                },
            }
        )
    return _feature_collection(feats)


def _frame(tbl: pa.Table) -> pl.DataFrame:
    df = pl.from_arrow(tbl)
    assert isinstance(df, pl.DataFrame)
    return df


# --- KML --------------------------------------------------------------------------------


def kml_color(rgb: str, alpha: str = "ff") -> str:
    """KML colour (aabbggrr) of an RGB hex colour."""
    return f"{alpha}{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}"


def _kml_open(f: IO[str], name: str, gx: bool = False) -> None:
    ns = f' xmlns:gx="{GX_NS}"' if gx else ""
    f.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="{KML_NS}"{ns}>\n<Document>\n')
    f.write(f"<name>{escape(name)}</name>\n<open>1</open>\n")


def _kml_close(f: IO[str]) -> None:
    f.write("</Document>\n</kml>\n")


def _style(style_id: str, rgb: str, line_width: float = 2.0, icon_scale: float = 0.8) -> str:
    return (
        f"<Style id={quoteattr(style_id)}><IconStyle><color>{kml_color(rgb)}</color>"
        f"<scale>{icon_scale:g}</scale></IconStyle><LabelStyle><scale>0</scale></LabelStyle>"
        f"<LineStyle><color>{kml_color(rgb)}</color><width>{line_width:g}</width></LineStyle>"
        "</Style>\n"
    )


def _extended_data(values: dict[str, Any]) -> str:
    cells = "".join(
        f"<Data name={quoteattr(k)}><value>{escape(_kml_value(v))}</value></Data>"
        for k, v in values.items()
    )
    return f"<ExtendedData>{cells}</ExtendedData>"


def _kml_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _coord(lon: float, lat: float) -> str:
    return f"{lon!r},{lat!r}"


def _time_span(begin: str | None, end: str | None) -> str:
    b = f"<begin>{begin}</begin>" if begin else ""
    e = f"<end>{end}</end>" if end else ""
    return f"<TimeSpan>{b}{e}</TimeSpan>"


def write_events_kml(tbl: pa.Table, f: IO[str]) -> None:
    """One Placemark per event: name, a one-line description, TimeSpan, a style per type,
    every field as ExtendedData (the evidence as its JSON text), a Point where it has one."""
    _kml_open(f, "stswatch events")
    for i, t in enumerate(EVENT_TYPES):
        f.write(_style(t, PALETTE[i % len(PALETTE)], icon_scale=1.0))
    for r in output.records(tbl):
        who = str(r["mmsi"]) + (f" and {r['other_mmsi']}" if r.get("other_mmsi") else "")
        kind = r["type"] + (f" ({r['subtype']})" if r.get("subtype") else "")
        desc = f"{kind} of {who}, {r['start']} to {r['end']} ({r['duration_h']:.2f} h)"
        style = f"<styleUrl>#{r['type']}</styleUrl>" if r["type"] in EVENT_TYPES else ""
        point = (
            f"<Point><coordinates>{_coord(r['lon'], r['lat'])}</coordinates></Point>"
            if r.get("lon") is not None and r.get("lat") is not None
            else ""
        )
        f.write(
            f"<Placemark id={quoteattr('event-' + r['event_id'])}>"
            f"<name>{escape(kind + ' ' + who)}</name>"
            f"<description>{escape(desc)}</description>"
            f"{_time_span(r['start'], r['end'])}{style}{_extended_data(r)}{point}</Placemark>\n"
        )
    _kml_close(f)


def write_tracks_kml(tbl: pa.Table, f: IO[str], gx_track: bool = False) -> None:
    """A Placemark per vessel with its TimeSpan and style: a LineString of its reports (a
    MultiGeometry of lines when cut at the antimeridian), or a ``gx:Track`` (one ``when``
    and ``gx:coord`` per report) that Google Earth animates with its time slider."""
    _kml_open(f, "stswatch positions", gx=gx_track)
    groups = list(vessel_groups(tbl))
    for i in range(min(len(groups), len(PALETTE))):
        f.write(_style(f"v{i}", PALETTE[i]))
    for i, (mmsi, g) in enumerate(groups):
        times = g.select(_iso("ts"))["ts"].to_list()
        lon, lat = g["lon"].to_list(), g["lat"].to_list()
        if gx_track:
            whens = "".join(f"<when>{t}</when>" for t in times)
            coords = "".join(
                f"<gx:coord>{x!r} {y!r} 0</gx:coord>" for x, y in zip(lon, lat, strict=True)
            )
            geom = f"<gx:Track>{whens}{coords}</gx:Track>"
        else:
            geom = _kml_lines(lon, lat, track_parts(np.asarray(lon)))
        info = {"mmsi": mmsi, "start": times[0], "end": times[-1], "points": len(times)}
        f.write(
            f"<Placemark id={quoteattr(f'mmsi-{mmsi}')}><name>{mmsi}</name>"
            f"<description>{len(times):,} reports, {times[0]} to {times[-1]}</description>"
            f"{_time_span(times[0], times[-1])}<styleUrl>#v{i % len(PALETTE)}</styleUrl>"
            f"{_extended_data(info)}{geom}</Placemark>\n"
        )
    _kml_close(f)


def _kml_lines(lon: list[float], lat: list[float], parts: list[slice]) -> str:
    pieces = []
    for p in parts:
        coords = " ".join(_coord(x, y) for x, y in zip(lon[p], lat[p], strict=True))
        if p.stop - p.start == 1:
            pieces.append(f"<Point><coordinates>{coords}</coordinates></Point>")
        else:
            pieces.append(
                f"<LineString><tessellate>1</tessellate><coordinates>{coords}</coordinates>"
                "</LineString>"
            )
    return pieces[0] if len(pieces) == 1 else f"<MultiGeometry>{''.join(pieces)}</MultiGeometry>"


def write_points_kml(tbl: pa.Table, f: IO[str], title: str) -> None:
    """One Placemark per row with a position: a TimeStamp (the report time, or for vessels
    the time of the last position), every other column as ExtendedData, a Point."""
    df = _times_as_text(_frame(tbl)).filter(
        pl.col("lon").is_not_null() & pl.col("lat").is_not_null()
    )
    when_col = "ts" if "ts" in df.columns else "last_position_ts"
    _kml_open(f, f"stswatch {title}")
    mmsis = df["mmsi"].unique(maintain_order=True).to_list()
    style_of = {m: f"v{i % len(PALETTE)}" for i, m in enumerate(mmsis)}
    for i in range(min(len(mmsis), len(PALETTE))):
        f.write(_style(f"v{i}", PALETTE[i], icon_scale=0.6))
    props = [c for c in df.columns if c not in ("lon", "lat")]
    for r in df.iter_rows(named=True):
        label = f"{r['mmsi']} {r['name']}" if r.get("name") else str(r["mmsi"])
        when = f"<TimeStamp><when>{r[when_col]}</when></TimeStamp>" if r.get(when_col) else ""
        f.write(
            f"<Placemark><name>{escape(label)}</name>{when}"
            f"<styleUrl>#{style_of[r['mmsi']]}</styleUrl>"
            f"{_extended_data({k: r[k] for k in props})}"
            f"<Point><coordinates>{_coord(r['lon'], r['lat'])}</coordinates></Point></Placemark>\n"
        )
    _kml_close(f)
