"""Query parameters shared by several endpoints, parsed with messages that say what to send."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

from stswatch.serve.db import store_on
from stswatch.serve.deps import DB, Cursor
from stswatch.serve.errors import invalid
from stswatch.serve.events import EventFilter, in_area
from stswatch.serve.models import Status

MAX_PAGE = 1000

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page")]
Offset = Annotated[int, Query(ge=0, description="Items to skip")]


def parse_time(name: str, value: str | None) -> datetime | None:
    """ISO 8601 date or date-time; naive values are UTC."""
    if value is None:
        return None
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise invalid(
            name, value, "not an ISO 8601 date or time; e.g. 2022-01-03 or 2022-01-03T12:00:00Z"
        ) from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    try:
        w, s, e, n = (float(v) for v in value.split(","))
    except ValueError:
        raise invalid("bbox", value, "not W,S,E,N in degrees; e.g. bbox=119,24,127,41") from None
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s < n <= 90):
        raise invalid("bbox", value, "out of range: longitudes -180..180, latitudes -90..90, S < N")
    return (w, s, e, n)


def time_range(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    t0, t1 = parse_time("since", since), parse_time("until", until)
    if t0 is not None and t1 is not None and t0 > t1:
        raise invalid("until", until, f"earlier than since ({since})")
    return t0, t1


def event_filter(
    db: DB,
    cur: Cursor,
    type_: Annotated[
        list[str] | None,
        Query(
            alias="type",
            description="Event type (repeat for several): encounter, loitering, gap, ...",
        ),
    ] = None,
    since: Annotated[
        str | None, Query(description="Events ending at or after (ISO 8601, UTC)")
    ] = None,
    until: Annotated[
        str | None, Query(description="Events starting at or before (ISO 8601, UTC)")
    ] = None,
    bbox: Annotated[
        str | None,
        Query(description="Area W,S,E,N in degrees (W > E crosses the antimeridian)"),
    ] = None,
    min_score: Annotated[float | None, Query(description="Only events scoring at least")] = None,
    sanctioned: Annotated[
        bool | None, Query(description="true: a party is on a list; false: neither is")
    ] = None,
    status: Annotated[
        list[Status] | None, Query(description="Triage status (repeat for several)")
    ] = None,
    mmsi: Annotated[
        int | None, Query(ge=0, le=999_999_999, description="Events involving this MMSI")
    ] = None,
    area: Annotated[
        str | None,
        Query(max_length=200, description="Events inside this area (GET /api/areas)"),
    ] = None,
) -> EventFilter:
    t0, t1 = time_range(since, until)
    ids = None
    if area is not None:
        from stswatch.areas import areas_in_force

        known = {a.name: a for a in areas_in_force(store_on(cur, db.path))}
        if area not in known:
            raise invalid("area", area, f"no such area (have: {', '.join(sorted(known))})")
        ids = in_area(cur, known[area])
    return EventFilter(
        types=[t for t in type_ or [] if t],
        since=t0,
        until=t1,
        bbox=parse_bbox(bbox),
        min_score=min_score,
        sanctioned=sanctioned,
        statuses=list(status or []),
        mmsi=mmsi,
        event_ids=ids,
    )
