"""Pydantic models of the API's requests and responses (the OpenAPI schema derives from them).

Field descriptions of stored columns come from ``stswatch.schema``, so the API documents
the same meaning as docs/data-model.md. Times are ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from stswatch import schema

Status = Literal["new", "under_review", "confirmed", "dismissed"]
Role = Literal["viewer", "analyst", "admin"]


def _doc(table: str, name: str) -> str:
    return next(f.description for f in schema.TABLES[table] if f.name == name)


def _ev(name: str) -> Any:
    return Field(description=_doc("events", name))


class Me(BaseModel):
    name: str
    role: Role


class Event(BaseModel):
    """One event with its score, triage status and the names of the vessels."""

    event_id: str = _ev("event_id")
    type: str = _ev("type")
    subtype: str | None = _ev("subtype")
    mmsi: int = _ev("mmsi")
    other_mmsi: int | None = _ev("other_mmsi")
    start: datetime = _ev("start")
    end: datetime = _ev("end")
    lon: float | None = _ev("lon")
    lat: float | None = _ev("lat")
    duration_h: float = _ev("duration_h")
    run_id: str = _ev("run_id")
    score: float | None = Field(None, description="Risk score (scores table); null if unscored")
    status: Status = Field(description="Triage status; new when nobody triaged it")
    triage_version: int = Field(description="Version of the triage record (0: never triaged)")
    name: str | None = Field(None, description="Latest name broadcast by mmsi")
    other_name: str | None = Field(None, description="Latest name broadcast by other_mmsi")
    sanctioned: bool = Field(description="mmsi matches a list entry (confidence >= 0.5)")
    other_sanctioned: bool = Field(description="other_mmsi matches a list entry")


class EventPage(BaseModel):
    total: int = Field(description="Events matching the filters (all pages)")
    limit: int
    offset: int
    sort: str
    items: list[Event]


class Triage(BaseModel):
    event_id: str
    status: Status
    note: str | None = None
    version: int = Field(description="Send this back with an update (optimistic concurrency)")
    updated_by: str | None = None
    updated_at: datetime | None = None


class TriageUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    note: str | None = Field(None, max_length=10_000)
    version: int = Field(ge=0, description="The version of the triage record you read")


class Track(BaseModel):
    """Positions of one vessel in time order, as parallel arrays."""

    mmsi: int
    since: datetime | None
    until: datetime | None
    points: int = Field(description="Positions in the window")
    returned: int = Field(description="Positions returned (every k-th when over max_points)")
    ts: list[datetime]
    lon: list[float]
    lat: list[float]
    sog: list[float | None]
    cog: list[float | None]


class Match(BaseModel):
    mmsi: int
    vessel_name: str | None
    vessel_imo: int | None
    list_name: str
    list_version: date
    entry_id: str
    entry_name: str
    program: str | None
    method: str = Field(description=_doc("matches", "method"))
    vessel_value: str
    entry_value: str
    confidence: float
    needs_review: bool
    screened_at: datetime


class Party(BaseModel):
    """A vessel of an event: identity as broadcast, flag from the MMSI, list matches."""

    mmsi: int
    name: str | None = None
    imo: int | None = None
    callsign: str | None = None
    ship_type: int | None = None
    flag_iso3: str | None = None
    flag_country: str | None = None
    matches: list[Match]


class RunInfo(BaseModel):
    run_id: str
    started: datetime
    finished: datetime
    stswatch_version: str
    config_source: str
    params: dict[str, Any] | None = None


class EventDetail(BaseModel):
    event: Event
    evidence: dict[str, Any] = Field(description="The numbers behind the event (per type)")
    reasons: Any = Field(None, description="Why the event scored as it did (scores.reasons)")
    triage: Triage
    parties: list[Party] = Field(description="mmsi first, then other_mmsi")
    tracks: list[Track] = Field(description="Each party's track from start - hours to end + hours")
    hours: float
    run: RunInfo | None


class Vessel(BaseModel):
    mmsi: int
    name: str | None
    imo: int | None
    callsign: str | None
    ship_type: int | None
    length_m: float | None
    positions: int
    static_reports: int
    first: datetime | None
    last: datetime | None
    sanctioned: bool


class VesselPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[Vessel]


class IdentityRun(BaseModel):
    """A stretch of time over which the MMSI broadcast one identity."""

    run: int
    name: str | None
    callsign: str | None
    imo: int | None
    ship_type: int | None
    first_ts: datetime
    last_ts: datetime
    n_reports: int
    imo_valid: bool | None
    flag_iso3: str | None
    flag_country: str | None


class VesselDetail(BaseModel):
    vessel: Vessel
    history: list[IdentityRun]
    matches: list[Match]
    events_by_type: dict[str, int]


class ListInfo(BaseModel):
    name: str
    format: str
    version: date
    entries: int
    with_imo: int
    with_mmsi: int
    invalid_imo: int
    loaded_at: datetime
    version_source: str
    source_file: str
    sha256: str


class ListChange(BaseModel):
    list: ListInfo
    replaced_version: date | None
    matches: int = Field(description="Matches in the store after re-screening")
    gained: int = Field(description="Matches the change added")
    lost: int = Field(description="Matches the change removed")


class ListEntryPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[dict[str, Any]]


class UserOut(BaseModel):
    name: str
    role: Role
    token_id: str
    created: datetime


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
    role: Role


class UserCreated(BaseModel):
    user: UserOut
    token: str = Field(description="Shown once; only its hash is stored")


class AuditEntry(BaseModel):
    ts: datetime
    user: str
    action: str
    target: str
    old: Any
    new: Any


class AuditPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[AuditEntry]


class Summary(BaseModel):
    positions: int
    vessels: int
    events: int
    events_by_type: dict[str, int]
    events_by_status: dict[str, int]
    first: datetime | None
    last: datetime | None
    runs: int
    lists: int
    scored: bool = Field(description="The store has a scores table")
    areas: bool = Field(description="The store has an areas table")
