"""A ``Dossier`` rendered as one self-contained HTML file, and that HTML printed to PDF.

The HTML carries its stylesheet inline and every picture as a ``data:`` URI (the map as
PNG, the charts as SVG), and the positions as an embedded CSV download, so the file can be
mailed, archived or opened offline and shows the same thing everywhere. The PDF is the
same HTML printed by WeasyPrint (A4, page numbers in the footer).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import re
from datetime import UTC, date, datetime
from functools import cache
from importlib.resources import files
from typing import Any

import jinja2
import numpy as np
import polars as pl

from stswatch import __version__
from stswatch.report import charts, maps
from stswatch.report.basemap import extent_deg
from stswatch.report.gather import Dossier, Vessel

TEMPLATE = "report.html.j2"
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
MAX_TABLE_ROWS = 3000  # positions listed in the table; the embedded CSV holds them all
POSITION_COLUMNS = [
    "mmsi", "ts", "lon", "lat", "sog", "cog", "heading", "nav_status", "msg_type", "source",
    "station", "batch_id",
]  # fmt: skip
NUMERIC = {"lon", "lat", "sog", "cog", "heading", "nav_status", "msg_type"}
CLOSEUP_MAX_SHARE = 0.3  # a close-up is drawn when the event period fills less of the overview
CLOSEUP_MIN_SPAN_KM = 0.5  # the close-up is at least this tall

# ITU-R M.1371 table 53, first digit (second for 30-39 and 50-59): a word for the code.
_SHIP_TYPE_WORDS = {
    2: "wing in ground", 4: "high-speed craft", 6: "passenger", 7: "cargo", 8: "tanker",
    9: "other",
}  # fmt: skip
_SHIP_TYPE_EXACT = {
    30: "fishing", 31: "towing", 32: "towing (large)", 33: "dredging", 34: "diving",
    35: "military", 36: "sailing", 37: "pleasure craft", 50: "pilot", 51: "search and rescue",
    52: "tug", 53: "port tender", 54: "anti-pollution", 55: "law enforcement", 58: "medical",
}  # fmt: skip


# --- formatting -------------------------------------------------------------------------


def _dt(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def fmt_when(value: Any) -> str:
    t = _dt(value)
    if t is None:
        return "—" if value is None else str(value)
    t = t.astimezone(UTC)
    return (
        t.strftime("%Y-%m-%d %H:%M:%S")
        + (f".{t.microsecond:06d}" if t.microsecond else "")
        + " UTC"
    )


def fmt_cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.10g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, str) and _ISO_TIME.match(value):
        return value.replace("T", " ").removesuffix("Z")
    if isinstance(value, datetime):
        return fmt_when(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def fmt_hours(h: Any) -> str:
    if h is None:
        return "—"
    h = float(h)
    if h < 1:
        return f"{h * 60:.0f} min"
    if h < 48:
        return f"{h:.2f} h"
    return f"{h:.1f} h ({h / 24:.1f} days)"


def fmt_lat(v: Any) -> str:
    return "—" if v is None else f"{abs(float(v)):.5f}°{'N' if float(v) >= 0 else 'S'}"


def fmt_lon(v: Any) -> str:
    return "—" if v is None else f"{abs(float(v)):.5f}°{'E' if float(v) >= 0 else 'W'}"


def fmt_ship_type(code: Any) -> str:
    if code is None:
        return "—"
    c = int(code)
    word = _SHIP_TYPE_EXACT.get(c) or (_SHIP_TYPE_WORDS.get(c // 10) if 20 <= c < 100 else None)
    return f"{c} ({word})" if word else str(c)


def flat_rows(rows: Any, max_columns: int = 10) -> bool:
    """Whether a list reads best as one table: objects of scalars, not too many keys."""
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        return False
    scalar = all(not isinstance(v, dict | list) for r in rows for v in r.values())
    return scalar and len(union_keys(rows)) <= max_columns


def union_keys(rows: list[dict[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for r in rows:
        keys.update(dict.fromkeys(r))
    return list(keys)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load_template),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters.update(
        when=fmt_when,
        cell=fmt_cell,
        hours=fmt_hours,
        lat=fmt_lat,
        lon=fmt_lon,
        ship_type=fmt_ship_type,
        union_keys=union_keys,
        flat_rows=flat_rows,
        int_sep=lambda v: "—" if v is None else f"{int(v):,}",
        g=lambda v: f"{float(v):g}",
        points=lambda v: "—" if v is None else f"{float(v):.1f}".removesuffix(".0"),
    )
    return env


def _resource(name: str) -> str:
    return (files("stswatch.report") / "templates" / name).read_text(encoding="utf-8")


def _load_template(name: str) -> str:
    return _resource(name)


def data_uri(payload: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


# --- pictures ---------------------------------------------------------------------------


def _tracks(d: Dossier, colors: dict[int, str], labels: dict[int, str]) -> list[maps.Track]:
    out = []
    for m in d.mmsis:
        p = d.positions.filter(pl.col("mmsi") == m)
        out.append(
            maps.Track(
                mmsi=m,
                label=labels[m],
                color=colors[m],
                ts=p["ts"].dt.replace_time_zone(None).to_numpy().astype("datetime64[us]"),
                lon=p["lon"].to_numpy().astype(np.float64),
                lat=p["lat"].to_numpy().astype(np.float64),
            )
        )
    return out


def _event_lonlat(d: Dossier) -> tuple[float, float] | None:
    lon, lat = d.event.get("lon"), d.event.get("lat")
    return None if lon is None or lat is None else (float(lon), float(lat))


def pictures(d: Dossier, colors: dict[int, str], labels: dict[int, str]) -> dict[str, Any]:
    start, end = _dt(d.event["start"]), _dt(d.event["end"])
    assert start is not None and end is not None
    tracks = _tracks(d, colors, labels)
    at = _event_lonlat(d)
    out: dict[str, Any] = {
        "map_uri": data_uri(maps.render_map(tracks, start, end, at), "image/png"),
        "map_caption": (
            f"Reports of {' and '.join(labels[m] for m in d.mmsis)} from {fmt_when(d.since)} "
            f"to {fmt_when(d.until)} (the event ± {d.window_h:g} h); circle: first report, "
            "square: last report, thick: during the event, star: the event's position."
            if d.positions.height
            else f"No position report of {' and '.join(labels[m] for m in d.mmsis)} from "
            f"{fmt_when(d.since)} to {fmt_when(d.until)}: nothing to draw."
        ),
        "closeup_uri": None,
        "closeup_caption": None,
    }
    plon, plat = maps.period_points(tracks, start, end)
    all_lon = np.concatenate([t.lon for t in tracks])
    all_lat = np.concatenate([t.lat for t in tracks])
    if plon.size >= 2 and extent_deg(plon, plat) < CLOSEUP_MAX_SHARE * extent_deg(all_lon, all_lat):
        closeup = maps.render_map(
            tracks, start, end, at, focus=(plon, plat), min_span_km=CLOSEUP_MIN_SPAN_KM,
            style=maps.MapStyle(height_in=4.2),
        )  # fmt: skip
        out["closeup_uri"] = data_uri(closeup, "image/png")
        out["closeup_caption"] = (
            "Close-up of the event period: the same tracks, framed on the reports between "
            "the event's start and end."
        )
    evidence = d.event["evidence"] if isinstance(d.event["evidence"], dict) else {}
    limit = evidence.get("max_distance_m") if d.event["type"] == "encounter" else None
    svg, cap = charts.distance_chart(
        d.positions, d.mmsis, labels, colors, start, end, d.since, d.until, at,
        limit_m=float(limit) if isinstance(limit, int | float) else None,
    )  # fmt: skip
    out["distance_uri"], out["distance_caption"] = data_uri(svg, "image/svg+xml"), cap
    svg, cap = charts.speed_chart(
        d.positions, d.mmsis, labels, colors, start, end, d.since, d.until
    )
    out["speed_uri"], out["speed_caption"] = data_uri(svg, "image/svg+xml"), cap
    return out


# --- tables -----------------------------------------------------------------------------


def _records(df: pl.DataFrame | None) -> list[dict[str, Any]]:
    return [] if df is None else df.to_dicts()


def _vessel_context(v: Vessel, color: str, event_end: datetime) -> dict[str, Any]:
    hist = _records(v.history)
    current = [
        i for i, h in enumerate(hist) if h["first_ts"] is not None and h["first_ts"] <= event_end
    ]
    at = current[-1] if current else (0 if hist else None)
    for i, h in enumerate(hist):
        h["at_event"] = i == at
    return {
        "mmsi": v.mmsi,
        "role": v.role,
        "name": v.name,
        "label": v.label,
        "color": color,
        "mid": v.flag.get("mid"),
        "flag_iso3": v.flag.get("flag_iso3"),
        "flag_country": v.flag.get("flag_country"),
        "history": hist,
        "voyage": _records(v.voyage),
        "matches": None if v.matches is None else _records(v.matches),
    }


def positions_context(d: Dossier, max_rows: int = MAX_TABLE_ROWS) -> dict[str, Any]:
    """The positions table (columns with a value in some row; times without "UTC", the
    header says so) and the CSV of every column, embedded as a data URI."""
    from stswatch.export import ISO_US

    cols = [c for c in POSITION_COLUMNS if c in d.positions.columns]
    df = d.positions.select(cols)
    csv = df.write_csv(datetime_format=ISO_US).encode("utf-8")
    shown = [c for c in cols if c in ("mmsi", "ts", "lon", "lat") or df[c].null_count() < df.height]
    start, end = _dt(d.event["start"]), _dt(d.event["end"])
    inside = df["ts"].is_between(start, end).to_list() if df.height else []
    table = (
        df.head(max_rows)
        .select(
            [pl.col("ts").dt.to_string("%Y-%m-%d %H:%M:%S%.f")]
            + [
                pl.col(c).cast(pl.Float64).round(3) if c in ("sog", "cog") else pl.col(c)
                for c in shown
                if c != "ts"
            ]
        )
        .select(shown)
    )
    rows = [
        {
            "cells": [
                "—" if v is None else f"{v:.6f}" if c in ("lon", "lat") else fmt_cell(v)
                for c, v in zip(shown, values, strict=True)
            ],
            "in_event": k,
        }
        for values, k in zip(table.iter_rows(), inside, strict=False)
    ]
    # for print: the same rows as a fixed-width listing (WeasyPrint lays out long tables slowly)
    widths = [max([len(c), *(len(r["cells"][i]) for r in rows)]) for i, c in enumerate(shown)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if c in NUMERIC else v.ljust(w)
            for c, v, w in zip(shown, cells, widths, strict=True)
        ).rstrip()

    return {
        "header": line(shown),
        "lines": [(line(r["cells"]), r["in_event"]) for r in rows],
        "columns": shown,
        "hidden": [c for c in cols if c not in shown],
        "numeric": NUMERIC,
        "rows": rows,
        "total": df.height,
        "shown": min(df.height, max_rows),
        "csv_uri": data_uri(csv, "text/csv"),
        "csv_name": f"stswatch-event-{d.event_id}-positions.csv",
        "csv_bytes": len(csv),
        "csv_sha256": hashlib.sha256(csv).hexdigest(),
    }


def params_rows(run: dict[str, Any] | None, event_type: str) -> list[dict[str, Any]]:
    """Detector settings of the run, the event's own detector (and track settings) first."""
    params = (run or {}).get("params")
    if not isinstance(params, dict):
        return []
    order = sorted(params, key=lambda s: (s not in (event_type, "tracks"), s != event_type, s))
    return [
        {
            "section": section,
            "name": name,
            "value": json.dumps(value) if isinstance(value, dict | list) else fmt_cell(value),
            "current": section in (event_type, "tracks"),
        }
        for section in order
        if isinstance(params[section], dict)
        for name, value in params[section].items()
    ]


def _score_context(score: dict[str, Any] | None) -> dict[str, Any] | None:
    if score is None:
        return None
    value = score.get("score")
    if isinstance(value, float):
        value = round(value, 1)
    band = "low"
    if isinstance(value, int | float):
        band = "high" if value >= 70 else "mid" if value >= 40 else "low"
    known = {"event_id", "score", "reasons", "run_id", "computed_at"}
    other = {k: v for k, v in score.items() if k not in known}
    return {
        "value": fmt_cell(value).removesuffix(".0")
        if isinstance(value, float)
        else fmt_cell(value),
        "band": band,
        "reasons": score.get("reasons") or [],
        "computed_at": score.get("computed_at"),
        "run_id": score.get("run_id"),
        "other": other,
    }


def context(
    d: Dossier, now: datetime | None = None, with_pictures: bool = True, for_print: bool = False
) -> dict[str, Any]:
    """Everything the template needs."""
    colors = {m: maps.VESSEL_COLORS[i % len(maps.VESSEL_COLORS)] for i, m in enumerate(d.mmsis)}
    labels = {v.mmsi: v.label for v in d.vessels}
    end = _dt(d.event["end"])
    assert end is not None
    kind = d.event["type"].replace("_", " ") + (
        f" ({d.event['subtype'].replace('_', ' ')})" if d.event.get("subtype") else ""
    )
    ctx: dict[str, Any] = {
        "version": __version__,
        "generated": fmt_when((now or datetime.now(UTC)).replace(microsecond=0)),
        "css": _resource("report.css"),
        "event": d.event,
        "kind": kind,
        "since": d.since,
        "until": d.until,
        "window_h": d.window_h,
        "vessels": [_vessel_context(v, colors[v.mmsi], end) for v in d.vessels],
        "score": _score_context(d.score),
        "scored_table": d.scored_table,
        "positions": positions_context(d),
        "run": d.run,
        "params": params_rows(d.run, d.event["type"]),
        "ingests": _records(d.ingests),
        "lists": _records(d.lists),
        "db_path": d.db_path,
        "for_print": for_print,
    }
    if with_pictures:
        ctx.update(pictures(d, colors, labels))
    return ctx


def render_html(d: Dossier, now: datetime | None = None, for_print: bool = False) -> str:
    """The report as one self-contained HTML document; ``for_print`` lists the positions as
    fixed-width text instead of a table (the same rows) for WeasyPrint."""
    return environment().get_template(TEMPLATE).render(**context(d, now, for_print=for_print))


def render_pdf(html: str) -> bytes:
    """The HTML printed to PDF by WeasyPrint. Only ``data:`` URIs may be fetched: a report
    never loads anything from outside its own file."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    buf = io.BytesIO()
    HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf(buf)
    return buf.getvalue()
