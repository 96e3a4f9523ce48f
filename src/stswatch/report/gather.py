"""Everything an evidence report shows about one event, read from the store.

``gather`` collects, for an event id (or a unique prefix of one): the event with its
evidence; the positions of its vessel(s) from ``window_h`` hours before the start to
``window_h`` after the end; each vessel's identity history (``stswatch.identity.history``
over all its static reports) and the flag its MMSI implies; voyage data (destination,
draught) broadcast in the window; sanctions matches and the versions of the lists; the
score and its reasons when the event has been scored; and the provenance: the detection
run that produced the event (version, parameters, window) and the ingest batches the
positions came from. Tables that an older or partial database lacks read as missing, not
as errors.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from stswatch import identity, output
from stswatch.errors import InputError, UsageError
from stswatch.store import Store

DEFAULT_WINDOW_H = 12.0


@dataclass(frozen=True)
class Vessel:
    """One party to the event: identity runs, flag from the MID, voyage reports."""

    mmsi: int
    role: str  # "vessel" for single-vessel events, else "vessel A" / "vessel B"
    history: pl.DataFrame  # identity.history rows plus callsign_administration
    flag: dict[str, Any]  # mid, flag_iso3, flag_country, flag_administration
    voyage: pl.DataFrame  # ts, destination, draught_m, eta: changes within the window
    matches: pl.DataFrame | None  # None: no matches table (never screened)

    @property
    def name(self) -> str | None:
        names = self.history["name"].drop_nulls() if self.history.height else None
        return None if names is None or names.is_empty() else str(names[-1])

    @property
    def label(self) -> str:
        return f"{self.mmsi} {self.name}" if self.name else str(self.mmsi)


@dataclass(frozen=True)
class Dossier:
    """The facts of one event report (see the module docstring)."""

    event: dict[str, Any]  # the events row, JSON-ready, evidence parsed
    since: datetime
    until: datetime
    window_h: float
    positions: pl.DataFrame  # every column of positions, sorted by mmsi, ts
    vessels: list[Vessel]
    lists: pl.DataFrame | None
    score: dict[str, Any] | None  # None: not scored
    scored_table: bool  # whether a scores table exists at all
    run: dict[str, Any] | None
    ingests: pl.DataFrame
    db_path: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def event_id(self) -> str:
        return str(self.event["event_id"])

    @property
    def mmsis(self) -> list[int]:
        return [v.mmsi for v in self.vessels]


def has_table(store: Store, table: str) -> bool:
    row = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchone()
    return bool(row and row[0])


def _frame(store: Store, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
    df = pl.from_arrow(store.query(sql, params))
    assert isinstance(df, pl.DataFrame)
    return df


def find_event(store: Store, event_id: str) -> dict[str, Any]:
    """The events row of ``event_id``, or of the one event whose id starts with it."""
    hint = "Hint: run 'stswatch events' to list the event ids (after 'stswatch detect')."
    if not has_table(store, "events"):
        raise InputError(f"{store.path} has no events table. {hint}")
    rows = store.query("SELECT * FROM events WHERE event_id = ?", [event_id])
    if rows.num_rows == 0 and event_id:
        rows = store.query(
            "SELECT * FROM events WHERE starts_with(event_id, ?) ORDER BY event_id LIMIT 6",
            [event_id],
        )
    if rows.num_rows == 0:
        raise InputError(f"No event {event_id!r} in {store.path}. {hint}")
    if rows.num_rows > 1:
        ids = ", ".join(rows.column("event_id").to_pylist()[:5])
        raise UsageError(
            f"Event id {event_id!r} is ambiguous in {store.path}: {ids}"
            f"{', ...' if rows.num_rows > 5 else ''}. Hint: give more characters of the id."
        )
    rec = output.records(rows)[0]
    rec["evidence"] = json.loads(rec["evidence"]) if rec.get("evidence") else {}
    return rec


def _as_datetime(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _vessel(store: Store, mmsi: int, role: str, since: datetime, until: datetime) -> Vessel:
    statics = _frame(
        store, "SELECT mmsi, ts, imo, name, callsign, ship_type FROM statics WHERE mmsi = ?", [mmsi]
    )
    hist = identity.history(statics) if statics.height else pl.DataFrame()
    if hist.height:
        hist = identity.callsign_lookup(hist)
    flag = identity.flags([mmsi]).row(0, named=True)
    voyage = _frame(
        store,
        """SELECT ts, destination, round(draught_m::DOUBLE, 2) AS draught_m, eta FROM statics
           WHERE mmsi = ? AND ts BETWEEN ? AND ?
             AND (destination IS NOT NULL OR draught_m IS NOT NULL)
           ORDER BY ts""",
        [mmsi, since, until],
    )
    if voyage.height:
        changed = pl.any_horizontal(
            [pl.col(c).ne_missing(pl.col(c).shift(1)) for c in ("destination", "draught_m", "eta")]
        )
        voyage = voyage.filter(changed.fill_null(True) | (pl.int_range(pl.len()) == 0))
    matches = None
    if has_table(store, "matches"):
        matches = _frame(
            store,
            "SELECT * FROM matches WHERE mmsi = ? ORDER BY confidence DESC, list_name, entry_id",
            [mmsi],
        )
    return Vessel(mmsi, role, hist, flag, voyage, matches)


def _score(store: Store, event_id: str) -> tuple[bool, dict[str, Any] | None]:
    if not has_table(store, "scores"):
        return False, None
    rows = output.records(store.query("SELECT * FROM scores WHERE event_id = ?", [event_id]))
    if not rows:
        return True, None
    row = rows[0]
    reasons = row.get("reasons")
    if isinstance(reasons, str):
        try:
            reasons = json.loads(reasons)
        except json.JSONDecodeError:
            reasons = [{"factor": "reasons", "detail": reasons}]
    row["reasons"] = reasons if isinstance(reasons, list) else []
    return True, row


def gather(store: Store, event_id: str, window_h: float = DEFAULT_WINDOW_H) -> Dossier:
    """Read what the report of ``event_id`` shows (see the module docstring)."""
    if window_h < 0:
        raise UsageError(f"--hours {window_h:g} is negative. Hint: give 0 or more hours.")
    event = find_event(store, event_id)
    start, end = _as_datetime(event["start"]), _as_datetime(event["end"])
    since, until = start - timedelta(hours=window_h), end + timedelta(hours=window_h)
    mmsis = [int(event["mmsi"])]
    if event.get("other_mmsi") is not None and int(event["other_mmsi"]) != mmsis[0]:
        mmsis.append(int(event["other_mmsi"]))
    positions = _frame(
        store,
        """SELECT * FROM positions WHERE mmsi IN (SELECT unnest(?)) AND ts BETWEEN ? AND ?
           ORDER BY mmsi, ts, lon, lat""",
        [mmsis, since, until],
    )
    roles = ["vessel"] if len(mmsis) == 1 else ["vessel A", "vessel B"]
    vessels = [_vessel(store, m, r, since, until) for m, r in zip(mmsis, roles, strict=True)]
    lists = None
    if has_table(store, "lists"):
        lists = _frame(
            store,
            """SELECT name, format, version, version_source, sha256, entries, loaded_at,
                      source_file FROM lists ORDER BY name""",
        )
    scored_table, score = _score(store, event["event_id"])
    run = None
    if event.get("run_id") and has_table(store, "runs"):
        runs = output.records(store.query("SELECT * FROM runs WHERE run_id = ?", [event["run_id"]]))
        if runs:
            run = runs[0]
            for key in ("params", "batches"):
                with contextlib.suppress(json.JSONDecodeError):
                    run[key] = json.loads(run[key]) if run.get(key) else None
    batches = positions["batch_id"].unique().sort().to_list() if positions.height else []
    ingests = _frame(
        store,
        """SELECT batch_id, file, sha256, size_bytes, format, source, finished, status,
                  positions_added, stswatch_version
           FROM ingests WHERE batch_id IN (SELECT unnest(?)) ORDER BY finished, file""",
        [batches],
    )
    return Dossier(
        event=event,
        since=since,
        until=until,
        window_h=window_h,
        positions=positions,
        vessels=vessels,
        lists=lists,
        score=score,
        scored_table=scored_table,
        run=run,
        ingests=ingests,
        db_path=store.path,
    )
