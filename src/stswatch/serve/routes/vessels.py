"""Vessels: search by name, IMO or MMSI; one vessel's identity history, events and track."""

from __future__ import annotations

from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Path, Query

from stswatch import identity
from stswatch.serve import events
from stswatch.serve.db import Con, rows, store_on
from stswatch.serve.deps import DB, Cursor, Viewer
from stswatch.serve.errors import not_found
from stswatch.serve.events import SANCTIONED_MIN_CONFIDENCE, EventFilter
from stswatch.serve.models import EventPage, Track, VesselDetail, VesselPage
from stswatch.serve.params import Limit, Offset, time_range
from stswatch.serve.routes.events import Sort

router = APIRouter(prefix="/api/vessels", tags=["vessels"])

Mmsi = Annotated[int, Path(ge=0, le=999_999_999, description="MMSI of the vessel")]
NO_VESSEL_HINT = "find vessels with GET /api/vessels?q=NAME."


def _known(con: Con, mmsi: int) -> None:
    seen = con.execute(
        "SELECT 1 FROM positions WHERE mmsi = ? UNION ALL SELECT 1 FROM statics WHERE mmsi = ? "
        "LIMIT 1",
        [mmsi, mmsi],
    ).fetchone()
    if seen is None:
        raise not_found("vessel with MMSI", mmsi, NO_VESSEL_HINT)


def _sanctioned(con: Con) -> set[int]:
    found = con.execute(
        "SELECT DISTINCT mmsi FROM matches WHERE confidence >= ?", [SANCTIONED_MIN_CONFIDENCE]
    ).fetchall()
    return {r[0] for r in found}


def _vessels(db: DB, con: Con, q: str | None) -> list[dict[str, Any]]:
    found = store_on(con, db.path).vessels(q or None).to_pylist()
    hit = _sanctioned(con)
    for v in found:
        v["sanctioned"] = v["mmsi"] in hit
    return found


@router.get("", response_model=VesselPage, summary="Search vessels by name, IMO or MMSI")
def search(
    db: DB,
    cur: Cursor,
    _: Viewer,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Part of a name or call sign, an IMO number (IMO9074729) or the "
            "start of an MMSI; none lists every vessel, most positions first",
        ),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    found = _vessels(db, cur, q.strip() if q else None)
    return {
        "total": len(found),
        "limit": limit,
        "offset": offset,
        "items": found[offset : offset + limit],
    }


@router.get("/{mmsi}", response_model=VesselDetail, summary="A vessel's identity history")
def vessel(db: DB, cur: Cursor, _: Viewer, mmsi: Mmsi) -> dict[str, Any]:
    """Latest identity, every identity it broadcast (runs of name, call sign, IMO, ship type
    with first and last report), flag from the MMSI, list matches and events by type."""
    found = [v for v in _vessels(db, cur, str(mmsi)) if v["mmsi"] == mmsi]
    if not found:
        raise not_found("vessel with MMSI", mmsi, NO_VESSEL_HINT)
    statics = pl.from_arrow(
        cur.execute(
            "SELECT mmsi, ts, imo, name, callsign, ship_type FROM statics WHERE mmsi = ?", [mmsi]
        ).to_arrow_table()
    )
    assert isinstance(statics, pl.DataFrame)
    history = identity.history(statics).to_dicts() if statics.height else []
    counts = rows(
        cur,
        'SELECT "type", count(*) AS n FROM events WHERE mmsi = ? OR other_mmsi = ? '
        'GROUP BY "type" ORDER BY "type"',
        [mmsi, mmsi],
    )
    return {
        "vessel": found[0],
        "history": history,
        "matches": events.matches(cur, mmsi),
        "events_by_type": {r["type"]: r["n"] for r in counts},
    }


@router.get("/{mmsi}/events", response_model=EventPage, summary="Events a vessel took part in")
def vessel_events(
    db: DB,
    cur: Cursor,
    _: Viewer,
    mmsi: Mmsi,
    since: Annotated[str | None, Query(description="Ending at or after (ISO 8601)")] = None,
    until: Annotated[str | None, Query(description="Starting at or before (ISO 8601)")] = None,
    sort: Sort = "start",
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    t0, t1 = time_range(since, until)
    _known(cur, mmsi)
    total, items = events.page(
        db, cur, EventFilter(mmsi=mmsi, since=t0, until=t1), sort, limit, offset
    )
    return {"total": total, "limit": limit, "offset": offset, "sort": sort, "items": items}


@router.get("/{mmsi}/track", response_model=Track, summary="A vessel's positions over time")
def vessel_track(
    cur: Cursor,
    _: Viewer,
    mmsi: Mmsi,
    since: Annotated[str | None, Query(description="From (ISO 8601, UTC)")] = None,
    until: Annotated[str | None, Query(description="To (ISO 8601, UTC)")] = None,
    max_points: Annotated[
        int, Query(ge=10, le=200_000, description="Longest track returned (every k-th point)")
    ] = 10_000,
) -> dict[str, Any]:
    t0, t1 = time_range(since, until)
    _known(cur, mmsi)
    return events.track(cur, mmsi, t0, t1, max_points)
