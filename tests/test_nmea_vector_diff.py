"""Differential tests of the fast NMEA path against its references.

* Decoding: ``nmea_decode.decode_messages`` with the NumPy decoder (``nmea_vector``) and with
  pyais alone (``vectorized=False``, pyais's ``MSG_CLASS[type].from_vector`` per payload)
  must give identical positions, statics, type-4 anchors, rejects and skipped counts, for
  every message of every real NMEA file in ../shared/data, a simulated fleet
  (``stswatch.simulate``), messages of all eight types encoded by pyais from random field
  values, and random six-bit payloads of every type and length.
* Framing: ``frame_block`` (NumPy on the bytes) equals ``frame_lines`` (column-wise Polars,
  the reference framing) on every real file, the simulated file and damaged copies.
* Assembly: ``Assembler.add`` (whole messages joined column-wise) equals ``add_rows`` (one
  part at a time) on the real files and on shuffled, split and truncated parts.
* Reading: ``nmea.read`` with ``vectorized=True`` equals ``vectorized=False``, skipped
  counts and times included, on every real file and the simulated one.
"""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyais
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from stswatch.errors import InputError
from stswatch.ingest import nmea
from stswatch.ingest.base import ReadOptions
from stswatch.ingest.nmea_decode import decode_messages
from stswatch.ingest.nmea_frame import frame_block, frame_block_parts, frame_lines
from stswatch.ingest.nmea_vector import SHIP_TYPE
from stswatch.ingest.stream import Input, iter_line_blocks
from stswatch.simulate import SimConfig, simulate

NOW = datetime(2026, 1, 1, tzinfo=UTC)
NMEA_FILES = [
    "gpsd-aishub/ais-nmea-sample.log",
    "gpsd-aishub/sample.aivdm",
    "gpsd-aishub/ais-nmea-type6-fid55.log",
    "libais/test.aivdm",
    "libais/typeexamples.nmea",
    "libais/tagblock.nmea",
    "aisdb/test_data_20211101.nm4",  # AGPL: read in place, never copied
    "pyais/nmea_data_sample.txt",
    "pyais/mixed.txt",
    "pyais/gatehouse.nmea",
    "pyais/sample.ais",
]
ARMOUR = [chr(c) for c in range(48, 88)] + [chr(c) for c in range(96, 120)]
FAST_TYPES = (1, 2, 3, 4, 5, 18, 19, 24, 27)


# --- helpers -------------------------------------------------------------------------------


def file_lines(path: Path) -> list[str]:
    text = path.read_bytes().decode("latin-1")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return lines


def messages(data: bytes) -> tuple[pl.DataFrame, nmea.Assembler]:
    """The assembled messages (line_no, raw, payload, fill, station) of a whole file."""
    asm = nmea.Assembler()
    out = []
    for first, block in iter_line_blocks(io.BytesIO(data)):  # type: ignore[arg-type]
        framed = frame_block(block, first)
        ais = framed.filter(pl.col("kind") == "ais")
        singles = ais.filter(pl.col("frag_cnt") == 1).select(list(nmea.MESSAGE_COLUMNS))
        out += [singles, asm.add(ais.filter(pl.col("frag_cnt") > 1))]
    asm.finish()
    return pl.concat(out).sort("line_no"), asm


def assert_decoders_agree(msgs: pl.DataFrame) -> dict[str, int]:
    """Decode ``msgs`` with NumPy and with pyais; every output must be identical."""
    fast = decode_messages(msgs, NOW, vectorized=True)
    slow = decode_messages(msgs, NOW, vectorized=False)
    for part in ("positions", "statics", "anchors"):
        assert_frame_equal(getattr(fast, part), getattr(slow, part)), part
    assert_frame_equal(fast.rejects.sort("line_no"), slow.rejects.sort("line_no"))
    assert fast.skipped == slow.skipped
    return {
        "positions": fast.positions.height,
        "statics": fast.statics.height,
        "anchors": fast.anchors.height,
        "rejects": fast.rejects.height,
    }


def msgs_of(payloads: list[str], fills: list[int] | None = None) -> pl.DataFrame:
    n = len(payloads)
    return pl.DataFrame(
        {
            "line_no": list(range(1, n + 1)),
            "raw": [f"!AIVDM,1,1,,A,{p},0*00" for p in payloads],
            "payload": payloads,
            "fill": fills or [0] * n,
            "station": [None] * n,
        },
        schema=nmea.MESSAGE_COLUMNS,
    )


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """positions.nmea of a small simulated fleet (types 1, 3, 5, 18, 24A/B, tag blocks)."""
    out = tmp_path_factory.mktemp("sim")
    simulate(SimConfig(seed=3, vessels=30, days=0.5), out)
    return (out / "positions.nmea").read_bytes()


# --- decoding ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NMEA_FILES)
def test_every_real_message_decodes_as_pyais(name: str, shared: Path) -> None:
    msgs, _ = messages((shared / name).read_bytes())
    counts = assert_decoders_agree(msgs)
    assert counts["positions"] + counts["statics"] + counts["rejects"] > 0
    if name == "gpsd-aishub/ais-nmea-sample.log":  # SOURCES.md: types 4, 5, 19 and 24
        types = dict(decode_messages(msgs, NOW).statics["msg_type"].value_counts().iter_rows())
        assert types[5] > 2_000 and types[24] > 200 and types[19] > 0
        assert counts["anchors"] > 3_000


def test_simulated_fleet_decodes_as_pyais(simulated: bytes) -> None:
    msgs, _ = messages(simulated)
    counts = assert_decoders_agree(msgs)
    statics = decode_messages(msgs, NOW).statics
    assert counts["positions"] > 10_000
    assert set(statics["msg_type"].unique()) == {5, 24}


def _random_fields(ty: int, rng: random.Random) -> dict[str, Any]:
    """Random field values for ``pyais.encode_dict``, edge values included."""

    def text(n: int) -> str:
        alphabet = "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?"
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, n)))
        return rng.choice([s, s + "@@@", " " + s + "  ", "", "@" * n, s.replace("@", " ")])

    mmsi = rng.choice(
        [rng.randint(0, 2**30 - 1), rng.randint(980_000_000, 989_999_999), 0, 999_999_999]
    )
    f: dict[str, Any] = {"msg_type": ty, "mmsi": mmsi, "repeat": rng.randint(0, 3)}
    if ty in (1, 2, 3, 18, 19):
        f |= {
            "lon": rng.choice([rng.uniform(-180, 180), 181, -180]),
            "lat": rng.choice([rng.uniform(-90, 90), 91, -90]),
            "speed": rng.choice([rng.randint(0, 1023) / 10, 102.3]),
            "course": rng.choice([rng.randint(0, 4095) / 10, 360.0]),
            "heading": rng.choice([rng.randint(0, 359), 511]),
        }
        if ty <= 3:
            f["status"] = rng.randint(0, 15)
    if ty == 27:
        f |= {
            "lon": rng.uniform(-180, 180),
            "lat": rng.uniform(-90, 90),
            "speed": rng.choice([rng.randint(0, 62), 63]),
            "course": rng.choice([rng.randint(0, 359), 511]),
            "status": rng.randint(0, 15),
        }
    if ty == 4:
        f |= {
            "year": rng.choice([rng.randint(0, 16383), 2015, 2024, 0]),
            "month": rng.randint(0, 15),
            "day": rng.randint(0, 31),
            "hour": rng.randint(0, 31),
            "minute": rng.randint(0, 63),
            "second": rng.randint(0, 63),
        }
    if ty in (5, 19, 24):
        dims = {
            "to_bow": rng.randint(0, 511),
            "to_stern": rng.randint(0, 511),
            "to_port": rng.randint(0, 63),
            "to_starboard": rng.randint(0, 63),
        }
        f |= {"ship_type": rng.randint(0, 255), "shipname": text(20)}
        if ty != 24:
            f |= dims
    if ty == 5:
        f |= {
            "imo": rng.randint(0, 2**30 - 1),
            "callsign": text(7),
            "destination": text(20),
            "draught": rng.randint(0, 255) / 10,
            "month": rng.randint(0, 15),
            "day": rng.randint(0, 31),
            "hour": rng.randint(0, 31),
            "minute": rng.randint(0, 63),
        }
    if ty == 24:
        f |= {"partno": rng.randint(0, 1), "callsign": text(7), **dims}
        if mmsi >= 980_000_000:
            f["mothership_mmsi"] = rng.randint(0, 2**30 - 1)
    return f


def test_pyais_encoded_messages_of_every_type_decode_as_pyais() -> None:
    rng = random.Random(6)
    payloads, fills = [], []
    for ty in (1, 2, 3, 4, 5, 18, 19, 24, 27):
        for _ in range(400):
            fields = _random_fields(ty, rng)
            sentences = pyais.encode_dict(fields, talker_id="AI")
            parts = [s.split(",") for s in sentences]
            payloads.append("".join(p[5] for p in parts))
            fills.append(int(parts[-1][6].split("*")[0]))
    msgs = msgs_of(payloads, fills)
    counts = assert_decoders_agree(msgs)
    fast = decode_messages(msgs, NOW)
    assert counts["statics"] == 400 * 3  # 5, 19, 24
    assert counts["positions"] == 400 * 6  # 1, 2, 3, 18, 19, 27
    static_a = fast.statics.filter(pl.col("msg_type").is_in([5, 19]))["ship_type"]
    assert set(static_a.unique()) <= set(SHIP_TYPE.tolist())  # pyais's ShipType table
    assert counts["anchors"] > 0


@st.composite
def random_payloads(draw: st.DrawFn) -> tuple[str, int]:
    ty = draw(st.sampled_from([*FAST_TYPES, 6, 8, 21, 0, 40]))
    length = draw(st.integers(min_value=1, max_value=80))
    rest = draw(st.lists(st.sampled_from(ARMOUR), min_size=length, max_size=length))
    return ARMOUR[ty] + "".join(rest), draw(st.integers(min_value=0, max_value=5))


@settings(max_examples=80, deadline=None)
@given(st.lists(random_payloads(), min_size=1, max_size=120))
def test_random_payloads_of_every_type_and_length_decode_as_pyais(
    items: list[tuple[str, int]],
) -> None:
    """Random bits: short payloads, type-24 parts 2 and 3, 'not available' values..."""
    assert_decoders_agree(msgs_of([p for p, _ in items], [f for _, f in items]))


def test_random_static_payloads_at_scale_decode_as_pyais() -> None:
    """50,000 random payloads of the static types and type 4, full length."""
    rng = np.random.default_rng(8)
    armour = np.array([ord(c) for c in ARMOUR], np.uint8)
    payloads: list[str] = []
    for ty, chars in [(5, 71), (19, 52), (24, 28), (24, 27), (4, 28), (1, 28), (27, 16)]:
        body = armour[rng.integers(0, 64, size=(7_000, chars - 1))]
        payloads += [ARMOUR[ty] + row.tobytes().decode() for row in body]
    msgs = msgs_of(payloads, [int(f) for f in rng.integers(0, 6, size=len(payloads))])
    counts = assert_decoders_agree(msgs)
    assert counts["statics"] > 15_000


# --- framing -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NMEA_FILES)
def test_numpy_framing_equals_reference_framing(name: str, shared: Path) -> None:
    data = (shared / name).read_bytes()
    assert_frame_equal(frame_block(data, 1), frame_lines(file_lines(shared / name), 1))


def test_numpy_framing_frames_the_usual_lines_itself(shared: Path, simulated: bytes) -> None:
    aishub = (shared / "gpsd-aishub/ais-nmea-sample.log").read_bytes()
    for data, most in [(aishub, 85_100), (simulated, len(simulated.splitlines()))]:
        fast, rest = frame_block_parts(data, 1)
        assert fast.height >= most
        assert_frame_equal(
            pl.concat([fast, rest]).sort("line_no"), frame_lines(file_lines_of(data), 1)
        )


def file_lines_of(data: bytes) -> list[str]:
    text = data.decode("latin-1")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return lines


def _damage(lines: list[bytes], seed: int) -> bytes:
    rng = random.Random(seed)
    out = []
    for ln in lines:
        r = rng.random()
        if r < 0.15 and ln:
            i = rng.randrange(len(ln))
            ln = ln[:i] + bytes([rng.choice(b"!$*,\\\r 0123456789ABCabcgsc:-\xe9")]) + ln[i + 1 :]
        elif r < 0.2:
            ln += rng.choice([b"\r", b"\r\r", b" ", b",r3669960,1325394060", b" 1709251200"])
        elif r < 0.25:
            ln = rng.choice([b" ", b"\\", b"1709251200 ", b"#"]) + ln
        elif r < 0.3:
            ln = ln.replace(b"c:17", rng.choice([b"c:00", b"c:x17", b"c:17.5", b"g:1-2-3,c:17"]))
        out.append(ln)
    return b"\n".join(out)


@pytest.mark.parametrize("seed", range(4))
def test_numpy_framing_equals_reference_on_damaged_lines(
    seed: int, shared: Path, simulated: bytes
) -> None:
    aishub = (shared / "gpsd-aishub/ais-nmea-sample.log").read_bytes().split(b"\n")[:4000]
    data = _damage(aishub + simulated.split(b"\n")[:4000], seed)
    assert_frame_equal(frame_block(data, 3), frame_lines(file_lines_of(data), 3))


# --- assembly ------------------------------------------------------------------------------


def _assemble(parts: list[pl.DataFrame], one_by_one: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    asm = nmea.Assembler()
    out = [asm.add_rows(p) if one_by_one else asm.add(p) for p in parts]
    asm.finish()
    return pl.concat(out).sort("line_no"), asm.take_rejects().sort("line_no")


@pytest.mark.parametrize("seed", range(6))
def test_assembler_equals_one_part_at_a_time(seed: int, shared: Path, simulated: bytes) -> None:
    rng = random.Random(seed)
    lines = file_lines(shared / "gpsd-aishub/ais-nmea-sample.log")
    lines += file_lines_of(simulated)[:20_000]
    framed = frame_lines(lines, 1).filter(pl.col("kind") == "ais", pl.col("frag_cnt") > 1)
    rows = framed.rows()
    if seed:  # lose, repeat and swap some parts
        for _ in range(len(rows) // 20):
            i = rng.randrange(len(rows) - 1)
            op = rng.random()
            if op < 0.4:
                rows.pop(i)
            elif op < 0.7:
                rows.insert(i, rows[i])
            else:
                rows[i], rows[i + 1] = rows[i + 1], rows[i]
        rows = [(i + 1, *r[1:]) for i, r in enumerate(rows)]  # keep line numbers unique
    parts = pl.DataFrame(rows, schema=framed.schema, orient="row")
    cuts = sorted(rng.sample(range(1, parts.height), 7))
    blocks = [parts[a:b] for a, b in zip([0, *cuts], [*cuts, parts.height], strict=True)]
    fast, fast_rej = _assemble(blocks, one_by_one=False)
    slow, slow_rej = _assemble(blocks, one_by_one=True)
    assert_frame_equal(fast, slow)
    assert_frame_equal(fast_rej, slow_rej)
    assert fast.height > 1_000


# --- reading -------------------------------------------------------------------------------


def _read(path: Path, vectorized: bool, assume: datetime | None = None) -> list[nmea.Chunk]:
    opts = ReadOptions(file=path.name, source="t", batch_id="b", now=NOW, assume_time=assume)
    with Input(path).open() as stream:
        return list(nmea.read(stream, opts, vectorized=vectorized))


def _same_chunks(path: Path, assume: datetime | None = None) -> None:
    fast, slow = _read(path, True, assume), _read(path, False, assume)
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow, strict=True):
        assert a.positions.equals(b.positions)
        assert a.statics.equals(b.statics)
        assert a.rejects.equals(b.rejects)
        assert (a.lines, a.skipped) == (b.lines, b.skipped)


@pytest.mark.parametrize("name", NMEA_FILES)
def test_reader_vectorized_equals_pyais_with_times_and_counts(name: str, shared: Path) -> None:
    # ais-nmea-sample.log has no receiver times: its times come from type-4 anchors.
    assume = datetime(2015, 10, 6, tzinfo=UTC) if name == "pyais/nmea_data_sample.txt" else None
    try:
        _same_chunks(shared / name, assume)
    except InputError:  # files without any time are refused by both paths alike
        with pytest.raises(InputError):
            _read(shared / name, False, assume)


def test_reader_vectorized_equals_pyais_on_simulated(simulated: bytes, tmp_path: Path) -> None:
    path = tmp_path / "positions.nmea"
    path.write_bytes(simulated)
    _same_chunks(path)


def test_ship_type_table_is_pyais_table() -> None:
    from pyais.constants import ShipType

    assert SHIP_TYPE.tolist() == [int(ShipType.from_value(v)) for v in range(256)]
