"""Events: the ranked list, map points, exports, one event with its context, and triage."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse
from starlette.background import BackgroundTask

from stswatch.serve import events, triage
from stswatch.serve.deps import DB, Analyst, Cursor, Viewer
from stswatch.serve.errors import ApiError, not_found
from stswatch.serve.events import EventFilter
from stswatch.serve.models import EventDetail, EventPage, Triage, TriageUpdate
from stswatch.serve.params import Limit, Offset, event_filter

router = APIRouter(prefix="/api", tags=["events"])

Filter = Annotated[EventFilter, Depends(event_filter)]
Sort = Annotated[
    Literal["-score", "score", "-start", "start", "-duration", "duration"],
    Query(description="Order: score, start or duration; '-' for descending"),
]
EventId = Annotated[str, PathParam(min_length=1, max_length=128)]
EXPORT_TYPES = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "kml": "application/vnd.google-earth.kml+xml",
    "parquet": "application/vnd.apache.parquet",
}
NO_EVENT_HINT = "list events with GET /api/events."


@router.get("/events", response_model=EventPage, summary="Events, filtered, sorted and paged")
def list_events(
    db: DB, cur: Cursor, _: Viewer, flt: Filter, sort: Sort = "-score", limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:  # fmt: skip
    total, items = events.page(db, cur, flt, sort, limit, offset)
    return {"total": total, "limit": limit, "offset": offset, "sort": sort, "items": items}


@router.get(
    "/map/events",
    summary="Events as compact GeoJSON points for the map, best score first",
    responses={200: {"content": {"application/geo+json": {}}}},
)
def map_events(
    db: DB,
    cur: Cursor,
    _: Viewer,
    flt: Filter,
    limit: Annotated[int, Query(ge=1, le=200_000, description="At most this many")] = 50_000,
) -> JSONResponse:
    total, positioned, found = events.map_points(db, cur, flt, limit)
    feats = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"id": eid, "type": typ, "score": score, "status": st, "s": bool(s)},
        }
        for eid, typ, lon, lat, score, st, s in found
    ]
    return JSONResponse(
        {"type": "FeatureCollection", "total": total, "without_position": total - positioned,
         "truncated": positioned > len(feats), "features": feats},
        media_type="application/geo+json",
    )  # fmt: skip


@router.get(
    "/export/events",
    summary="Every matching event as a file (GeoJSON, CSV, KML, Parquet), as the CLI writes",
    responses={200: {"content": {t: {} for t in EXPORT_TYPES.values()}}},
)
def export_events(
    db: DB,
    cur: Cursor,
    _: Viewer,
    flt: Filter,
    format: Annotated[Literal["geojson", "csv", "kml", "parquet"], Query()] = "geojson",
    sort: Sort = "start",
) -> FileResponse:
    from stswatch.export import write_table

    tbl = events.export_table(db, cur, flt, sort)
    tmp = Path(tempfile.mkdtemp(prefix="stswatch-export-"))
    path = tmp / f"events.{format}"
    write_table(tbl, "events", format, path)
    return FileResponse(
        path,
        media_type=EXPORT_TYPES[format],
        filename=path.name,
        background=BackgroundTask(_remove, tmp),
    )


def _remove(tmp: Path) -> None:
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()


@router.get("/events/{event_id}", response_model=EventDetail, summary="One event in context")
def get_event(
    db: DB,
    cur: Cursor,
    _: Viewer,
    event_id: EventId,
    hours: Annotated[
        float, Query(ge=0, le=168, description="Tracks from start - hours to end + hours")
    ] = 6.0,
    max_points: Annotated[
        int, Query(ge=10, le=50_000, description="Longest track returned (every k-th point)")
    ] = 5000,
) -> dict[str, Any]:
    """The event with its evidence, score reasons, triage record, both parties (identity,
    flag, sanctions matches), both tracks around it and the run that detected it."""
    ev = events.one(db, cur, event_id)
    if ev is None:
        raise not_found("event", event_id, NO_EVENT_HINT)
    since, until = events.window(ev, hours)
    mmsis = [ev["mmsi"]] + ([ev["other_mmsi"]] if ev["other_mmsi"] is not None else [])
    return {
        "event": ev,
        "evidence": events.parse_json(ev["evidence"]) or {},
        "reasons": events.parse_json(ev["reasons"]),
        "triage": triage.get(cur, event_id),
        "parties": [events.party(cur, m) for m in mmsis],
        "tracks": [events.track(cur, m, since, until, max_points) for m in mmsis],
        "hours": hours,
        "run": events.run_info(cur, ev["run_id"]),
    }


@router.get("/events/{event_id}/triage", response_model=Triage, summary="An event's triage")
def get_triage(db: DB, cur: Cursor, _: Viewer, event_id: EventId) -> dict[str, Any]:
    _exists(db, cur, event_id)
    return triage.get(cur, event_id)


@router.put(
    "/events/{event_id}/triage",
    response_model=Triage,
    summary="Set an event's triage status and note (analyst)",
    responses={
        409: {"description": "The version sent is stale; the body's `current` is the record"}
    },
)
def put_triage(db: DB, cur: Cursor, user: Analyst, event_id: EventId, body: TriageUpdate) -> Any:
    """Send the ``version`` you read. If someone changed the record since, nothing is
    changed and the answer is 409 with the current record, to merge and send again."""
    _exists(db, cur, event_id)
    try:
        with db.write() as w:
            record, _changed = triage.update(
                w, event_id, status=body.status, note=body.note, version=body.version,
                user=user.name,
            )  # fmt: skip
    except triage.Stale as exc:
        cur_rec = exc.current
        by = f" by {cur_rec['updated_by']} at {cur_rec['updated_at']:%Y-%m-%d %H:%M:%S}Z"
        raise ApiError(
            409,
            f"Event {event_id} was changed{by if cur_rec['updated_by'] else ''} (version "
            f"{cur_rec['version']}; you sent {exc.sent}). Nothing was changed. Hint: review the "
            "current record and send your update again with its version.",
            extra={"current": Triage(**cur_rec).model_dump(mode="json")},
        ) from None
    return record


def _exists(db: DB, cur: Cursor, event_id: str) -> None:
    if cur.execute("SELECT 1 FROM events WHERE event_id = ?", [event_id]).fetchone() is None:
        raise not_found("event", event_id, NO_EVENT_HINT)
