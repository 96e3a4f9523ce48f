"""The NMEA 0183 AIS reader on every real NMEA file in ../shared/data.

Expected numbers come from outside the reader: pyais's own multipart assembly and decoder
driven by a plain loop in this file (``reference``), the figures in SOURCES.md, the decoded
values written in the comments of gpsd's sample.aivdm, and line-by-line readings of the
small pyais/libais fixtures (written out next to each assertion). Damaged inputs (lost
parts, bad checksums, missing times) are made by editing real lines in the test.
"""

from __future__ import annotations

import functools
import gzip
import operator
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pyais
import pyarrow as pa
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyais.bit_vector import bit_vector
from pyais.exceptions import MissingPayloadException
from pyais.messages import MSG_CLASS
from pyais.stream import IterMessages

from stswatch.errors import InputError
from stswatch.ingest import ingest_paths, nmea, sniff_format
from stswatch.ingest.base import ReadOptions
from stswatch.ingest.nmea_vector import decode_positions
from stswatch.ingest.stream import Input, iter_line_blocks
from stswatch.store import Store

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
# Files whose lines are plain sentences (optionally with tag blocks or USCG trailers, all
# with valid tag-block checksums): pyais's stream can serve as the reference for them.
PLAIN_FILES = NMEA_FILES[:8]
SENTENCE_RE = re.compile(r"[!$][A-Z]{2}VD[MO],[^*]*\*[0-9A-Fa-f]{2}")
POSITION_TYPES = {1, 2, 3, 18, 19, 27}
STATIC_TYPES = {5, 19, 24}
# Bits up to the end of the last field the reader takes from each type (ITU-R M.1371).
MIN_BITS = {1: 137, 2: 137, 3: 137, 4: 78, 5: 422, 18: 133, 19: 301, 24: 160, 27: 94}


# --- helpers ------------------------------------------------------------------------------


@dataclass
class Read:
    positions: pa.Table
    statics: pa.Table
    rejects: pa.Table
    lines: int
    skipped: Counter[str] = field(default_factory=Counter)

    def reasons(self) -> Counter[str]:
        return Counter(self.rejects.column("reason").to_pylist())

    def rows(self, table: str) -> list[dict[str, Any]]:
        return getattr(self, table).to_pylist()


def opts_for(name: str, assume_time: datetime | None = None) -> ReadOptions:
    return ReadOptions(file=name, source="test", batch_id="b1", now=NOW, assume_time=assume_time)


def read_path(path: Path, assume_time: datetime | None = None) -> Read:
    with Input(path).open() as stream:
        chunks = list(nmea.read(stream, opts_for(path.name, assume_time)))
    skipped: Counter[str] = Counter()
    for c in chunks:
        skipped.update(c.skipped)
    return Read(
        positions=pa.concat_tables([c.positions for c in chunks]),
        statics=pa.concat_tables([c.statics for c in chunks]),
        rejects=pa.concat_tables([c.rejects for c in chunks]),
        lines=sum(c.lines for c in chunks),
        skipped=skipped,
    )


def read_lines(tmp_path: Path, lines: list[str], assume_time: datetime | None = None) -> Read:
    path = tmp_path / "edited.nmea"
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    return read_path(path, assume_time)


def file_lines(path: Path) -> list[str]:
    return path.read_bytes().decode("latin-1").split("\n")


def nmea_checksum(body: str) -> str:
    """Checksum of the text between '!'/'$' and '*'."""
    return f"{functools.reduce(operator.xor, body.encode(), 0):02X}"


def checksum_ok(sentence: str) -> bool:
    body, cs = sentence[1:].split("*")
    return nmea_checksum(body) == cs.upper()


@dataclass
class Expected:
    positions: int = 0
    statics: int = 0
    messages: int = 0
    rejects: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    types: Counter[int] = field(default_factory=Counter)
    mmsis: set[int] = field(default_factory=set)


@functools.cache
def reference(path: Path) -> Expected:
    """What the reader must give, counted with a plain loop plus pyais's stream assembly."""
    exp = Expected()
    good: list[bytes] = []
    for raw in file_lines(path):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = SENTENCE_RE.search(line)
        if m is None or line[0] not in "!\\$":
            exp.rejects["malformed"] += 1
        elif not checksum_ok(m.group()):
            exp.rejects["bad_checksum"] += 1
        elif int(m.group().split(",")[6][0]) > 5:  # fill bits pyais refuses
            exp.rejects["undecodable"] += 1
        else:
            good.append(m.group().encode())
    parts = sum(1 for s in good if s.split(b",")[1] != b"1")
    used = 0
    for msg in IterMessages(good):
        used += msg.frag_cnt if msg.frag_cnt > 1 else 0
        exp.messages += 1
        t, bits = msg.ais_id, len(msg.bv)
        try:
            decoded: Any = msg.decode() if t in MIN_BITS else None
        except MissingPayloadException:
            exp.rejects["undecodable"] += 1  # empty payload
            continue
        except Exception:  # e.g. type 24 part number 2 or 3
            exp.rejects["undecodable"] += 1
            continue
        too_short = bits < MIN_BITS.get(t, 0) or (
            t == 24 and decoded is not None and decoded.partno == 1 and bits < 162
        )
        if not 1 <= t <= 28 or too_short:
            exp.rejects["undecodable"] += 1
            continue
        exp.types[t] += 1
        if t in POSITION_TYPES:
            exp.positions += 1
        if t in STATIC_TYPES:
            exp.statics += 1
        if t not in POSITION_TYPES | STATIC_TYPES:
            exp.skipped[f"type_{t}"] += 1
        if decoded is not None and t in POSITION_TYPES | STATIC_TYPES:
            exp.mmsis.add(decoded.mmsi)
    if parts - used:
        exp.rejects["incomplete_multipart"] = parts - used
    return exp


@pytest.fixture(scope="module")
def reads(shared: Path) -> dict[str, Read]:
    """Every real NMEA file read once (ais-nmea-sample.log takes about a second)."""
    return {name: read_path(shared / name) for name in NMEA_FILES}


def pyais_decode(*sentences: str) -> Any:
    return pyais.decode(*sentences)


def pyais_fields(raw: str) -> Any:
    """Decode a candidate's raw line(s) with pyais, from the bare sentences."""
    return pyais_decode(*SENTENCE_RE.findall(raw))


def line_count(path: Path) -> int:
    data = path.read_bytes()
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


# --- counts on every real file ------------------------------------------------------------


@pytest.mark.parametrize("name", PLAIN_FILES)
def test_counts_match_pyais_reference(name: str, shared: Path, reads: dict[str, Read]) -> None:
    exp = reference(shared / name)
    got = reads[name]
    assert got.lines == line_count(shared / name)
    assert got.positions.num_rows == exp.positions
    assert got.statics.num_rows == exp.statics
    assert got.reasons() == exp.rejects
    assert got.skipped == exp.skipped
    types = Counter(got.positions.column("msg_type").to_pylist())
    types.update(t for t in got.statics.column("msg_type").to_pylist() if t != 19)
    assert types == +Counter(
        {t: n for t, n in exp.types.items() if t in POSITION_TYPES | STATIC_TYPES}
    )
    mmsis = set(got.positions.column("mmsi").to_pylist()) | set(
        got.statics.column("mmsi").to_pylist()
    )
    assert mmsis == exp.mmsis


def test_ais_nmea_sample_matches_sources_md(reads: dict[str, Read], shared: Path) -> None:
    # SOURCES.md: "85,182 sentences decode to 82,744 messages from 11,074 MMSIs";
    # types 1: 61,374, 2: 1,973, 3: 8,785, 4: 4,043, 5: 2,221, 18: 1,361, 24: 306.
    got = reads["gpsd-aishub/ais-nmea-sample.log"]
    pos_types = Counter(got.positions.column("msg_type").to_pylist())
    sta_types = Counter(got.statics.column("msg_type").to_pylist())
    assert pos_types[1] == 61_374
    assert pos_types[2] == 1_973
    assert pos_types[3] == 8_785
    assert pos_types[18] == 1_361
    assert sta_types[5] == 2_221
    assert sta_types[24] == 306
    assert got.skipped["type_4"] == 4_043
    assert pos_types[19] == sta_types[19] == reference(shared / NMEA_FILES[0]).types[19]
    messages = got.positions.num_rows + got.statics.num_rows - sta_types[19]
    messages += sum(got.skipped.values())
    assert messages == 82_744
    # The 8 sentences pyais refuses (fill bits 6) and 2 orphan parts make up the rest.
    assert got.reasons() == {"undecodable": 8, "incomplete_multipart": 2}


def test_other_files_match_sources_md(reads: dict[str, Read]) -> None:
    def messages(r: Read) -> int:
        n19 = r.statics.column("msg_type").to_pylist().count(19)
        undecodable = r.reasons()["undecodable"]
        return (
            r.positions.num_rows + r.statics.num_rows - n19 + sum(r.skipped.values()) + undecodable
        )

    nm4 = reads["aisdb/test_data_20211101.nm4"]
    # SOURCES.md: 979 messages from 843 MMSIs; 18 type-5 messages; 127 type-27 messages.
    assert messages(nm4) == 979
    assert nm4.statics.column("msg_type").to_pylist().count(5) == 18
    assert nm4.positions.column("msg_type").to_pylist().count(27) == 127
    fid55 = reads["gpsd-aishub/ais-nmea-type6-fid55.log"]
    # SOURCES.md: 1,326 messages from 1,161 MMSIs; 130 type-5 messages.
    assert messages(fid55) == 1_326
    assert fid55.statics.column("msg_type").to_pylist().count(5) == 130
    # SOURCES.md: test.aivdm has every message type (261 messages).
    libais = reads["libais/test.aivdm"]
    assert messages(libais) == 261
    assert {int(k.removeprefix("type_")) for k in libais.skipped} | set(
        libais.positions.column("msg_type").to_pylist()
    ) | set(libais.statics.column("msg_type").to_pylist()) == set(range(1, 29))


def test_mixed_txt_line_by_line(reads: dict[str, Read]) -> None:
    got = reads["pyais/mixed.txt"]
    # Read by eye: lines 2-5, 10, 11, 30, 34 are type-1 reports; 15+16 and 24+25 two-part
    # type 5. $GPGGA (7), $GPRTE (8), $GPR00 (13), $IIMWV (18) are other NMEA; 'foobar' (14),
    # 'IamNotAnAisMessage1111' (21), line 23 (sentence without *hh) and lines 26, 27 (tag
    # blocks with a one-digit checksum '*A') are junk. Line 35 is a $PGHP whose checksum
    # is wrong (the year was edited to 2009 but *17 kept). Line 29 is a valid $PGHP.
    assert got.positions.column("line_no").to_pylist() == [2, 3, 4, 5, 10, 11, 30, 34]
    assert got.statics.column("line_no").to_pylist() == [15, 24]
    reasons = dict(
        zip(got.rejects["line_no"].to_pylist(), got.rejects["reason"].to_pylist(), strict=True)
    )
    assert reasons == {
        7: "not_ais",
        8: "not_ais",
        13: "not_ais",
        14: "malformed",
        18: "not_ais",
        21: "malformed",
        23: "malformed",
        26: "malformed",
        27: "malformed",
        35: "bad_checksum",
    }
    assert got.skipped == {}
    # Times: the first valid time in the file is line 24's tag block c:1428621738; earlier
    # lines take it. Line 29's $PGHP (2008-05-09 00:00:00.010) times lines 30 and 34.
    first = datetime.fromtimestamp(1428621738, UTC)
    gh = datetime(2008, 5, 9, 0, 0, 0, 10_000, tzinfo=UTC)
    ts = dict(
        zip(got.positions["line_no"].to_pylist(), got.positions["ts"].to_pylist(), strict=True)
    )
    assert ts == {2: first, 3: first, 4: first, 5: first, 10: first, 11: first, 30: gh, 34: gh}
    statics = got.rows("statics")
    assert [s["ts"] for s in statics] == [first, first]
    assert statics[1]["station"] == "b003669710"  # from the tag block s: of the first part
    assert statics[1]["raw"].count("\n") == 1 and statics[1]["raw"].endswith("iP`88888880,2*5E")


def test_sample_ais_line_by_line(reads: dict[str, Read]) -> None:
    got = reads["pyais/sample.ais"]
    # Lines 2-7, 20, 22: type 1; 13+14: a two-part type 5 with tag-block groups. Junk: 10,
    # 12 (no *hh), 15 and 16 (one-digit tag checksums). Line 17's tag block says *5A but
    # 's:blah,c:1747818025' sums to 38; line 21 is the edited $PGHP.
    assert got.positions.column("line_no").to_pylist() == [2, 3, 4, 5, 6, 7, 20, 22]
    assert got.statics.column("line_no").to_pylist() == [13]
    reasons = dict(
        zip(got.rejects["line_no"].to_pylist(), got.rejects["reason"].to_pylist(), strict=True)
    )
    assert reasons == {
        10: "malformed",
        12: "malformed",
        15: "malformed",
        16: "malformed",
        17: "bad_checksum",
        21: "bad_checksum",
    }
    # Only time in the file: line 13's c:1428621738.
    assert set(got.positions["ts"].to_pylist()) == {datetime.fromtimestamp(1428621738, UTC)}


def test_gatehouse_times(reads: dict[str, Read], shared: Path, tmp_path: Path) -> None:
    got = reads["pyais/gatehouse.nmea"]
    # $PGHP at line 1 (2008-05-09 00:00:00.010) times lines 2, 6, 8, 9: the $PGHP at line 7
    # carries year 2009 with the 2008 checksum, so it is rejected and gives no time.
    gh = datetime(2008, 5, 9, 0, 0, 0, 10_000, tzinfo=UTC)
    assert got.positions.column("line_no").to_pylist() == [2, 6, 8, 9]
    assert set(got.positions["ts"].to_pylist()) == {gh}
    assert got.rejects.column("line_no").to_pylist() == [7]
    assert got.rejects.column("reason").to_pylist() == ["bad_checksum"]
    # Repair line 7's checksum: now it times the sentences after it.
    lines = file_lines(shared / "pyais/gatehouse.nmea")
    body = lines[6].split("*")[0][1:]
    lines[6] = f"${body}*{nmea_checksum(body)}"
    fixed = read_lines(tmp_path, lines)
    ts = dict(
        zip(fixed.positions["line_no"].to_pylist(), fixed.positions["ts"].to_pylist(), strict=True)
    )
    assert ts == {2: gh, 6: gh, 8: gh.replace(year=2009), 9: gh.replace(year=2009)}
    assert fixed.rejects.num_rows == 0


def test_tagblock_groups_and_times(reads: dict[str, Read]) -> None:
    got = reads["libais/tagblock.nmea"]
    # Line 1 is part 1 of a type 5 (group g:1-2-1604), line 3 its part 2, line 2 in between.
    assert got.positions.column("line_no").to_pylist() == [2, 4, 5]
    assert [datetime.fromtimestamp(t, UTC) for t in (1418172113, 1418171722, 1418171561)] == (
        got.positions["ts"].to_pylist()
    )
    assert got.positions["station"].to_pylist() == ["rORBCOMM104", "rORBCOMM007", "rORBCOMM007"]
    (static,) = got.rows("statics")
    assert static["line_no"] == 1
    assert static["ts"] == datetime.fromtimestamp(1418169601, UTC)
    assert static["station"] == "rORBCOMM008"
    assert static["raw"].split("\n")[1].startswith("\\g:2-2-1604")


def test_typeexamples_one_of_each(reads: dict[str, Read]) -> None:
    got = reads["libais/typeexamples.nmea"]
    # One sentence per type 1-27 except 19 (26 lines); first trailer epoch is the time.
    assert sorted(got.positions.column("msg_type").to_pylist()) == [1, 2, 3, 18, 27]
    assert sorted(got.statics.column("msg_type").to_pylist()) == [5, 24]
    others = {4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 20, 21, 22, 23, 25, 26}
    assert got.skipped == {f"type_{t}": 1 for t in others}
    first = got.rows("positions")[0]
    # !AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0*30,...,r003669946,1325394060,1325394001
    assert first["line_no"] == 2
    assert first["ts"] == datetime(2012, 1, 1, 5, 1, 0, tzinfo=UTC)
    assert first["station"] == "r003669946"


# --- decoded fields -----------------------------------------------------------------------


@pytest.mark.parametrize("name", NMEA_FILES)
def test_fields_match_pyais(name: str, reads: dict[str, Read]) -> None:
    got = reads[name]
    positions = got.rows("positions")
    step = max(1, len(positions) // 1500)
    for row in positions[::step]:
        ref = pyais_fields(row["raw"])
        assert row["mmsi"] == ref.mmsi
        assert row["msg_type"] == ref.msg_type
        assert row["lon"] == pytest.approx(ref.lon, abs=1e-9)
        assert row["lat"] == pytest.approx(ref.lat, abs=1e-9)
        if ref.msg_type == 27:  # 63 kn and 511 degrees mean "not available"
            assert row["sog"] == (None if ref.speed == 63 else pytest.approx(ref.speed))
            assert row["cog"] == (None if ref.course == 511 else pytest.approx(ref.course))
            assert row["heading"] is None
        else:
            assert row["sog"] == pytest.approx(ref.speed, abs=1e-4)
            assert row["cog"] == pytest.approx(ref.course, abs=1e-4)
            assert row["heading"] == ref.heading
        status = int(ref.status) if ref.msg_type in (1, 2, 3, 27) else None
        assert row["nav_status"] == status
    statics = got.rows("statics")
    step = max(1, len(statics) // 1500)
    for row in statics[::step]:
        ref = pyais_fields(row["raw"])
        assert row["mmsi"] == ref.mmsi
        assert row["name"] == getattr(ref, "shipname", None)
        assert row["callsign"] == getattr(ref, "callsign", None)
        assert row["imo"] == getattr(ref, "imo", None)
        ship_type = getattr(ref, "ship_type", None)
        assert row["ship_type"] == (None if ship_type is None else int(ship_type))
        draught = getattr(ref, "draught", None)
        assert row["draught_m"] == (None if draught is None else pytest.approx(draught))
        assert row["to_bow"] == getattr(ref, "to_bow", None)
        assert row["to_starboard"] == getattr(ref, "to_starboard", None)
        assert row["destination"] == getattr(ref, "destination", None)


def test_golden_values_from_sample_aivdm_comments(reads: dict[str, Read]) -> None:
    """Values written under each sentence in gpsd's sample.aivdm (decoded by noaadata,
    Maritec and gpsd); lon/lat there have more digits than AIS resolution (1/10000 min)."""
    got = reads["gpsd-aishub/sample.aivdm"]

    def by_payload(table: str, payload: str) -> dict[str, Any]:
        (row,) = [r for r in got.rows(table) if f",{payload}," in r["raw"]]
        return row

    p = by_payload("positions", "15RTgt0PAso;90TKcjM8h6g208CQ")  # Type 1, line 10
    assert (p["mmsi"], p["nav_status"], p["heading"]) == (371798000, 0, 215)
    assert p["sog"] == pytest.approx(12.3) and p["cog"] == pytest.approx(224)
    assert p["lon"] == pytest.approx(-123.395383333, abs=2e-6)
    assert p["lat"] == pytest.approx(48.38163333333, abs=2e-6)
    p = by_payload("positions", "38Id705000rRVJhE7cl9n;160000")  # Type 3
    assert (p["mmsi"], p["nav_status"], p["heading"], p["sog"]) == (563808000, 5, 352, 0)
    assert p["cog"] == pytest.approx(252) and p["lat"] == pytest.approx(36.91, abs=2e-6)
    assert p["lon"] == pytest.approx(-76.32753333333, abs=2e-6)
    p = by_payload("positions", "B52K>;h00Fc>jpUlNV@ikwpUoP06")  # Type 18
    assert (p["mmsi"], p["heading"], p["nav_status"]) == (338087471, 511, None)
    assert p["sog"] == pytest.approx(0.1) and p["cog"] == pytest.approx(79.6)
    assert p["lon"] == pytest.approx(-74.07213166666, abs=2e-6)
    assert p["lat"] == pytest.approx(40.68454, abs=2e-6)
    s = by_payload("statics", "55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8")
    assert (s["mmsi"], s["imo"], s["callsign"], s["name"]) == (
        351759000,
        9134270,
        "3FOF8",
        "EVER DIADEM",
    )
    assert (s["ship_type"], s["to_bow"], s["to_stern"], s["to_port"], s["to_starboard"]) == (
        70,
        225,
        70,
        1,
        31,
    )
    assert s["draught_m"] == pytest.approx(12.2) and s["destination"] == "NEW YORK"
    # The comment gives ETA month 5, day 15, minute 0 (its hour, 16, disagrees with the bits).
    assert s["eta"].startswith("05-15T") and s["eta"].endswith(":00")
    assert s["raw"].count("\n") == 1  # two parts
    s19 = by_payload("statics", "C5N3SRgPEnJGEBT>NhWAwwo862PaLELTBJ:V00000000S0D:R220")
    assert (s19["mmsi"], s19["name"], s19["ship_type"]) == (367059850, "CAPT.J.RIMES", 70)
    dims = (s19["to_bow"], s19["to_stern"], s19["to_port"], s19["to_starboard"])
    assert dims == (5, 21, 4, 4)
    p19 = by_payload("positions", "C5N3SRgPEnJGEBT>NhWAwwo862PaLELTBJ:V00000000S0D:R220")
    assert p19["sog"] == pytest.approx(8.7) and p19["cog"] == pytest.approx(335.9)
    assert p19["lat"] == pytest.approx(29.543695, abs=2e-6)
    a = by_payload("statics", "H42O55i18tMET00000000000000")  # 24 part A
    assert (a["mmsi"], a["name"], a["callsign"]) == (271041815, "PROGUY", None)
    b = [r for r in got.rows("statics") if ",H42O55lti4hhhilD3nink000?050," in r["raw"]]
    assert len(b) == 2  # the same 24B twice in the file
    assert (b[0]["ship_type"], b[0]["callsign"], b[0]["name"]) == (60, "TC6163", None)
    assert (b[0]["to_bow"], b[0]["to_stern"], b[0]["to_port"], b[0]["to_starboard"]) == (
        0,
        15,
        0,
        5,
    )


# --- times --------------------------------------------------------------------------------


def test_tag_block_times_nm4(reads: dict[str, Read]) -> None:
    got = reads["aisdb/test_data_20211101.nm4"]
    lo, hi = datetime(2021, 11, 1, 1, 58, tzinfo=UTC), datetime(2021, 11, 1, 2, 0, tzinfo=UTC)
    for table in ("positions", "statics"):
        for row in got.rows(table):
            own = re.search(r"(?:\\|,)c:(\d+)", row["raw"])
            assert own is not None
            assert row["ts"] == datetime.fromtimestamp(int(own.group(1)), UTC)
            assert lo <= row["ts"] < hi
            assert row["station"] == re.search(r"s:(\d+)", row["raw"]).group(1)  # type: ignore[union-attr]


def test_uscg_trailer_times_and_stations(reads: dict[str, Read]) -> None:
    got = reads["libais/test.aivdm"]
    row = next(r for r in got.rows("positions") if "15B4FT5000JRP>PE6E68Nbkl0PS5" in r["raw"])
    # '...,0*70,b003669794,1272412827': station b003669794, Unix time 1272412827
    # (`date -u -d @1272412827`: Wed Apr 28 00:00:27 UTC 2010).
    assert row["ts"] == datetime(2010, 4, 28, 0, 0, 27, tzinfo=UTC)
    assert row["station"] == "b003669794"
    checked = 0
    for table in ("positions", "statics"):
        for row in got.rows(table):
            first = row["raw"].split("\n")[0]
            fields = first.split("*", 1)[1].split(",")[1:]
            epochs = [f for f in fields if re.fullmatch(r"\d{9,}(\.\d*)?", f)]
            if epochs:
                assert row["ts"] == datetime.fromtimestamp(float(epochs[0]), UTC)
                checked += 1
    assert checked == got.positions.num_rows + got.statics.num_rows


def test_type4_anchors_time_ais_nmea_sample(reads: dict[str, Read], shared: Path) -> None:
    got = reads["gpsd-aishub/ais-nmea-sample.log"]
    # About three minutes of feed; nearly all base stations say 2012-03-14 11:29-11:34, one
    # says 06:30 (a wrong clock) and must not be used.
    lo, hi = datetime(2012, 3, 14, 11, 29, tzinfo=UTC), datetime(2012, 3, 14, 11, 35, tzinfo=UTC)
    for col in (got.positions["ts"], got.statics["ts"]):
        assert lo <= min(col.to_pylist()) and max(col.to_pylist()) < hi
    # Independently: the first type-4 line, and a position right after a type-4 line.
    lines = file_lines(shared / "gpsd-aishub/ais-nmea-sample.log")
    anchors: list[tuple[int, datetime]] = []
    for no, line in enumerate(lines, start=1):
        if line.startswith("!AIVDM,1,1,,") and line.split(",")[5][:1] == "4":
            m = pyais_decode(line)
            if m.year == 2012 and m.hour == 11:
                anchors.append(
                    (no, datetime(2012, m.month, m.day, 11, m.minute, m.second, tzinfo=UTC))
                )
        if len(anchors) == 40:
            break
    ts = dict(
        zip(got.positions["line_no"].to_pylist(), got.positions["ts"].to_pylist(), strict=True)
    )
    first_no, first_ts = anchors[0]
    before = [ts[n] for n in ts if n < first_no]
    assert before and set(before) == {first_ts}
    followed = [(no, t) for no, t in anchors if no + 1 in ts and no + 1 not in dict(anchors)]
    assert len(followed) > 20
    for no, t in followed:
        assert ts[no + 1] == t


def test_no_time_is_refused_and_assume_time_works(shared: Path, tmp_path: Path) -> None:
    lines = file_lines(shared / "gpsd-aishub/ais-nmea-sample.log")
    # Type-1 sentences only: no tag blocks, no receiver times, no base-station reports.
    type1 = [
        ln for ln in lines[5:400] if ln.startswith("!AIVDM,1,1,,") and ln.split(",")[5][0] == "1"
    ]
    path = tmp_path / "no_times.nmea"
    path.write_text("\n".join(type1) + "\n")
    with pytest.raises(InputError, match=r"no_times\.nmea carries no timestamps.*--assume-time"):
        read_path(path)
    when = datetime(2015, 10, 6, tzinfo=UTC)
    got = read_path(path, assume_time=when)
    assert got.positions.num_rows == len(type1)
    assert set(got.positions["ts"].to_pylist()) == {when}
    with Store(tmp_path / "db.duckdb") as store:
        (res,) = ingest_paths(store, [str(path)])
        assert res.status == "failed" and "--assume-time" in (res.error or "")
        assert store.query("SELECT count(*) AS n FROM positions")["n"][0].as_py() == 0
        (res,) = ingest_paths(store, [str(path)], assume_time=when)
        assert res.status == "complete" and res.positions_read == len(type1)


def test_receiver_timestamps_before_and_after_sentences(shared: Path, tmp_path: Path) -> None:
    lines = file_lines(shared / "gpsd-aishub/ais-nmea-sample.log")[5:12]  # 7 type-1 lines
    edited = [
        f"2015-10-06T12:00:01Z {lines[0]}",
        f"1444132802.5 {lines[1]}",
        f"{lines[2]} 2015-10-06T13:00:03.250+01:00",
        f"{lines[3]}\t1444132804123",  # milliseconds
        lines[4],  # no time of its own: the one before
        f"2015-13-45T00:00:00Z {lines[5]}",  # month 13
        f"\\c:1444132806000*{nmea_checksum('c:1444132806000')}\\{lines[6]}",  # ms
    ]
    got = read_lines(tmp_path, edited)
    base = datetime(2015, 10, 6, 12, 0, tzinfo=UTC)
    ts = dict(
        zip(got.positions["line_no"].to_pylist(), got.positions["ts"].to_pylist(), strict=True)
    )
    assert ts == {
        1: base + timedelta(seconds=1),
        2: base + timedelta(seconds=2.5),
        3: base + timedelta(seconds=3.25),
        4: base + timedelta(seconds=4.123),
        5: base + timedelta(seconds=4.123),
        7: base + timedelta(seconds=6),
    }
    (rej,) = got.rejects.to_pylist()
    assert (rej["line_no"], rej["reason"], rej["raw"]) == (6, "bad_time", edited[5])
    assert "2015-13-45T00:00:00Z" in rej["detail"]
    assert (rej["file"], rej["batch_id"]) == ("edited.nmea", "b1")


# --- damaged input ------------------------------------------------------------------------


def _two_part_type5(lines: list[str]) -> int:
    """Index of the first part of the first two-part message in lines."""
    return next(i for i, ln in enumerate(lines) if ln.startswith("!AIVDM,2,1,"))


def test_lost_part_is_rejected(shared: Path, tmp_path: Path) -> None:
    lines = file_lines(shared / "gpsd-aishub/ais-nmea-sample.log")[5:200]
    i = _two_part_type5(lines)
    assert lines[i + 1].startswith("!AIVDM,2,2,")
    when = datetime(2015, 10, 6, tzinfo=UTC)
    whole = read_lines(tmp_path, lines, when)
    lost = read_lines(tmp_path, lines[: i + 1] + lines[i + 2 :], when)
    assert lost.statics.num_rows == whole.statics.num_rows - 1
    assert lost.positions.num_rows == whole.positions.num_rows
    rej = lost.rejects.to_pylist()
    assert [(r["line_no"], r["reason"], r["raw"]) for r in rej] == [
        (i + 1, "incomplete_multipart", lines[i])
    ]
    # A second part without its first is rejected too.
    orphan = read_lines(tmp_path, lines[:i] + lines[i + 1 :], when)
    assert [(r["line_no"], r["reason"]) for r in orphan.rejects.to_pylist()] == [
        (i + 1, "incomplete_multipart")
    ]


def test_interleaved_multipart(shared: Path, tmp_path: Path) -> None:
    lines = file_lines(shared / "gpsd-aishub/ais-nmea-sample.log")[5:400]
    firsts = [i for i, ln in enumerate(lines) if ln.startswith("!AIVDM,2,1,")]
    a, b = (
        firsts[0],
        next(j for j in firsts[1:] if lines[j].split(",")[3] != lines[firsts[0]].split(",")[3]),
    )
    a1, a2, b1, b2 = lines[a], lines[a + 1], lines[b], lines[b + 1]
    singles = [ln for ln in lines if ln.startswith("!AIVDM,1,1,")][:4]
    mixed = [
        a1,
        singles[0],
        b1,
        "$GPGGA,184353.07,1929.045,S,02410.506,E,1,04,2.6,100.00,M,-33.9,M,,0000*6D",
    ]
    mixed += [singles[1], a2, singles[2], b2, singles[3]]
    got = read_lines(tmp_path, mixed, datetime(2015, 10, 6, tzinfo=UTC))
    assert got.positions.column("line_no").to_pylist() == [2, 5, 7, 9]
    statics = got.rows("statics")
    assert [s["line_no"] for s in statics] == [1, 3]
    assert statics[0]["raw"] == f"{a1}\n{a2}" and statics[1]["raw"] == f"{b1}\n{b2}"
    assert statics[0]["mmsi"] == pyais_decode(a1, a2).mmsi
    assert statics[1]["name"] == pyais_decode(b1, b2).shipname
    assert got.reasons() == {"not_ais": 1}


def test_corrupted_checksum(shared: Path, tmp_path: Path) -> None:
    lines = file_lines(shared / "gpsd-aishub/ais-nmea-sample.log")[5:200]
    i = _two_part_type5(lines)
    edited = list(lines)
    edited[0] = edited[0].replace("13HOI:0P", "13HOI:1P")  # one payload character changed
    edited[i] = edited[i][:-2] + ("00" if edited[i][-2:] != "00" else "01")  # checksum digits
    got = read_lines(tmp_path, edited, datetime(2015, 10, 6, tzinfo=UTC))
    whole = read_lines(tmp_path, lines, datetime(2015, 10, 6, tzinfo=UTC))
    reasons = [(r["line_no"], r["reason"]) for r in got.rejects.to_pylist()]
    assert reasons == [
        (1, "bad_checksum"),
        (i + 1, "bad_checksum"),
        (i + 2, "incomplete_multipart"),
    ]
    assert got.positions.num_rows == whole.positions.num_rows - 1
    assert got.statics.num_rows == whole.statics.num_rows - 1


def _with_checksum(sentence: str) -> str:
    """A sentence with its checksum recomputed after an edit."""
    body = sentence.split("*")[0]
    return f"{body}*{nmea_checksum(body[1:])}"


def test_any_talker_and_undecodable_payloads(shared: Path, tmp_path: Path) -> None:
    lines = file_lines(shared / "gpsd-aishub/ais-nmea-sample.log")[5:12]  # 7 type-1 lines
    talkers = ["AB", "BS", "SA", "AA", "AI"]
    edited = [
        _with_checksum(ln.replace("!AIVDM", f"!{t}VDM"))
        for t, ln in zip(talkers, lines, strict=False)
    ]
    edited[4] = _with_checksum(lines[4].replace("!AIVDM", "!AIVDO"))
    payload = lines[5].split(",")[5]
    edited.append(_with_checksum(lines[5].replace(payload, payload[:10] + "z" + payload[11:])))
    edited.append(_with_checksum(lines[6].replace(payload := lines[6].split(",")[5], payload[:20])))
    got = read_lines(tmp_path, edited, datetime(2015, 10, 6, tzinfo=UTC))
    assert got.positions.column("line_no").to_pylist() == [1, 2, 3, 4, 5]
    assert got.positions.column("mmsi").to_pylist() == [pyais_decode(ln).mmsi for ln in lines[:5]]
    rej = got.rejects.to_pylist()
    assert [(r["line_no"], r["reason"]) for r in rej] == [(6, "undecodable"), (7, "undecodable")]
    assert "armour" in rej[0]["detail"] and "120 bits" in rej[1]["detail"]


# --- through the ingest pipeline ----------------------------------------------------------


def test_ingest_paths_every_file(shared: Path, tmp_path: Path, reads: dict[str, Read]) -> None:
    added = 0
    with Store(tmp_path / "db.duckdb") as store:
        for name in NMEA_FILES:
            assert sniff_format(Input(shared / name)) == "nmea"
            (res,) = ingest_paths(store, [str(shared / name)])
            got = reads[name]
            assert res.status == "complete", res.error
            assert res.lines == line_count(shared / name)
            assert res.positions_read == got.positions.num_rows
            assert res.statics_read == got.statics.num_rows
            assert res.skipped == got.skipped
            for reason, n in got.reasons().items():
                assert res.rejects[reason] == n
            added += res.positions_added
        total = store.query("SELECT count(*) AS n FROM positions")["n"][0].as_py()
    assert total == added > 70_000


def test_gzip_input_through_ingest_paths(shared: Path, tmp_path: Path) -> None:
    src = shared / "gpsd-aishub/ais-nmea-type6-fid55.log"
    gz = tmp_path / "fid55.log.gz"
    with open(src, "rb") as fin, gzip.open(gz, "wb") as fout:
        shutil.copyfileobj(fin, fout)
    with Store(tmp_path / "a.duckdb") as a, Store(tmp_path / "b.duckdb") as b:
        (plain,) = ingest_paths(a, [str(src)])
        (zipped,) = ingest_paths(b, [str(gz)])
    assert zipped.format == "nmea" and zipped.status == "complete"
    exp = reference(src)
    assert zipped.positions_read == plain.positions_read == exp.positions
    assert zipped.statics_read == plain.statics_read == exp.statics
    assert zipped.lines == plain.lines == line_count(src)
    assert zipped.positions_added == plain.positions_added > 0
    assert zipped.rejects == plain.rejects


def test_candidates_follow_the_reader_contract(reads: dict[str, Read]) -> None:
    for r in reads.values():
        assert r.positions.schema.equals(nmea.POSITION_CANDIDATES)
        assert r.statics.schema.equals(nmea.STATIC_CANDIDATES)
        assert r.positions.schema.field("ts").type == pa.timestamp("us", tz="UTC")
        assert set(r.positions["source"].to_pylist()) <= {"test"}
        assert r.positions["ts"].null_count == r.statics["ts"].null_count == 0


@pytest.mark.parametrize(
    ("name", "block_bytes"),
    [
        ("gpsd-aishub/ais-nmea-sample.log", 1 << 19),
        ("gpsd-aishub/sample.aivdm", 4096),
        ("aisdb/test_data_20211101.nm4", 8192),
    ],
)
def test_small_blocks_change_nothing(
    name: str,
    block_bytes: int,
    shared: Path,
    reads: dict[str, Read],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Multipart messages and times carry across block boundaries."""
    small = functools.partial(iter_line_blocks, block_bytes=block_bytes)
    monkeypatch.setattr(nmea, "iter_line_blocks", small)
    got, whole = read_path(shared / name), reads[name]
    assert got.positions.equals(whole.positions)
    assert got.statics.equals(whole.statics)
    assert got.rejects.sort_by("line_no").equals(whole.rejects.sort_by("line_no"))
    assert (got.lines, got.skipped) == (whole.lines, whole.skipped)


def test_anchor_mode_decided_before_the_end(
    shared: Path, reads: dict[str, Read], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long file without receiver times is timed by anchors without holding all of it."""
    monkeypatch.setattr(
        nmea, "iter_line_blocks", functools.partial(iter_line_blocks, block_bytes=1 << 20)
    )
    monkeypatch.setattr(nmea, "HOLD_BYTES", 3 << 19)
    name = "gpsd-aishub/ais-nmea-sample.log"
    with Input(shared / name).open() as stream:
        chunks = iter(nmea.read(stream, opts_for(name)))
        first = next(chunks)
        assert first.positions.num_rows > 0
        assert stream.raw_offset < (shared / name).stat().st_size  # before the end was read
        rest = list(chunks)
    got = pa.concat_tables([first.positions] + [c.positions for c in rest])
    assert got.num_rows == reads[name].positions.num_rows
    lo, hi = datetime(2012, 3, 14, 11, 29, tzinfo=UTC), datetime(2012, 3, 14, 11, 35, tzinfo=UTC)
    assert lo <= min(got["ts"].to_pylist()) and max(got["ts"].to_pylist()) < hi


# --- the NumPy decoder against pyais -------------------------------------------------------


@pytest.mark.parametrize("name", NMEA_FILES)
def test_vectorized_decoder_equals_pyais_on_every_sentence(name: str, shared: Path) -> None:
    """Every position of every real file, decoded by NumPy and by pyais: identical rows."""
    with Input(shared / name).open() as stream:
        fast = list(nmea.read(stream, opts_for(name), vectorized=True))
    with Input(shared / name).open() as stream:
        slow = list(nmea.read(stream, opts_for(name), vectorized=False))
    for table in ("positions", "statics", "rejects"):
        a = pa.concat_tables([getattr(c, table) for c in fast])
        b = pa.concat_tables([getattr(c, table) for c in slow])
        assert a.equals(b), table
    if name == "aisdb/test_data_20211101.nm4":  # the satellite file: type 27 is covered
        assert sum(c.positions["msg_type"].to_pylist().count(27) for c in fast) == 127


ARMOUR = [chr(c) for c in range(48, 88)] + [chr(c) for c in range(96, 120)]


PAYLOADS = st.tuples(
    st.sampled_from(["1", "2", "3", "B", "K"]),  # types 1, 2, 3, 18, 27
    st.lists(st.sampled_from(ARMOUR), min_size=15, max_size=40),
).map(lambda t: t[0] + "".join(t[1]))
TYPE_OF = {"1": 1, "2": 2, "3": 3, "B": 18, "K": 27}


@settings(max_examples=60, deadline=None)
@given(st.lists(PAYLOADS, min_size=1, max_size=80))
def test_vectorized_decoder_equals_pyais_on_random_payloads(payloads: list[str]) -> None:
    # The reader rejects payloads shorter than the fields it reads before decoding.
    payloads = [p for p in payloads if len(p) * 6 >= MIN_BITS[TYPE_OF[p[0]]]]
    assume(payloads)
    types = [TYPE_OF[p[0]] for p in payloads]
    rows = decode_positions(pl.Series(payloads), pl.Series(types)).rows(named=True)
    for payload, ty, row in zip(payloads, types, rows, strict=True):
        ref: Any = MSG_CLASS[ty].from_vector(bit_vector(payload.encode(), 0))
        assert (row["mmsi"], row["msg_type"]) == (ref.mmsi, ty)
        assert (row["lon"], row["lat"]) == (ref.lon, ref.lat)  # exactly
        sog, cog = ref.speed, ref.course
        if ty == 27:
            sog, cog = (None if sog == 63 else sog), (None if cog == 511 else cog)
        assert row["sog"] == (None if sog is None else pytest.approx(sog, rel=1e-6))
        assert row["cog"] == (None if cog is None else pytest.approx(cog, rel=1e-6))
        assert row["heading"] == (None if ty == 27 else ref.heading)
        assert row["nav_status"] == (None if ty == 18 else int(ref.status))
