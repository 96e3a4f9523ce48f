"""NumPy decoder for the position reports that make up most AIS traffic (types 1-3, 18, 27).

The payloads of a block are de-armoured at once into a matrix of six-bit values; each field
is the weighted sum of the characters it spans, shifted and masked to its bits (two's
complement for longitude and latitude), converted exactly as pyais does (``((10 * v + 3) // 6) / 1e6``
for positions, tenths for speed and course), so the rows equal pyais's field for field;
``tests/test_ingest_nmea.py`` checks that on every sentence of every real file. Callers
must pass only payloads already checked for armour characters and length
(``nmea_decode``): other types go through pyais.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

VECTOR_TYPES = (1, 2, 3, 18, 27)
_CHARS = 23  # six-bit characters holding every field used (heading of type 1 ends at 137)
TYPE27_SOG_NA = 63  # knots: not available
TYPE27_COG_NA = 511  # degrees: not available


def _sixbit_matrix(payload: pl.Series) -> np.ndarray:
    """(n, _CHARS) six-bit values of the first characters of each payload, zero-padded."""
    fixed = payload.str.slice(0, _CHARS).str.pad_end(_CHARS, "0").rechunk().to_arrow()
    if isinstance(fixed, pa.ChunkedArray):
        fixed = fixed.combine_chunks()
    fixed = fixed.cast(pa.large_string())
    n = len(fixed)
    offsets = np.frombuffer(fixed.buffers()[1], dtype=np.int64)
    start = offsets[fixed.offset]
    data = np.frombuffer(fixed.buffers()[2], dtype=np.uint8)[start : start + n * _CHARS]
    values = data.reshape(n, _CHARS).astype(np.int16) - 48
    values[values > 40] -= 8
    return values.astype(np.uint8)


def _field(six: np.ndarray, start: int, width: int, signed: bool = False) -> np.ndarray:
    """Field of ``width`` bits at bit ``start`` of each row, as int64.

    The six-bit characters the field spans are summed with weights 2**(6k), then the bits
    before and after the field are shifted and masked away.
    """
    first, last = start // 6, (start + width - 1) // 6
    acc = np.zeros(six.shape[0], dtype=np.int64)
    for c in range(first, last + 1):
        acc = (acc << 6) | six[:, c]
    v = (acc >> ((last - first + 1) * 6 - (start - first * 6) - width)) & ((1 << width) - 1)
    if signed:
        v = np.where(v >= 1 << (width - 1), v - (1 << width), v)
    return v


def decode_positions(payload: pl.Series, types: pl.Series) -> pl.DataFrame:
    """Position fields of type 1, 2, 3, 18 and 27 payloads (already checked), as pyais gives.

    Columns: mmsi, lon, lat, sog, cog, heading, nav_status, msg_type (``POSITION_COLUMNS``
    without station, line_no and raw). Type-27 speed 63 and course 511 are null, as is the
    heading it does not carry; class B (18) has no navigational status.
    """
    six = _sixbit_matrix(payload) if len(payload) else np.zeros((0, _CHARS), np.uint8)
    t = types.to_numpy().astype(np.int64)
    a, b, lr = t <= 3, t == 18, t == 27
    # Class A (1-3): status 38, speed 50, lon 61, lat 89, course 116, heading 128.
    # Class B (18): speed 46, lon 57, lat 85, course 112, heading 124.
    # Long range (27): status 40, lon 44 (18 bits), lat 62 (17 bits), speed 79, course 85.
    lon_ab = np.where(a, _field(six, 61, 28, True), _field(six, 57, 28, True))
    lat_ab = np.where(a, _field(six, 89, 27, True), _field(six, 85, 27, True))
    lon = np.where(lr, (10000 * _field(six, 44, 18, True) + 3) // 6, (10 * lon_ab + 3) // 6)
    lat = np.where(lr, (10000 * _field(six, 62, 17, True) + 3) // 6, (10 * lat_ab + 3) // 6)
    speed = np.select([a, b], [_field(six, 50, 10), _field(six, 46, 10)], _field(six, 79, 6))
    course = np.select([a, b], [_field(six, 116, 12), _field(six, 112, 12)], _field(six, 85, 9))
    df = pl.DataFrame(
        {
            "mmsi": _field(six, 8, 30),
            "lon": lon / 1e6,
            "lat": lat / 1e6,
            "sog": np.where(lr, speed.astype(np.float64), speed / 10.0),
            "cog": np.where(lr, course.astype(np.float64), course / 10.0),
            "heading": np.where(a, _field(six, 128, 9), _field(six, 124, 9)),
            "nav_status": np.where(a, _field(six, 38, 4), _field(six, 40, 4)),
            "msg_type": t,
            "_lr": lr,
            "_b": b,
        }
    )
    lr_col = pl.col("_lr")
    return df.select(
        "mmsi",
        "lon",
        "lat",
        pl.when(lr_col & (pl.col("sog") == TYPE27_SOG_NA))
        .then(None)
        .otherwise(pl.col("sog"))
        .cast(pl.Float32)
        .alias("sog"),
        pl.when(lr_col & (pl.col("cog") == TYPE27_COG_NA))
        .then(None)
        .otherwise(pl.col("cog"))
        .cast(pl.Float32)
        .alias("cog"),
        pl.when(lr_col).then(None).otherwise(pl.col("heading")).cast(pl.Int16).alias("heading"),
        pl.when(pl.col("_b"))
        .then(None)
        .otherwise(pl.col("nav_status"))
        .cast(pl.Int8)
        .alias("nav_status"),
        pl.col("msg_type").cast(pl.Int8),
    )
