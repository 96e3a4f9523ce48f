"""Triage: an analyst's verdict on an event (new, under review, confirmed, dismissed) and note.

Updates use optimistic concurrency: each record has a ``version`` (0 for an event nobody has
triaged); an update states the version it read and succeeds only if that is still the
current one, raising ``Stale`` with the current record otherwise. Run ``update`` inside
``Database.write`` so the check and the change are one step.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stswatch.serve import audit
from stswatch.serve.db import Con, rows

STATUSES = ("new", "under_review", "confirmed", "dismissed")
FIELDS = "event_id, status, note, version, updated_by, updated_at"


class Stale(Exception):
    """The version sent is not the current one."""

    def __init__(self, current: dict[str, Any], sent: int) -> None:
        super().__init__(f"triage version {sent} is stale; current is {current['version']}")
        self.current = current
        self.sent = sent


def get(con: Con, event_id: str) -> dict[str, Any]:
    found = rows(con, f"SELECT {FIELDS} FROM triage WHERE event_id = ?", [event_id])
    if found:
        return found[0]
    return {
        "event_id": event_id,
        "status": "new",
        "note": None,
        "version": 0,
        "updated_by": None,
        "updated_at": None,
    }


def update(
    con: Con,
    event_id: str,
    *,
    status: str,
    note: str | None,
    version: int,
    user: str,
    now: datetime | None = None,
) -> tuple[dict[str, Any], bool]:
    """Set status and note if ``version`` is current; returns (record, changed). An update
    that changes nothing keeps the version and writes no audit row."""
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    current = get(con, event_id)
    if version != current["version"]:
        raise Stale(current, version)
    note = note if note and note.strip() else None
    if status == current["status"] and note == current["note"]:
        return current, False
    new = {
        "event_id": event_id,
        "status": status,
        "note": note,
        "version": current["version"] + 1,
        "updated_by": user,
        "updated_at": now or datetime.now(UTC),
    }
    if current["version"] == 0:
        con.execute(
            f"INSERT INTO triage ({FIELDS}) VALUES (?, ?, ?, ?, ?, ?)",
            [new[k] for k in ("event_id", "status", "note", "version", "updated_by", "updated_at")],
        )
    else:
        con.execute(
            "UPDATE triage SET status = ?, note = ?, version = ?, updated_by = ?, updated_at = ? "
            "WHERE event_id = ?",
            [new["status"], note, new["version"], user, new["updated_at"], event_id],
        )

    def _brief(r: dict[str, Any]) -> dict[str, Any]:
        return {"status": r["status"], "note": r["note"], "version": r["version"]}

    audit.record(con, user, "triage.update", event_id, _brief(current), _brief(new), now)
    return new, True
