"""The tables stswatch stores, declared once: Arrow schemas with a description per field.

The DuckDB DDL (``ddl``) and the data-model docs (``markdown_table``) derive from these.
Times are always ``timestamp[us, tz=UTC]`` and called ``ts``. Unavailable AIS values are
nulls, never sentinel numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Field:
    name: str
    type: pa.DataType
    description: str
    nullable: bool = True


def _schema(fields: list[Field]) -> pa.Schema:
    return pa.schema(
        [
            pa.field(f.name, f.type, nullable=f.nullable, metadata={"description": f.description})
            for f in fields
        ]
    )


POSITION_FIELDS = [
    Field("mmsi", pa.int64(), "Maritime Mobile Service Identity of the transmitter", False),
    Field("ts", TS, "Time of the report, UTC", False),
    Field("lon", pa.float64(), "Longitude, degrees east (WGS84)", False),
    Field("lat", pa.float64(), "Latitude, degrees north (WGS84)", False),
    Field("sog", pa.float32(), "Speed over ground, knots; null when not available (102.3)"),
    Field("cog", pa.float32(), "Course over ground, degrees; null when not available (360)"),
    Field("heading", pa.int16(), "True heading, degrees; null when not available (511)"),
    Field("nav_status", pa.int8(), "Navigational status code 0-15; null when not defined (15)"),
    Field("msg_type", pa.int8(), "AIS message type (1, 2, 3, 18, 19, 27); null for CSV rows"),
    Field("source", pa.string(), "Name of the source given at ingest (--source)", False),
    Field("station", pa.string(), "Receiver or station identifier, where the input says"),
    Field("batch_id", pa.string(), "Ingest batch (one per input file) that stored this row", False),
]

STATIC_FIELDS = [
    Field("mmsi", pa.int64(), "MMSI of the transmitter", False),
    Field("ts", TS, "Time of the report, UTC", False),
    Field("msg_type", pa.int8(), "AIS message type (5, 19, 24); null for CSV rows"),
    Field("imo", pa.int64(), "IMO number as broadcast (check digit not enforced here)"),
    Field("name", pa.string(), "Vessel name, trimmed of '@' padding"),
    Field("callsign", pa.string(), "Radio call sign"),
    Field("ship_type", pa.int16(), "AIS ship and cargo type code (0-99)"),
    Field("to_bow", pa.int16(), "Distance from reference point to bow, m"),
    Field("to_stern", pa.int16(), "Distance from reference point to stern, m"),
    Field("to_port", pa.int16(), "Distance from reference point to port side, m"),
    Field("to_starboard", pa.int16(), "Distance from reference point to starboard, m"),
    Field("length_m", pa.float32(), "Overall length, m (to_bow + to_stern when derived)"),
    Field("width_m", pa.float32(), "Beam, m (to_port + to_starboard when derived)"),
    Field("draught_m", pa.float32(), "Present static draught, m; null when 0 (not available)"),
    Field("destination", pa.string(), "Destination as typed by the crew"),
    Field("eta", pa.string(), "Estimated time of arrival as broadcast, 'MM-DDTHH:MM' (no year)"),
    Field("source", pa.string(), "Name of the source given at ingest", False),
    Field("station", pa.string(), "Receiver or station identifier, where the input says"),
    Field("batch_id", pa.string(), "Ingest batch that stored this row", False),
]

REJECT_FIELDS = [
    Field("batch_id", pa.string(), "Ingest batch the line belonged to", False),
    Field("file", pa.string(), "Input file (inside an archive: archive!member)", False),
    Field("line_no", pa.int64(), "1-based line number in the (decompressed) input", False),
    Field("reason", pa.string(), "Why the line was rejected (see REJECT_REASONS)", False),
    Field("detail", pa.string(), "More about the reason, e.g. the bad value"),
    Field("raw", pa.string(), "The raw line as read", False),
]

INGEST_FIELDS = [
    Field("batch_id", pa.string(), "Batch id: content hash of the input plus its source", False),
    Field("file", pa.string(), "Input path as given", False),
    Field("sha256", pa.string(), "SHA-256 of the input bytes as stored on disk", False),
    Field("size_bytes", pa.int64(), "Size of the input on disk", False),
    Field(
        "format", pa.string(), "Reader used: nmea, dma, marinecadastre, csv, jsonl, parquet", False
    ),
    Field("source", pa.string(), "Source name", False),
    Field("started", TS, "When the ingest began (wall clock)", False),
    Field("finished", TS, "When the ingest committed (wall clock)", False),
    Field("status", pa.string(), "complete, or partial when the input broke part-way", False),
    Field("error", pa.string(), "What broke, for partial ingests"),
    Field("lines_read", pa.int64(), "Lines or rows read", False),
    Field("positions_read", pa.int64(), "Position reports decoded", False),
    Field("positions_added", pa.int64(), "Position reports stored (after de-duplication)", False),
    Field("statics_read", pa.int64(), "Static/voyage reports decoded", False),
    Field("statics_added", pa.int64(), "Static/voyage reports stored", False),
    Field("rejects", pa.int64(), "Lines quarantined", False),
    Field(
        "skipped",
        pa.int64(),
        "Well-formed messages not stored (types without position/identity)",
        False,
    ),
    Field("stswatch_version", pa.string(), "Version of stswatch that did the ingest", False),
]

EVENT_FIELDS = [
    Field("event_id", pa.string(), "Stable id: hash of type, subtype, vessels and start", False),
    Field(
        "type",
        pa.string(),
        "encounter, loitering, gap, spoofing, identity_change, port_visit",
        False,
    ),
    Field("subtype", pa.string(), "Finer kind, e.g. spoofing: impossible_speed, on_land, ..."),
    Field("mmsi", pa.int64(), "Vessel the event is about (the lower MMSI of an encounter)", False),
    Field("other_mmsi", pa.int64(), "The other vessel of an encounter or joint gap; else null"),
    Field("start", TS, "First report that belongs to the event, UTC", False),
    Field("end", TS, "Last report that belongs to the event, UTC", False),
    Field("lon", pa.float64(), "Representative longitude (mean position)"),
    Field("lat", pa.float64(), "Representative latitude (mean position)"),
    Field("duration_h", pa.float64(), "end - start in hours", False),
    Field("evidence", pa.string(), "JSON object with the numbers behind the event", False),
]

RUN_FIELDS = [
    Field("run_id", pa.string(), "Id of a detection run", False),
    Field("started", TS, "When the run began (wall clock)", False),
    Field("finished", TS, "When the run committed (wall clock)", False),
    Field("stswatch_version", pa.string(), "Version of stswatch", False),
    Field("params", pa.string(), "JSON of the settings in force and windows_used", False),
    Field("config_source", pa.string(), "Config file used, or 'defaults'", False),
    Field("since", TS, "Start of the time window, if any"),
    Field("until", TS, "End of the time window, if any"),
    Field("bbox", pa.string(), "W,S,E,N of the area, if any"),
    Field("positions", pa.int64(), "Positions read", False),
    Field("events", pa.int64(), "Events stored", False),
    Field("batches", pa.string(), "JSON list of the ingest batches the positions came from", False),
]

LIST_FIELDS = [
    Field("name", pa.string(), "Name the list was added under (unique; re-adding replaces)", False),
    Field("format", pa.string(), "Loader that read it: ofac, un, opensanctions, csv", False),
    Field("source_file", pa.string(), "Path of the list file as given", False),
    Field("sha256", pa.string(), "SHA-256 of the list file's bytes", False),
    Field("size_bytes", pa.int64(), "Size of the list file", False),
    Field("version", pa.date32(), "Version (publication) date of the list", False),
    Field(
        "version_source",
        pa.string(),
        "Where the version came from: option, file name, dateGenerated, file mtime",
        False,
    ),
    Field("loaded_at", TS, "When the list was added (wall clock)", False),
    Field("entries", pa.int64(), "Vessel entries read", False),
    Field("with_imo", pa.int64(), "Entries with an IMO number", False),
    Field("with_mmsi", pa.int64(), "Entries with at least one MMSI", False),
    Field("invalid_imo", pa.int64(), "Entries whose IMO fails its check digit", False),
    Field("stswatch_version", pa.string(), "Version of stswatch that read the list", False),
]

LIST_ENTRY_FIELDS = [
    Field("list_name", pa.string(), "List the entry belongs to (see lists)", False),
    Field("entry_id", pa.string(), "Id of the entry in its list (OFAC ent_num, UN no.)", False),
    Field("name", pa.string(), "Listed vessel name as printed", False),
    Field("aliases", pa.list_(pa.string()), "Other names (a.k.a.) as printed"),
    Field("former_names", pa.list_(pa.string()), "Former names (f.k.a.) as printed"),
    Field("imo", pa.int64(), "IMO number, where the list gives one"),
    Field("imo_valid", pa.bool_(), "True when the IMO number passes its check digit"),
    Field("mmsis", pa.list_(pa.int64()), "MMSIs the list gives (often past ones)"),
    Field("call_signs", pa.list_(pa.string()), "Call signs the list gives"),
    Field("flags", pa.list_(pa.string()), "Flags as printed (current first where the list says)"),
    Field("former_flags", pa.list_(pa.string()), "Former flags as printed"),
    Field("vessel_type", pa.string(), "Vessel type as printed"),
    Field("program", pa.string(), "Sanctions programme(s), e.g. DPRK3; IRAN-EO13846"),
    Field("listed_on", pa.date32(), "Designation date, where the list gives one"),
    Field("remarks", pa.string(), "Free text of the entry (OFAC Remarks, UN other information)"),
    Field("extra", pa.string(), "JSON of the entry's other fields (owner, tonnage, links, ...)"),
]

MATCH_FIELDS = [
    Field("mmsi", pa.int64(), "Vessel (transmitter) that matched", False),
    Field("vessel_name", pa.string(), "Latest name the MMSI broadcast"),
    Field("vessel_imo", pa.int64(), "Latest IMO number the MMSI broadcast"),
    Field("list_name", pa.string(), "List of the entry (see lists)", False),
    Field("list_version", pa.date32(), "Version date of that list when screened", False),
    Field("list_sha256", pa.string(), "SHA-256 of that list's file when screened", False),
    Field("entry_id", pa.string(), "Entry in the list", False),
    Field("entry_name", pa.string(), "Listed name of the entry", False),
    Field("program", pa.string(), "Sanctions programme(s) of the entry"),
    Field(
        "method",
        pa.string(),
        "Strongest evidence: imo, mmsi, name, former_name, broadcast_history",
        False,
    ),
    Field("vessel_value", pa.string(), "The vessel's IMO, MMSI or name that matched", False),
    Field("entry_value", pa.string(), "The list's value that matched", False),
    Field("confidence", pa.float64(), "0-1, per method and evidence (docs/screening.md)", False),
    Field("needs_review", pa.bool_(), "True when only an unconfirmed name or MMSI links", False),
    Field("detail", pa.string(), "JSON: scores, flags, types, other agreeing methods", False),
    Field("screened_at", TS, "When the screening ran (wall clock)", False),
]

# The analyst service (``stswatch serve``): who may use it, what they changed, triage state.
USER_FIELDS = [
    Field("name", pa.string(), "User name (unique)", False),
    Field(
        "role",
        pa.string(),
        "viewer (read), analyst (+ triage), admin (+ lists, areas, users)",
        False,
    ),
    Field("token_id", pa.string(), "Public part of the user's token, to find the user", False),
    Field("token_hash", pa.string(), "scrypt hash (hex) of the token's secret part", False),
    Field("salt", pa.string(), "Random salt (hex) of the hash", False),
    Field("created", TS, "When the user was added (wall clock)", False),
]

AUDIT_FIELDS = [
    Field("ts", TS, "When the change was made (wall clock)", False),
    Field(
        "user", pa.string(), "Who made it: a user name, or cli:<login> from the command line", False
    ),
    Field(
        "action",
        pa.string(),
        "What kind of change, e.g. triage.update, list.add, user.remove",
        False,
    ),
    Field("target", pa.string(), "What was changed: an event id, list name, user name", False),
    Field("old", pa.string(), "JSON of the value before the change (null when created)"),
    Field("new", pa.string(), "JSON of the value after the change (null when removed)"),
]

TRIAGE_FIELDS = [
    Field("event_id", pa.string(), "Event triaged (see events); no row means status new", False),
    Field("status", pa.string(), "new, under_review, confirmed, dismissed", False),
    Field("note", pa.string(), "Analyst's note"),
    Field(
        "version", pa.int64(), "Increases by one per change; updates must send the one read", False
    ),
    Field("updated_by", pa.string(), "User who made the last change", False),
    Field("updated_at", TS, "When the last change was made (wall clock)", False),
]

SCORE_FIELDS = [
    Field("event_id", pa.string(), "Event scored (see events)", False),
    Field("score", pa.float64(), "Risk 0-100 from the weighted factors (docs/scoring.md)", False),
    Field(
        "reasons",
        pa.string(),
        "JSON list, highest first: factor, points, weight, strength, practice, mmsi, detail",
        False,
    ),
    Field("run_id", pa.string(), "Detection run whose [score] settings were used; null: defaults"),
    Field("computed_at", TS, "When the score was computed (wall clock)", False),
]

VESSEL_SCORE_FIELDS = [
    Field("mmsi", pa.int64(), "Vessel (transmitter) scored", False),
    Field("score", pa.float64(), "Risk 0-100: each factor once, at its strongest", False),
    Field(
        "reasons",
        pa.string(),
        "JSON list, highest first; like scores.reasons plus the event_id each came from",
        False,
    ),
    Field("events", pa.int64(), "Events the vessel is a party to", False),
    Field("top_event_id", pa.string(), "Its highest-scoring event"),
    Field("run_id", pa.string(), "Detection run whose [score] settings were used; null: defaults"),
    Field("computed_at", TS, "When the score was computed (wall clock)", False),
]

AREA_FIELDS = [
    Field("name", pa.string(), "Area name (unique; re-adding replaces)", False),
    Field("geometry", pa.string(), "GeoJSON Polygon or MultiPolygon, lon/lat degrees", False),
    Field("weight", pa.float64(), "0-1: how much being inside counts (area_of_interest)", False),
    Field("source", pa.string(), "Who reports the area as a hotspot (feature property)"),
    Field("description", pa.string(), "What the area is (feature property)"),
    Field("source_file", pa.string(), "GeoJSON file it was added from"),
    Field("sha256", pa.string(), "SHA-256 of that file"),
    Field("added_at", TS, "When it was added (wall clock)", False),
]

STORED_EVENT_FIELDS = EVENT_FIELDS + [
    Field("run_id", pa.string(), "Detection run that produced the event (see runs)", False),
]

POSITIONS = _schema(POSITION_FIELDS)
STATICS = _schema(STATIC_FIELDS)
REJECTS = _schema(REJECT_FIELDS)
INGESTS = _schema(INGEST_FIELDS)
EVENTS = _schema(EVENT_FIELDS)
STORED_EVENTS = _schema(STORED_EVENT_FIELDS)
RUNS = _schema(RUN_FIELDS)
LISTS = _schema(LIST_FIELDS)
LIST_ENTRIES = _schema(LIST_ENTRY_FIELDS)
MATCHES = _schema(MATCH_FIELDS)
SCORES = _schema(SCORE_FIELDS)
VESSEL_SCORES = _schema(VESSEL_SCORE_FIELDS)
AREAS = _schema(AREA_FIELDS)
USERS = _schema(USER_FIELDS)
AUDIT = _schema(AUDIT_FIELDS)
TRIAGE = _schema(TRIAGE_FIELDS)

TABLES: dict[str, list[Field]] = {
    "positions": POSITION_FIELDS,
    "statics": STATIC_FIELDS,
    "rejects": REJECT_FIELDS,
    "ingests": INGEST_FIELDS,
    "events": STORED_EVENT_FIELDS,
    "runs": RUN_FIELDS,
    "lists": LIST_FIELDS,
    "list_entries": LIST_ENTRY_FIELDS,
    "matches": MATCH_FIELDS,
    "scores": SCORE_FIELDS,
    "vessel_scores": VESSEL_SCORE_FIELDS,
    "areas": AREA_FIELDS,
    "users": USER_FIELDS,
    "audit": AUDIT_FIELDS,
    "triage": TRIAGE_FIELDS,
}

# Why a line or report is rejected. Every reject carries exactly one of these.
REJECT_REASONS: dict[str, str] = {
    "bad_checksum": "NMEA checksum does not match the sentence",
    "malformed": "not a well-formed AIS sentence or CSV row",
    "not_ais": "a well-formed NMEA sentence that is not AIS ($GPGGA, ...)",
    "incomplete_multipart": "a part of a multi-sentence message never arrived",
    "undecodable": "the payload could not be decoded (bad characters, wrong length)",
    "unsupported_type": "AIS message type that carries no position or identity",
    "invalid_mmsi": "MMSI outside 100000000-999999999 or all-zero",
    "position_out_of_range": "longitude/latitude outside the valid range",
    "position_unavailable": "position reported as not available (181/91)",
    "no_time": "no timestamp could be found or inferred for the line",
    "bad_time": "the timestamp could not be parsed",
    "future_time": "the timestamp is later than the ingest time plus one day",
    "duplicate_line": "the same line again within one input (kept once)",
}

_DUCK_TYPES = {
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float32(): "REAL",
    pa.float64(): "DOUBLE",
    pa.string(): "VARCHAR",
    pa.bool_(): "BOOLEAN",
    TS: "TIMESTAMPTZ",
    pa.date32(): "DATE",
    pa.list_(pa.string()): "VARCHAR[]",
    pa.list_(pa.int64()): "BIGINT[]",
}


def ddl(table: str) -> str:
    """CREATE TABLE statement for one of ``TABLES``."""
    cols = ",\n  ".join(
        f'"{f.name}" {_DUCK_TYPES[f.type]}{"" if f.nullable else " NOT NULL"}'
        for f in TABLES[table]
    )
    return f"CREATE TABLE IF NOT EXISTS {table} (\n  {cols}\n)"


def empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def markdown_table(table: str) -> str:
    """The fields of a table as a Markdown table (used to write docs/data-model.md)."""
    rows = ["| field | type | description |", "|---|---|---|"]
    rows += [f"| `{f.name}` | {_DUCK_TYPES[f.type]} | {f.description} |" for f in TABLES[table]]
    return "\n".join(rows)
