"""Decoding of assembled AIS payloads into position, static and time-anchor rows.

The payload checks (armour characters, message type, bit length) run column-wise on a whole
block. By default the fields of types 1-5, 18, 19, 24 (parts A and B) and 27 come from the
NumPy decoder in ``nmea_vector``, column-wise and field-for-field equal to pyais, the
reference decoder; anything else it does not handle (type-24 parts 2 and 3, and every
payload with ``vectorized=False``) goes through pyais one payload at a time with its
low-level ``MSG_CLASS[type].from_vector``. Types 1, 2, 3,
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

from stswatch.ingest.nmea_vector import (
    VECTOR_TYPES,
    anchor_times,
    decode_positions,
    decode_statics,
)

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
# The 7th armoured character holds bits 36-41; type-24 part number is bits 38-39.
_PART_B_CHARS = [c for i, c in enumerate(_ARMOUR) if (i >> 2) & 3 == 1]
_PART_AB_CHARS = [c for i, c in enumerate(_ARMOUR) if (i >> 2) & 3 <= 1]

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

    With ``vectorized``, types 1-5, 18, 19, 24 (parts A and B) and 27 go through the NumPy
    decoder (``nmea_vector``, field-for-field equal to pyais); otherwise, and for anything
    else, pyais decodes each payload.
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
    used = list(POSITION_TYPES) + list(STATIC_TYPES) + [ANCHOR_TYPE]
    why = pl.col("why")
    # Rows are filtered from msgs once per destination (no copies of the rows in between).
    msgs = msgs.with_columns(reason.alias("why")).with_columns(
        (why.is_null() & t.is_in(used)).alias("_todo")
    )
    bad = msgs.filter(why.is_not_null())
    skipped_types = msgs.select(pl.col("type").filter(why.is_null() & ~t.is_in(used)))
    skipped = {f"type_{ty}": int(k) for ty, k in skipped_types["type"].value_counts().iter_rows()}
    todo = msgs
    fast_pos = pl.DataFrame(schema=POSITION_COLUMNS)
    fast_sta = pl.DataFrame(schema=STATIC_COLUMNS)
    fast_anchors = pl.DataFrame(schema=ANCHOR_COLUMNS)
    fast_rej = pl.DataFrame(schema=REJECT_COLUMNS)
    latest = now + MAX_FUTURE
    if vectorized:
        todo, fast_pos, fast_sta, fast_anchors, fast_rej, n4 = _decode_vectorized(msgs, latest)
        if n4:
            skipped["type_4"] = skipped.get("type_4", 0) + n4
    else:
        todo = msgs.filter(pl.col("_todo"))
    pos: list[tuple[object, ...]] = []
    sta: list[tuple[object, ...]] = []
    anchors: list[tuple[int, int]] = []
    rej: list[tuple[object, ...]] = []
    for line_no, raw, payload, fill, station, ty, nbits in todo.select(
        "line_no", "raw", "payload", "fill", "station", "type", "bits"
    ).iter_rows():
        try:
            msg: Any = MSG_CLASS[ty].from_vector(bit_vector(payload.encode("ascii"), fill))
        except Exception as exc:  # pyais raises several types for bad payloads
            rej.append((line_no, "undecodable", _why(exc), raw))
            continue
        if ty == 24 and msg.partno == 1 and nbits < MIN_BITS_24B:
            rej.append((line_no, "undecodable", _short_24b(nbits), raw))
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
        positions=_merge(pl.DataFrame(pos, schema=POSITION_COLUMNS, orient="row"), fast_pos),
        statics=_merge(pl.DataFrame(sta, schema=STATIC_COLUMNS, orient="row"), fast_sta),
        anchors=_merge(pl.DataFrame(anchors, schema=ANCHOR_COLUMNS, orient="row"), fast_anchors),
        rejects=pl.concat(
            [bad_rows, _merge(pl.DataFrame(rej, schema=REJECT_COLUMNS, orient="row"), fast_rej)]
        ),
        skipped=skipped,
    )


def _decode_vectorized(
    msgs: pl.DataFrame, latest: datetime
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, int]:
    """Decode the rows of ``msgs`` marked ``_todo`` that ``nmea_vector`` handles; return the
    rest (for pyais), positions, statics, anchors, rejects (type-24 part B too short) and
    the number of type-4 reports."""
    t, todo = pl.col("type"), pl.col("_todo")
    part = pl.col("payload").str.slice(6, 1)  # bits 36-41: part number at bits 38-39
    part_ab = (t == 24) & part.is_in(_PART_AB_CHARS)
    short = (t == 24) & part.is_in(_PART_B_CHARS) & (pl.col("bits") < MIN_BITS_24B)
    meta = ["station", "line_no", "raw"]
    pos_rows = msgs.filter(todo & t.is_in(VECTOR_TYPES))
    positions = decode_positions(pos_rows["payload"], pos_rows["type"]).hstack(
        pos_rows.select(meta)
    )
    static = msgs.filter(todo & (t.is_in([5, 19]) | part_ab) & ~short)
    statics = decode_statics(static["payload"], static["type"]).hstack(static.select(meta))
    rejects = msgs.filter(todo & short).select(
        "line_no",
        pl.lit("undecodable").alias("reason"),
        pl.format(
            "payload too short: {} bits, type 24 part B needs {}",
            pl.col("bits"),
            pl.lit(MIN_BITS_24B),
        ).alias("detail"),
        "raw",
    )
    type4 = msgs.filter(todo & (t == ANCHOR_TYPE)).select("line_no", "payload")
    latest_us = (latest - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    anchors = (
        type4.select("line_no", anchor_times(type4["payload"], latest_us).alias("us"))
        .drop_nulls("us")
        .cast(ANCHOR_COLUMNS)  # type: ignore[arg-type]
    )
    handled = t.is_in(VECTOR_TYPES) | t.is_in([5, ANCHOR_TYPE]) | part_ab
    rest = msgs.filter(todo & ~handled)
    return (
        rest,
        positions.cast(POSITION_COLUMNS),  # type: ignore[arg-type]
        statics.cast(STATIC_COLUMNS),  # type: ignore[arg-type]
        anchors,
        rejects.cast(REJECT_COLUMNS),  # type: ignore[arg-type]
        type4.height,
    )


def _merge(slow: pl.DataFrame, fast: pl.DataFrame) -> pl.DataFrame:
    """Rows decoded by pyais and by NumPy, in line order."""
    if slow.height == 0:
        return fast
    if fast.height == 0:
        return slow
    return pl.concat([slow, fast]).sort("line_no", maintain_order=True)


def _short_24b(nbits: int) -> str:
    return f"payload too short: {nbits} bits, type 24 part B needs {MIN_BITS_24B}"


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
