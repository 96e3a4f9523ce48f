"""AIVDM sentences for many position reports at once, and NMEA 4.0 tag blocks.

``pyais.encode_dict`` builds one message per call (about 60-150 us each), which makes the
NMEA file the slow part of a simulation. Position reports (types 1, 3 and 18) have fixed
168-bit layouts, so ``position_payloads`` packs them column-wise with NumPy, using the same
field widths and unit conversions as pyais 3 (speed and course: ``int(v * 10)``, longitude
and latitude: ``round(v * 600000)``, two's complement for signed fields). The tests check
the result against ``pyais.encode_dict`` message by message; ``--encoder pyais`` uses pyais
throughout. Static reports always go through pyais.
"""

from __future__ import annotations

from functools import reduce

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

# (name, width) for the 168 bits of each layout, in order.
TYPE_1_3 = (
    ("msg_type", 6),
    ("repeat", 2),
    ("mmsi", 30),
    ("status", 4),
    ("turn", 8),
    ("speed", 10),
    ("accuracy", 1),
    ("lon", 28),
    ("lat", 27),
    ("course", 12),
    ("heading", 9),
    ("second", 6),
    ("maneuver", 2),
    ("spare", 3),
    ("raim", 1),
    ("radio", 19),
)
TYPE_18 = (
    ("msg_type", 6),
    ("repeat", 2),
    ("mmsi", 30),
    ("reserved_1", 8),
    ("speed", 10),
    ("accuracy", 1),
    ("lon", 28),
    ("lat", 27),
    ("course", 12),
    ("heading", 9),
    ("second", 6),
    ("reserved_2", 2),
    ("cs", 1),
    ("display", 1),
    ("dsc", 1),
    ("band", 1),
    ("msg22", 1),
    ("assigned", 1),
    ("raim", 1),
    ("radio", 20),
)


def xor_of(text: str) -> int:
    return reduce(lambda a, c: a ^ ord(c), text, 0)


def _pack(fields: dict[str, I64], layout: tuple[tuple[str, int], ...]) -> npt.NDArray[np.uint8]:
    """Bits of each message, (n, 168) as 0/1."""
    n = next(iter(fields.values())).size
    cols = []
    for name, width in layout:
        v = fields.get(name, np.zeros(n, np.int64)).astype(np.int64) & ((1 << width) - 1)
        shifts = np.arange(width - 1, -1, -1, dtype=np.int64)
        cols.append(((v[:, None] >> shifts[None, :]) & 1).astype(np.uint8))
    return np.concatenate(cols, axis=1)


def _armor(bits: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Six-bit ASCII armoring of (n, 6k) bits: (n, k) ASCII codes."""
    six = bits.reshape(bits.shape[0], -1, 6).astype(np.int64)
    v = (six * (1 << np.arange(5, -1, -1))).sum(axis=2)
    return np.where(v < 40, v + 48, v + 56).astype(np.uint8)


def position_payloads(
    msg_type: I64,
    mmsi: I64,
    status: I64,
    sog_kn: F64,
    lon: F64,
    lat: F64,
    cog_deg: F64,
    heading: I64,
    second: I64,
) -> npt.NDArray[np.uint8]:
    """Armored payloads (n, 28) of types 1/3 (status, heading) and 18 (heading 511, CS unit).

    ``status`` and ``heading`` below 0 mean not available (15 and 511).
    """
    speed = (sog_kn * 10.0).astype(np.int64)
    course = (cog_deg * 10.0).astype(np.int64)
    x = np.rint(lon * 600_000.0).astype(np.int64)
    y = np.rint(lat * 600_000.0).astype(np.int64)
    hd = np.where((heading < 0) | (msg_type == 18), 511, heading)
    out = np.empty((msg_type.size, 28), np.uint8)
    a = msg_type != 18
    common = {
        "mmsi": mmsi,
        "speed": speed,
        "accuracy": np.ones_like(mmsi),
        "lon": x,
        "lat": y,
        "course": course,
        "heading": hd,
        "second": second,
    }
    if a.any():
        f = {k: v[a] for k, v in common.items()}
        f.update(
            msg_type=msg_type[a],
            status=np.where(status[a] < 0, 15, status[a]),
            turn=np.full(int(a.sum()), -128, np.int64),
        )
        out[a] = _armor(_pack(f, TYPE_1_3))
    b = ~a
    if b.any():
        f = {k: v[b] for k, v in common.items()}
        ones = np.ones(int(b.sum()), np.int64)
        f.update(msg_type=msg_type[b], cs=ones, dsc=ones, band=ones, msg22=ones)
        out[b] = _armor(_pack(f, TYPE_18))
    return out


def single_sentences(payloads: npt.NDArray[np.uint8], channels: npt.NDArray[np.str_]) -> list[str]:
    """``!AIVDM,1,1,,<ch>,<payload>,0*hh`` for each row of armored payload codes."""
    body_xor = np.bitwise_xor.reduce(payloads, axis=1).astype(np.int64)
    base = {ch: xor_of(f"AIVDM,1,1,,{ch},,0") for ch in ("A", "B")}
    cs = body_xor ^ np.where(channels == "A", base["A"], base["B"])
    text = payloads.view(f"S{payloads.shape[1]}").ravel()
    return [
        f"!AIVDM,1,1,,{ch},{p.decode('ascii')},0*{c:02X}"
        for ch, p, c in zip(channels.tolist(), text.tolist(), cs.tolist(), strict=True)
    ]


def tag_blocks(station_names: list[str], station: I64, epoch_s: I64) -> list[str]:
    """``\\s:SIM-<station>,c:<epoch>*hh\\`` per report, checksums computed column-wise."""
    digits = 10  # epoch seconds have ten digits from 2001 to 2286
    if epoch_s.size and (epoch_s.min() < 10**9 or epoch_s.max() >= 10**10):
        raise ValueError("epoch seconds outside 2001-2286")
    d = (epoch_s[:, None] // (10 ** np.arange(digits - 1, -1, -1))[None, :]) % 10 + 48
    ep_xor = np.bitwise_xor.reduce(d, axis=1)
    st_xor = np.array([xor_of(f"s:SIM-{s},c:") for s in station_names], np.int64)
    cs = ep_xor ^ st_xor[station]
    names = [f"\\s:SIM-{s},c:" for s in station_names]
    return [
        f"{names[s]}{e}*{c:02X}\\"
        for s, e, c in zip(station.tolist(), epoch_s.tolist(), cs.tolist(), strict=True)
    ]
