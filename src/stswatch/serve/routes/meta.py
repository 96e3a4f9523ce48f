"""Who am I, what is in the store, the audit log (admin) and detection runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from stswatch.serve import audit, events
from stswatch.serve.db import rows
from stswatch.serve.deps import DB, Admin, Cursor, Viewer
from stswatch.serve.errors import not_found
from stswatch.serve.models import AuditPage, Me, RunInfo, Summary
from stswatch.serve.params import Limit, Offset

router = APIRouter(prefix="/api", tags=["meta"])


@router.get("/me", response_model=Me, summary="The user the token belongs to")
def me(user: Viewer) -> dict[str, Any]:
    return {"name": user.name, "role": user.role}


@router.get("/summary", response_model=Summary, summary="What the store holds")
def summary(db: DB, cur: Cursor, _: Viewer) -> dict[str, Any]:
    pos = cur.execute(
        "SELECT count(*), count(DISTINCT mmsi), min(ts), max(ts) FROM positions"
    ).fetchone()
    assert pos is not None
    by_type = rows(cur, 'SELECT "type", count(*) AS n FROM events GROUP BY 1 ORDER BY 1')
    by_status = rows(
        cur,
        "SELECT coalesce(t.status, 'new') AS status, count(*) AS n FROM events e "
        "LEFT JOIN triage t ON t.event_id = e.event_id GROUP BY 1 ORDER BY 1",
    )
    one = {
        t: cur.execute(f"SELECT count(*) FROM {t}").fetchone()  # constant table names
        for t in ("runs", "lists")
    }
    return {
        "positions": pos[0],
        "vessels": pos[1],
        "first": pos[2],
        "last": pos[3],
        "events": sum(r["n"] for r in by_type),
        "events_by_type": {r["type"]: r["n"] for r in by_type},
        "events_by_status": {r["status"]: r["n"] for r in by_status},
        "runs": one["runs"][0] if one["runs"] else 0,
        "lists": one["lists"][0] if one["lists"] else 0,
        "scored": db.has_table(cur, "scores"),
        "areas": db.has_table(cur, "areas"),
    }


@router.get("/runs/{run_id}", response_model=RunInfo, summary="A detection run's provenance")
def run(
    cur: Cursor, _: Viewer, run_id: Annotated[str, Path(min_length=1, max_length=100)]
) -> dict[str, Any]:
    """Version, every detector parameter in force and the config used by the run that
    stored an event (``run_id`` of the event)."""
    found = events.run_info(cur, run_id, with_params=True)
    if found is None:
        raise not_found("run", run_id, "an event's run_id names its run.")
    return found


@router.get("/audit", response_model=AuditPage, summary="The audit log, newest first (admin)")
def audit_log(
    cur: Cursor,
    _: Admin,
    user: Annotated[str | None, Query(max_length=100, description="Only this user")] = None,
    action: Annotated[
        str | None, Query(max_length=100, description="Only this action, e.g. triage.update")
    ] = None,
    target: Annotated[
        str | None, Query(max_length=200, description="Only this target (event id, ...)")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    total, items = audit.read(
        cur, user=user, action=action, target=target, limit=limit, offset=offset
    )
    return {"total": total, "limit": limit, "offset": offset, "items": items}
