"""Decoding of assembled AIS payloads into position, static and time-anchor rows.

The payload checks (armour characters, message type, bit length) run column-wise on a whole
block; the fields themselves come from pyais, the reference decoder, one payload at a time
through its low-level ``MSG_CLASS[type].from_vector``, except types 1, 2, 3, 18 and 27,
which by default go through the equivalent NumPy decoder in ``nmea_vector``. Types 1, 2, 3,
18, 19 and 27 give positions; 5, 19 and 24 (parts A and B) give static and voyage data; type
4 base station reports give only a UTC time anchor; every other defined type is counted as
skipped. A payload with characters outside the six-bit armour, fewer bits than the fields
used here need, an undefined type (0, 29-63) or that pyais cannot decode is ``undecodable``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from pyais.bit_vector import bit_vector
from pyais.messages import MSG_CLASS

from stswatch.ingest.nmea_vector import VECTOR_TYPES, decode_positions

POSITION_TYPES = (1, 2, 3, 18, 19, 27)
STATIC_TYPES = (5, 19, 24)
ANCHOR_TYPE = 4
DEFINED_TYPES = range(1, 29)  # ITU-R M.1371 types 1-27, and 28 which pyais knows
# Bits each decoded type needs for the fields read here (end of its last used field).
MIN_BITS = {1: 137, 2: 137, 3: 137, 4: 78, 5: 422, 18: 133, 19: 301, 24: 160, 27: 94}
MIN_BITS_24B = 162
TYPE27_SOG_NA_KN = 63  # type 27 "speed not available"
TYPE27_COG_NA_DEG = 511  # type 27 "course not available"
MIN_ANCHOR_YEAR = 2000
MAX_FUTURE = timedelta(days=1)

# Six-bit armour: '0'-'W' and '`'-'w'.
ARMOUR_RE = r"^[0-W`-w]+$"
_ARMOUR = [chr(c) for c in range(48, 88)] + [chr(c) for c in range(96, 120)]

POSITION_COLUMNS = {
    "mmsi": pl.Int64,
    "lon": pl.Float64,
    "lat": pl.Float64,
    "sog": pl.Float32,
    "cog": pl.Float32,
    "heading": pl.Int16,
    "nav_status": pl.Int8,
    "msg_type": pl.Int8,
    "station": pl.String,
    "line_no": pl.Int64,
    "raw": pl.String,
}
STATIC_COLUMNS = {
    "mmsi": pl.Int64,
    "msg_type": pl.Int8,
    "imo": pl.Int64,
    "name": pl.String,
    "callsign": pl.String,
    "ship_type": pl.Int16,
    "to_bow": pl.Int16,
    "to_stern": pl.Int16,
    "to_port": pl.Int16,
    "to_starboard": pl.Int16,
    "draught_m": pl.Float32,
    "destination": pl.String,
    "eta": pl.String,
    "station": pl.String,
    "line_no": pl.Int64,
    "raw": pl.String,
}
REJECT_COLUMNS = {"line_no": pl.Int64, "reason": pl.String, "detail": pl.String, "raw": pl.String}
ANCHOR_COLUMNS = {"line_no": pl.Int64, "us": pl.Int64}


@dataclass
class Decoded:
    """What the payloads of one block of messages gave (rows without times yet)."""

    positions: pl.DataFrame
    statics: pl.DataFrame
    anchors: pl.DataFrame  # plausible type-4 UTC times: line_no, us
    rejects: pl.DataFrame
    skipped: dict[str, int] = field(default_factory=dict)


def message_types(payload: pl.Series) -> pl.Series:
    """AIS message type from the first armoured character; null when it is not armour."""
    return payload.str.slice(0, 1).replace_strict(
        _ARMOUR, list(range(64)), default=None, return_dtype=pl.Int64
    )


def eta_text(month: int, day: int, hour: int, minute: int) -> str | None:
    """'MM-DDTHH:MM', or None when any part is 'not available' (0, 0, 24, 60) or invalid."""
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59):
        return None
    return f"{month:02d}-{day:02d}T{hour:02d}:{minute:02d}"


def decode_messages(msgs: pl.DataFrame, now: datetime, *, vectorized: bool = True) -> Decoded:
    """Decode messages (columns line_no, raw, payload, fill, station) of one block.

    With ``vectorized``, types 1, 2, 3, 18 and 27 go through the NumPy decoder
    (``nmea_vector``, field-for-field equal to pyais); otherwise everything goes through pyais.
    """
    msgs = msgs.with_columns(
        message_types(msgs["payload"]).alias("type"),
        (pl.col("payload").str.len_bytes() * 6 - pl.col("fill")).alias("bits"),
        pl.col("payload").str.contains(ARMOUR_RE).alias("armoured"),
    )
    t, bits = pl.col("type"), pl.col("bits")
    need = t.replace_strict(list(MIN_BITS), list(MIN_BITS.values()), default=0)
    reason = (
        pl.when(pl.col("payload") == "")
        .then(pl.lit("empty payload"))
        .when(~pl.col("armoured"))
        .then(pl.lit("payload has characters outside the AIS six-bit armour"))
        .when(~t.is_in(list(DEFINED_TYPES)))
        .then(pl.format("message type {} is not defined", t))
        .when(bits < need)
        .then(pl.format("payload too short: {} bits, type {} needs {}", bits, t, need))
    )
    msgs = msgs.with_columns(reason.alias("why"))
    bad = msgs.filter(pl.col("why").is_not_null())
    ok = msgs.filter(pl.col("why").is_null())
    used = list(POSITION_TYPES) + list(STATIC_TYPES) + [ANCHOR_TYPE]
    skipped_types = ok.filter(~t.is_in(used))["type"].value_counts()
    skipped = {f"type_{ty}": int(k) for ty, k in skipped_types.iter_rows()}
    todo = ok.filter(t.is_in(used))
    fast = pl.DataFrame(schema=POSITION_COLUMNS)
    if vectorized:
        vec = todo.filter(t.is_in(VECTOR_TYPES))
        todo = todo.filter(~t.is_in(VECTOR_TYPES))
        fast = decode_positions(vec["payload"], vec["type"]).hstack(
            vec.select("station", "line_no", "raw")
        )
    pos: list[tuple[object, ...]] = []
    sta: list[tuple[object, ...]] = []
    anchors: list[tuple[int, int]] = []
    rej: list[tuple[object, ...]] = []
    latest = now + MAX_FUTURE
    for line_no, raw, payload, fill, station, ty, nbits in todo.select(
        "line_no", "raw", "payload", "fill", "station", "type", "bits"
    ).iter_rows():
        try:
            msg: Any = MSG_CLASS[ty].from_vector(bit_vector(payload.encode("ascii"), fill))
        except Exception as exc:  # pyais raises several types for bad payloads
            rej.append((line_no, "undecodable", _why(exc), raw))
            continue
        if ty == 24 and msg.partno == 1 and nbits < MIN_BITS_24B:
            detail = f"payload too short: {nbits} bits, type 24 part B needs {MIN_BITS_24B}"
            rej.append((line_no, "undecodable", detail, raw))
            continue
        if ty in POSITION_TYPES:
            pos.append(_position(msg, ty, station, line_no, raw))
        if ty in STATIC_TYPES:
            sta.append(_static(msg, ty, station, line_no, raw))
        if ty == ANCHOR_TYPE:
            skipped["type_4"] = skipped.get("type_4", 0) + 1
            when = _anchor(msg, latest)
            if when is not None:
                anchors.append((line_no, when))
    bad_rows = bad.select(
        "line_no", pl.lit("undecodable").alias("reason"), pl.col("why").alias("detail"), "raw"
    )
    return Decoded(
        positions=pl.concat([pl.DataFrame(pos, schema=POSITION_COLUMNS, orient="row"), fast]).sort(
            "line_no"
        ),
        statics=pl.DataFrame(sta, schema=STATIC_COLUMNS, orient="row"),
        anchors=pl.DataFrame(anchors, schema=ANCHOR_COLUMNS, orient="row"),
        rejects=pl.concat([bad_rows, pl.DataFrame(rej, schema=REJECT_COLUMNS, orient="row")]),
        skipped=skipped,
    )


def _why(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _position(m: Any, ty: int, station: str | None, line_no: int, raw: str) -> tuple[object, ...]:
    """One position row (``POSITION_COLUMNS``) from a pyais MessageType1/2/3/18/19/27."""
    sog, cog = m.speed, m.course
    heading = status = None
    if ty == 27:  # long range: no heading; 63 kn and 511 degrees mean "not available"
        sog = None if sog == TYPE27_SOG_NA_KN else sog
        cog = None if cog == TYPE27_COG_NA_DEG else cog
    else:
        heading = m.heading
    if ty in (1, 2, 3, 27):  # class B (18, 19) carries no navigational status
        status = int(m.status)
    return (m.mmsi, m.lon, m.lat, sog, cog, heading, status, ty, station, line_no, raw)


def _static(m: Any, ty: int, station: str | None, line_no: int, raw: str) -> tuple[object, ...]:
    """One static row (``STATIC_COLUMNS``) from a pyais MessageType5/19/24PartA/24PartB."""
    name = callsign = ship_type = imo = draught = destination = eta = None
    dims: tuple[int | None, ...] = (None, None, None, None)
    if ty == 5:
        name, callsign, ship_type = m.shipname, m.callsign, int(m.ship_type)
        imo, draught, destination = m.imo, m.draught, m.destination
        eta = eta_text(m.month, m.day, m.hour, m.minute)
    elif ty == 19:
        name, ship_type = m.shipname, int(m.ship_type)
    elif m.partno == 0:  # 24 part A
        name = m.shipname
    else:  # 24 part B
        callsign, ship_type = m.callsign, int(m.ship_type)
    if hasattr(m, "to_bow"):  # not in 24A, nor in 24B of auxiliary craft
        dims = (m.to_bow, m.to_stern, m.to_port, m.to_starboard)
    fields = (m.mmsi, ty, imo, name, callsign, ship_type, *dims, draught, destination, eta)
    return (*fields, station, line_no, raw)


def _anchor(m: Any, latest: datetime) -> int | None:
    """The UTC time of a pyais MessageType4 in microseconds, if plausible."""
    try:
        when = datetime(m.year, m.month, m.day, m.hour, m.minute, m.second, tzinfo=UTC)
    except ValueError:  # month 0, hour 24, second 60 ...: not available
        return None
    if when.year < MIN_ANCHOR_YEAR or when > latest:
        return None
    return (when - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
