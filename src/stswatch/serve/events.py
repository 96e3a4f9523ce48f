"""Reading events for the API: filters, pages, map points, one event with its context.

Every event is read joined with its score (``scores``, when the store has one), its triage
status and whether either party matches a sanctions list. SQL is built from constant
fragments; every value is a DuckDB parameter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from stswatch import identity
from stswatch.output import records
from stswatch.serve.db import Con, Database, query, rows

SANCTIONED_MIN_CONFIDENCE = 0.5  # as ``vessels_sanctioned``: name-only matches below count not

SORTS = {
    "-score": "score DESC NULLS LAST, start DESC, event_id",
    "score": "score ASC NULLS LAST, start, event_id",
    "-start": "start DESC, event_id",
    "start": "start, event_id",
    "-duration": "duration_h DESC, start, event_id",
    "duration": "duration_h, start, event_id",
}

EVENT_COLUMNS = (
    'event_id, type, subtype, mmsi, other_mmsi, start, "end", lon, lat, duration_h, run_id, '
    "score, status, triage_version, sanctioned, other_sanctioned"
)


@dataclass(frozen=True)
class EventFilter:
    """What the events list, map and export select (all given conditions must hold)."""

    types: list[str] = field(default_factory=list)
    since: datetime | None = None  # events ending at or after
    until: datetime | None = None  # events starting at or before
    bbox: tuple[float, float, float, float] | None = None  # W, S, E, N; W > E crosses 180
    min_score: float | None = None
    sanctioned: bool | None = None  # either party on a list (True) or neither (False)
    statuses: list[str] = field(default_factory=list)
    mmsi: int | None = None  # either party
    event_ids: list[str] | None = None  # only these (the events inside an area)

    def where(self) -> tuple[str, list[Any]]:
        conds: list[str] = []
        params: list[Any] = []
        if self.types:
            conds.append(f'"type" IN ({", ".join("?" * len(self.types))})')
            params += self.types
        if self.since is not None:
            conds.append('"end" >= ?')
            params.append(self.since)
        if self.until is not None:
            conds.append("start <= ?")
            params.append(self.until)
        if self.bbox is not None:
            w, s, e, n = self.bbox
            conds.append("lat BETWEEN ? AND ?")
            params += [s, n]
            conds.append("lon BETWEEN ? AND ?" if w <= e else "(lon >= ? OR lon <= ?)")
            params += [w, e]
        if self.min_score is not None:
            conds.append("score >= ?")
            params.append(self.min_score)
        if self.sanctioned is not None:
            conds.append("(sanctioned OR other_sanctioned) = ?")
            params.append(self.sanctioned)
        if self.statuses:
            conds.append(f"status IN ({', '.join('?' * len(self.statuses))})")
            params += self.statuses
        if self.mmsi is not None:
            conds.append("(mmsi = ? OR other_mmsi = ?)")
            params += [self.mmsi, self.mmsi]
        if self.event_ids is not None:
            conds.append("list_contains(?, event_id)")
            params.append(self.event_ids)
        return " AND ".join(conds) or "TRUE", params


def _scores_join(db: Database, con: Con) -> tuple[str, str, str]:
    """(score expression, reasons expression, join) for the scores table if there is one."""
    if not db.has_table(con, "scores"):
        return "CAST(NULL AS DOUBLE)", "CAST(NULL AS VARCHAR)", ""
    cols = db.columns(con, "scores")
    reasons = "arg_max(CAST(reasons AS VARCHAR), score)" if "reasons" in cols else "NULL"
    join = (
        "LEFT JOIN (SELECT event_id, max(score) AS score, "
        f"{reasons} AS reasons FROM scores GROUP BY event_id) s ON s.event_id = e.event_id"
    )
    return "s.score", "s.reasons", join


def base_sql(db: Database, con: Con) -> str:
    """Every event with score, reasons, triage status and version, sanctioned flags."""
    score, reasons, join = _scores_join(db, con)
    sanctioned = f"SELECT mmsi FROM matches WHERE confidence >= {SANCTIONED_MIN_CONFIDENCE}"
    return f"""
        SELECT e.event_id, e.type, e.subtype, e.mmsi, e.other_mmsi, e.start, e."end", e.lon,
               e.lat, e.duration_h, e.run_id, e.evidence,
               CAST({score} AS DOUBLE) AS score, {reasons} AS reasons,
               coalesce(t.status, 'new') AS status, coalesce(t.version, 0) AS triage_version,
               e.mmsi IN ({sanctioned}) AS sanctioned,
               coalesce(e.other_mmsi IN ({sanctioned}), false) AS other_sanctioned
        FROM events e LEFT JOIN triage t ON t.event_id = e.event_id {join}
    """


_NAMES = """
    names AS (
        SELECT mmsi, arg_max(name, ts) AS name FROM statics
        WHERE name IS NOT NULL
          AND mmsi IN (SELECT mmsi FROM page UNION SELECT other_mmsi FROM page)
        GROUP BY mmsi
    )
"""


def page(
    db: Database, con: Con, flt: EventFilter, sort: str, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """Total events matching and one page of them, with the vessels' latest names."""
    where, params = flt.where()
    base = base_sql(db, con)
    order = SORTS[sort]
    total = con.execute(f"SELECT count(*) FROM ({base}) ev WHERE {where}", params).fetchone()
    sql = f"""
        WITH page AS (
            SELECT {EVENT_COLUMNS} FROM ({base}) ev WHERE {where}
            ORDER BY {order} LIMIT ? OFFSET ?
        ), {_NAMES}
        SELECT page.*, n1.name AS name, n2.name AS other_name FROM page
        LEFT JOIN names n1 ON n1.mmsi = page.mmsi
        LEFT JOIN names n2 ON n2.mmsi = page.other_mmsi
        ORDER BY {order}
    """
    return (int(total[0]) if total else 0), rows(con, sql, [*params, limit, offset])


def map_points(
    db: Database, con: Con, flt: EventFilter, limit: int
) -> tuple[int, int, list[tuple[Any, ...]]]:
    """(events matching, of them with a position, rows of event_id, type, lon, lat, score,
    status, sanctioned) best first."""
    where, params = flt.where()
    base = base_sql(db, con)
    total = con.execute(
        f"SELECT count(*), count(lon) FROM ({base}) ev WHERE {where}", params
    ).fetchone()
    found = con.execute(
        f"""SELECT event_id, type, round(lon, 5), round(lat, 5), score, status,
                   sanctioned OR other_sanctioned
            FROM ({base}) ev WHERE {where} AND lon IS NOT NULL
            ORDER BY {SORTS["-score"]} LIMIT ?""",
        [*params, limit],
    ).fetchall()
    return (int(total[0]) if total else 0), (int(total[1]) if total else 0), found


def export_table(db: Database, con: Con, flt: EventFilter, sort: str) -> pa.Table:
    """Every matching event with evidence, score and reasons, in the order asked for."""
    where, params = flt.where()
    return query(
        con,
        f"SELECT * FROM ({base_sql(db, con)}) ev WHERE {where} ORDER BY {SORTS[sort]}",
        params,
    )


def one(db: Database, con: Con, event_id: str) -> dict[str, Any] | None:
    """One event with evidence and reasons (JSON text) and the vessels' names."""
    sql = f"""
        WITH page AS (SELECT * FROM ({base_sql(db, con)}) ev WHERE event_id = ?), {_NAMES}
        SELECT page.*, n1.name AS name, n2.name AS other_name FROM page
        LEFT JOIN names n1 ON n1.mmsi = page.mmsi
        LEFT JOIN names n2 ON n2.mmsi = page.other_mmsi
    """
    found = rows(con, sql, [event_id])
    return found[0] if found else None


def in_area(con: Con, area: Any) -> list[str]:
    """Ids of the events whose position lies inside ``area`` (a ``stswatch.areas.Area``)."""
    from stswatch.areas import contains

    w, s, e, n = area.geometry.bounds
    found = con.execute(
        "SELECT event_id, lon, lat FROM events WHERE lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?",
        [w, e, s, n],
    ).fetchall()
    if not found:
        return []
    inside = contains([area], [r[1] for r in found], [r[2] for r in found])[0]
    return [r[0] for r, hit in zip(found, inside.tolist(), strict=True) if hit]


def parse_json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def track(
    con: Con,
    mmsi: int,
    since: datetime | None,
    until: datetime | None,
    max_points: int,
) -> dict[str, Any]:
    """Positions of ``mmsi`` between ``since`` and ``until`` as parallel arrays; when there
    are more than ``max_points``, every k-th one (always keeping the first and last)."""
    conds: list[str] = ["mmsi = ?"]
    params: list[Any] = [mmsi]
    if since is not None:
        conds.append("ts >= ?")
        params.append(since)
    if until is not None:
        conds.append("ts <= ?")
        params.append(until)
    where = " AND ".join(conds)
    found = con.execute(
        f"""WITH t AS (
                SELECT ts, lon, lat, sog, cog, row_number() OVER (ORDER BY ts) AS rn,
                       count(*) OVER () AS n
                FROM positions WHERE {where}
            )
            SELECT ts, lon, lat, sog, cog, n FROM t
            WHERE n <= ? OR (rn - 1) % CAST(ceil(n / ?) AS BIGINT) = 0 OR rn = n
            ORDER BY ts""",
        [*params, max_points, max_points],
    ).fetchall()
    return {
        "mmsi": mmsi,
        "since": since,
        "until": until,
        "points": int(found[0][5]) if found else 0,
        "returned": len(found),
        "ts": [r[0] for r in found],
        "lon": [r[1] for r in found],
        "lat": [r[2] for r in found],
        "sog": [None if r[3] is None else round(float(r[3]), 2) for r in found],
        "cog": [None if r[4] is None else round(float(r[4]), 1) for r in found],
    }


def party(con: Con, mmsi: int) -> dict[str, Any]:
    """Latest broadcast identity, flag and list matches of one vessel."""
    ident = rows(
        con,
        """SELECT arg_max(name, ts) FILTER (WHERE name IS NOT NULL) AS name,
                  arg_max(imo, ts) FILTER (WHERE imo IS NOT NULL) AS imo,
                  arg_max(callsign, ts) FILTER (WHERE callsign IS NOT NULL) AS callsign,
                  arg_max(ship_type, ts) FILTER (WHERE ship_type IS NOT NULL) AS ship_type
           FROM statics WHERE mmsi = ?""",
        [mmsi],
    )[0]
    flag = identity.flags([mmsi]).row(0, named=True)
    return {
        "mmsi": mmsi,
        **ident,
        "flag_iso3": flag["flag_iso3"],
        "flag_country": flag["flag_country"],
        "matches": matches(con, mmsi),
    }


def matches(con: Con, mmsi: int) -> list[dict[str, Any]]:
    return rows(
        con,
        "SELECT * EXCLUDE (detail) FROM matches WHERE mmsi = ? "
        "ORDER BY confidence DESC, list_name, entry_id",
        [mmsi],
    )


def run_info(con: Con, run_id: str, with_params: bool = False) -> dict[str, Any] | None:
    found = rows(
        con,
        "SELECT run_id, started, finished, stswatch_version, config_source, params "
        "FROM runs WHERE run_id = ?",
        [run_id],
    )
    if not found:
        return None
    run = found[0]
    run["params"] = parse_json(run["params"]) if with_params else None
    return run


def window(event: dict[str, Any], hours: float) -> tuple[datetime, datetime]:
    pad = timedelta(hours=hours)
    return event["start"] - pad, event["end"] + pad


def export_records(tbl: pa.Table) -> list[dict[str, Any]]:
    """Rows of ``export_table`` as JSON-ready dicts with evidence and reasons parsed."""
    out = records(tbl)
    for r in out:
        r["evidence"] = parse_json(r.get("evidence")) or {}
        r["reasons"] = parse_json(r.get("reasons"))
    return out
