"""NumPy decoder for the AIS messages the reader uses: types 1-5, 18, 19, 24 and 27.

The payloads of a block are de-armoured at once into a matrix of six-bit values; each
numeric field is the weighted sum of the characters it spans, shifted and masked to its bits
(two's complement for longitude and latitude), converted exactly as pyais does
(``((10 * v + 3) // 6) / 1e6`` for positions, tenths for speed, course and draught, pyais's
ship-type table for types 5 and 19), so the rows equal pyais's field for field. Text fields
(names, call signs, destinations) are six-bit characters looked up in one table and trimmed
as pyais trims them: trailing '@' padding first, then spaces at both ends. Type-4 base
station reports give their UTC time in microseconds when it is a valid date and time.
``tests/test_nmea_vector_diff.py`` checks all of this against pyais on every sentence of
every real file and on simulated and random payloads. Callers must pass only payloads
already checked for armour characters and length (``nmea_decode``); type 24 parts other
than A and B, and every other type, go through pyais.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

VECTOR_TYPES = (1, 2, 3, 18, 19, 27)
STATIC_VECTOR_TYPES = (5, 19, 24)
_CHARS = 23  # six-bit characters holding every position field (type-1 heading ends at 137)
TYPE27_SOG_NA = 63  # knots: not available
TYPE27_COG_NA = 511  # degrees: not available
MIN_ANCHOR_YEAR = 2000
AUX_MMSI = (980_000_000, 989_999_999)  # auxiliary craft: 24B carries the mothership MMSI

# Six-bit value -> character of AIS text fields (ITU-R M.1371 table 47): '@', 'A'-'Z', ...
SIXBIT_TEXT = np.frombuffer(
    bytes(v + 64 if v < 32 else v for v in range(64)), dtype=np.uint8
).copy()


def _ship_type_table() -> np.ndarray:
    """Ship type as pyais's ``ShipType`` gives it for types 5 and 19: values it does not
    define map to the reserved code of their decade (25, 45, 56, 65, 75, 85, 95) or to 0."""
    table = np.arange(256, dtype=np.int16)
    table[1:20] = 0
    table[38:40] = 0
    table[100:] = 0
    for lo, hi, code in [(25, 29, 25), (45, 49, 45), (56, 58, 56), (65, 69, 65)]:
        table[lo:hi] = code
    for lo, hi, code in [(75, 79, 75), (85, 89, 85), (95, 99, 95)]:
        table[lo:hi] = code
    return table


SHIP_TYPE = _ship_type_table()
# Armoured character (byte) -> six-bit value: '0'-'W' are 0-39, '`'-'w' are 40-63.
DEARMOUR = np.zeros(256, np.uint8)
DEARMOUR[48:88] = np.arange(40)
DEARMOUR[96:120] = np.arange(40, 64)


def sixbit_matrix(payload: pl.Series, chars: int) -> np.ndarray:
    """(n, chars) six-bit values of the first ``chars`` characters of each payload, padded
    with zeros (payloads must be armoured ASCII)."""
    n = len(payload)
    arr = payload.rechunk().to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_string())
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    six = np.append(DEARMOUR[data], np.uint8(0))  # index len(data): zero padding
    starts, ends = offsets[:-1], offsets[1:]
    short = bool(n) and bool((ends - starts < chars).any())
    out = np.empty((chars, n), np.uint8)  # one character of every payload per row
    for c in range(chars):
        idx = starts + c
        out[c] = six[np.where(idx < ends, idx, len(six) - 1) if short else idx]
    return out.T


def _field(six: np.ndarray, start: int, width: int, signed: bool = False) -> np.ndarray:
    """Field of ``width`` bits at bit ``start`` of each row, as int64.

    The six-bit characters the field spans are summed with weights 2**(6k), then the bits
    before and after the field are shifted and masked away.
    """
    first, last = start // 6, (start + width - 1) // 6
    acc = six[:, first].astype(np.int64)
    for c in range(first + 1, last + 1):
        acc = (acc << 6) | six[:, c]
    v = (acc >> ((last - first + 1) * 6 - (start - first * 6) - width)) & ((1 << width) - 1)
    if signed:
        v = np.where(v >= 1 << (width - 1), v - (1 << width), v)
    return v


def _text(six: np.ndarray, start: int, width: int) -> pl.Series:
    """Six-bit text field of ``width`` bits at bit ``start``, trimmed as pyais trims it."""
    n, k = six.shape[0], width // 6
    first, shift = start // 6, start % 6
    if shift:
        left = six[:, first : first + k] << np.uint8(shift)
        right = six[:, first + 1 : first + k + 1] >> np.uint8(6 - shift)
        codes = (left | right) & np.uint8(63)
    else:
        codes = six[:, first : first + k]
    data = SIXBIT_TEXT[codes].reshape(-1)
    offsets = np.arange(0, (n + 1) * k, k, dtype=np.int64)
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    s = pl.Series(arr)
    return s.str.strip_chars_end("@").str.strip_chars(" ")


def decode_positions(payload: pl.Series, types: pl.Series) -> pl.DataFrame:
    """Position fields of type 1, 2, 3, 18, 19 and 27 payloads (already checked), as pyais
    gives them.

    Columns: mmsi, lon, lat, sog, cog, heading, nav_status, msg_type (``POSITION_COLUMNS``
    without station, line_no and raw). Type-27 speed 63 and course 511 are null, as is the
    heading it does not carry; class B (18, 19) has no navigational status.
    """
    six = sixbit_matrix(payload, _CHARS)
    t = types.to_numpy().astype(np.int64)
    a, b, lr = t <= 3, (t == 18) | (t == 19), t == 27
    # Class A (1-3): status 38, speed 50, lon 61, lat 89, course 116, heading 128.
    # Class B (18, 19): speed 46, lon 57, lat 85, course 112, heading 124.
    # Long range (27): status 40, lon 44 (18 bits), lat 62 (17 bits), speed 79, course 85.
    lon_ab = np.where(a, _field(six, 61, 28, True), _field(six, 57, 28, True))
    lat_ab = np.where(a, _field(six, 89, 27, True), _field(six, 85, 27, True))
    lon = np.where(lr, (10000 * _field(six, 44, 18, True) + 3) // 6, (10 * lon_ab + 3) // 6)
    lat = np.where(lr, (10000 * _field(six, 62, 17, True) + 3) // 6, (10 * lat_ab + 3) // 6)
    speed = np.select([a, b], [_field(six, 50, 10), _field(six, 46, 10)], _field(six, 79, 6))
    course = np.select([a, b], [_field(six, 116, 12), _field(six, 112, 12)], _field(six, 85, 9))
    sog = np.where(lr, speed.astype(np.float64), speed / 10.0).astype(np.float32)
    cog = np.where(lr, course.astype(np.float64), course / 10.0).astype(np.float32)
    heading = np.where(a, _field(six, 128, 9), _field(six, 124, 9)).astype(np.int16)
    status = np.where(a, _field(six, 38, 4), _field(six, 40, 4)).astype(np.int8)
    return pl.DataFrame(
        {
            "mmsi": pl.Series(_field(six, 8, 30)),
            "lon": pl.Series(lon / 1e6),
            "lat": pl.Series(lat / 1e6),
            "sog": _masked(sog, lr & (speed == TYPE27_SOG_NA)),
            "cog": _masked(cog, lr & (course == TYPE27_COG_NA)),
            "heading": _masked(heading, lr),
            "nav_status": _masked(status, b),
            "msg_type": pl.Series(t.astype(np.int8)),
        }
    )


def _masked(values: np.ndarray, null: np.ndarray) -> pl.Series:
    """``values`` (a 1-d numeric array) as a Series with nulls where ``null`` is true."""
    values = np.ascontiguousarray(values)
    if not null.any():
        return pl.Series(values)
    valid = pa.py_buffer(np.packbits(~null, bitorder="little"))
    dtype = pa.from_numpy_dtype(values.dtype)
    arr = pa.Array.from_buffers(dtype, len(values), [valid, pa.py_buffer(values)])
    return pl.Series(arr)


def _nulls(n: int, dtype: pl.DataType | type[pl.DataType]) -> pl.Series:
    return pl.repeat(None, n, dtype=dtype, eager=True)


STATIC_FIELDS = {
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
}


def _frame(n: int, cols: dict[str, pl.Series | np.ndarray]) -> pl.DataFrame:
    out = {}
    for name, dtype in STATIC_FIELDS.items():
        if name in cols:
            out[name] = pl.Series(name, cols[name]).cast(dtype)
        else:
            out[name] = _nulls(n, dtype).alias(name)
    return pl.DataFrame(out)


def _dims(six: np.ndarray, start: int) -> dict[str, np.ndarray]:
    """to_bow (9 bits), to_stern (9), to_port (6), to_starboard (6) from bit ``start``."""
    return {
        "to_bow": _field(six, start, 9),
        "to_stern": _field(six, start + 9, 9),
        "to_port": _field(six, start + 18, 6),
        "to_starboard": _field(six, start + 24, 6),
    }


def _eta(six: np.ndarray) -> pl.Series:
    """Type-5 ETA as 'MM-DDTHH:MM', null when any part is 'not available' or invalid."""
    month, day = _field(six, 274, 4), _field(six, 278, 5)
    hour, minute = _field(six, 283, 5), _field(six, 288, 6)
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (hour <= 23) & (minute <= 59)
    parts = pl.DataFrame({"mo": month, "d": day, "h": hour, "mi": minute})
    pad = [pl.col(c).cast(pl.String).str.zfill(2) for c in ("mo", "d", "h", "mi")]
    text = parts.select(pl.format("{}-{}T{}:{}", *pad)).to_series()
    return pl.select(pl.when(pl.Series(ok)).then(text)).to_series()


def decode_statics(payload: pl.Series, types: pl.Series) -> pl.DataFrame:
    """Static and voyage fields of type 5, 19 and 24 (part A or B) payloads, as pyais gives.

    Payloads must be checked for armour and length, and type-24 ones must be part A or B
    (part number 0 or 1); other parts are for pyais. Columns: ``STATIC_FIELDS`` (the
    reader's ``STATIC_COLUMNS`` without station, line_no and raw), one row per payload in
    input order. Type 19 has no IMO, call sign, draught, destination or ETA; part A only
    the name; part B the call sign, the ship type (raw, unlike types 5 and 19) and the
    dimensions, except for auxiliary craft (MMSI 98xxxxxxx), which send the mothership's
    MMSI there.
    """
    t = types.to_numpy()
    order = np.arange(len(t))
    frames: list[pl.DataFrame] = []
    idx: list[np.ndarray] = []
    sel = t == 5
    if sel.any():
        six = sixbit_matrix(payload.filter(pl.Series(sel)), 72)
        cols: dict[str, pl.Series | np.ndarray] = {
            "mmsi": _field(six, 8, 30),
            "msg_type": np.full(six.shape[0], 5),
            "imo": _field(six, 40, 30),
            "callsign": _text(six, 70, 42),
            "name": _text(six, 112, 120),
            "ship_type": SHIP_TYPE[_field(six, 232, 8)],
            **_dims(six, 240),
            "draught_m": _field(six, 294, 8) / 10.0,
            "destination": _text(six, 302, 120),
            "eta": _eta(six),
        }
        frames.append(_frame(six.shape[0], cols))
        idx.append(order[sel])
    sel = t == 19
    if sel.any():
        six = sixbit_matrix(payload.filter(pl.Series(sel)), 52)
        cols = {
            "mmsi": _field(six, 8, 30),
            "msg_type": np.full(six.shape[0], 19),
            "name": _text(six, 143, 120),
            "ship_type": SHIP_TYPE[_field(six, 263, 8)],
            **_dims(six, 271),
        }
        frames.append(_frame(six.shape[0], cols))
        idx.append(order[sel])
    sel = t == 24
    if sel.any():
        six = sixbit_matrix(payload.filter(pl.Series(sel)), 28)
        mmsi = _field(six, 8, 30)
        part_b = _field(six, 38, 2) == 1
        dims_ok = part_b & ~((mmsi >= AUX_MMSI[0]) & (mmsi <= AUX_MMSI[1]))
        dims = {k: _masked(v, ~dims_ok) for k, v in _dims(six, 132).items()}
        name = pl.select(pl.when(pl.Series(~part_b)).then(_text(six, 40, 120))).to_series()
        call = pl.select(pl.when(pl.Series(part_b)).then(_text(six, 90, 42))).to_series()
        cols = {
            "mmsi": mmsi,
            "msg_type": np.full(six.shape[0], 24),
            "name": name,
            "callsign": call,
            "ship_type": _masked(_field(six, 40, 8), ~part_b),
            **dims,
        }
        frames.append(_frame(six.shape[0], cols))
        idx.append(order[sel])
    if not frames:
        return _frame(0, {})
    where = np.concatenate(idx)
    return pl.concat(frames)[np.argsort(where, kind="stable")]


def anchor_times(payload: pl.Series, latest_us: int) -> pl.Series:
    """UTC time (microseconds since the epoch) of type-4 payloads, null unless plausible.

    A time is plausible when year, month, day, hour, minute and second make a valid date
    and time (pyais's 'not available' values 0 and 24, 60 do not), the year is at least
    ``MIN_ANCHOR_YEAR`` and the time is not after ``latest_us``.
    """
    six = sixbit_matrix(payload, 13)
    year, month, day = _field(six, 38, 14), _field(six, 52, 4), _field(six, 56, 5)
    hour, minute, second = _field(six, 61, 5), _field(six, 66, 6), _field(six, 72, 6)
    ok = (year >= MIN_ANCHOR_YEAR) & (month >= 1) & (month <= 12)
    months = (np.where(ok, year, 1970) - 1970) * 12 + np.where(ok, month, 1) - 1
    start = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    end = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    ok &= (day >= 1) & (day <= end - start) & (hour <= 23) & (minute <= 59) & (second <= 59)
    us = (((start + day - 1) * 24 + hour) * 60 + minute) * 60 + second
    us = us * 1_000_000
    ok &= us <= latest_us
    return _masked(us, ~ok)
