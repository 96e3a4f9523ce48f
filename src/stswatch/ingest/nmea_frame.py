"""Framing of NMEA 0183 lines: a block of text lines in, checked sentence fields out.

One call handles a whole block with column-wise Polars string operations and a NumPy XOR
checksum, never a Python loop per line. Each line becomes one row saying what it is
(``kind``: blank, comment, ais, time or reject), why it was rejected (a reason from
``schema.REJECT_REASONS``), its AIVDM/AIVDO fields, the receiving ``station`` and the
line's own receiver time in microseconds since the epoch (``own_us``). Receiver times come
from an NMEA 4.0 tag block (``c:``: seconds, or milliseconds above 1e11), a USCG trailer
(``...*hh,r003669946,1325394060``: the first all-digit field after the checksum), a
timestamp before or after the sentence (epoch seconds or ISO 8601), or a GateHouse
``$PGHP,1,yyyy,mm,dd,hh,mm,ss,ms`` line. Unrecognised text after a valid checksum is
ignored; unrecognised text before the sentence makes the line ``malformed``.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

MS_EPOCH_ABOVE = 1e11  # epoch values above this are milliseconds (1e11 s is in year 5138)
MIN_EPOCH_S = 1e8  # receiver epochs before this (1973-03-03) are rejected as bad_time
MAX_FRAGMENTS = 9  # IEC 61162-1: at most nine sentences make one message
MAX_FILL_BITS = 5

TIME_LIKE_RE = r"^[0-9][0-9T:.+\-Z ]*$"
EPOCH_RE = r"^\d+(?:\.\d+)?$"
ISO_RE = (
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<hm>\d{2}:\d{2})(?::(?P<sec>\d{2})(?P<frac>\.\d{1,6})?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
PGHP_RE = (
    r"^1,(?P<y>\d{4}),(?P<mo>\d{1,2}),(?P<d>\d{1,2}),(?P<h>\d{1,2}),(?P<mi>\d{1,2}),"
    r"(?P<s>\d{1,2}),(?P<ms>\d{1,3})(?:,|$)"
)
# USCG trailer after the checksum: the station (r..., b...) and the logger's epoch seconds.
TRAILER_STATION_RE = r",([rRbBD][A-Za-z0-9_\-]*)(?:,|$)"
TRAILER_EPOCH_RE = r",(\d{9,}(?:\.\d*)?)(?:,|$)"
SEPARATORS = " \t,;"

FRAME_SCHEMA = pl.Schema(
    {
        "line_no": pl.Int64,
        "raw": pl.String,
        "kind": pl.String,  # blank, comment, ais, time, reject
        "reason": pl.String,
        "detail": pl.String,
        "talker": pl.String,  # address field, e.g. AIVDM, BSVDO
        "frag_cnt": pl.Int8,
        "frag_num": pl.Int8,
        "seq": pl.String,
        "channel": pl.String,
        "payload": pl.String,
        "fill": pl.Int8,
        "station": pl.String,
        "group": pl.String,
        "own_us": pl.Int64,
    }
)
_HEX = [f"{i:02X}" for i in range(256)]
NEWLINE, CARRIAGE_RETURN = 10, 13
OTHER, PLAIN, COMMENT, BLANK = 0, 1, 2, 3  # lines framed by NumPy (frame_block), or not
EASY_KINDS = {PLAIN: "ais", COMMENT: "comment", BLANK: "blank"}
# ASCII upper-case letters and digits.
_BYTE_UPPER = np.zeros(256, bool)
_BYTE_UPPER[ord("A") : ord("Z") + 1] = True
_BYTE_DIGIT = np.zeros(256, bool)
_BYTE_DIGIT[ord("0") : ord("9") + 1] = True
# _LOW_BYTES[k]: mask of the k lowest bytes of a little-endian 64-bit word.
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)], dtype=np.uint64)
# Byte -> value of a hexadecimal digit, -1 for other bytes.
_HEX_VALUE = np.full(256, -1, np.int16)
for _i, _c in enumerate("0123456789ABCDEF"):
    _HEX_VALUE[ord(_c)] = _HEX_VALUE[ord(_c.lower())] = _i


def xor_checksums(strings: pl.Series) -> np.ndarray:
    """XOR of the bytes of each string (the NMEA checksum) as uint8; 0 for null or empty."""
    arr = strings.fill_null("").rechunk().to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_string())
    n = len(arr)
    if n == 0:
        return np.empty(0, np.uint8)
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.empty(0, np.uint8)
    # A trailing zero keeps every start index valid (an empty last string starts at the end).
    padded = np.concatenate([data[offsets[0] : offsets[-1]], np.zeros(1, np.uint8)])
    out = np.bitwise_xor.reduceat(padded, offsets[:-1] - offsets[0])
    out[offsets[1:] == offsets[:-1]] = 0  # reduceat yields the start byte for empty segments
    return out.astype(np.uint8)


def epoch_us(text: pl.Series) -> pl.Series:
    """Epoch seconds (milliseconds above 1e11) as text -> microseconds; null if not numeric."""
    v = pl.select(
        pl.when(text.str.contains(EPOCH_RE)).then(text.cast(pl.Float64, strict=False))
    ).to_series()
    us = pl.select(pl.when(v > MS_EPOCH_ABOVE).then(v * 1e3).otherwise(v * 1e6)).to_series()
    return us.round(0).cast(pl.Int64, strict=False)


def time_token_us(text: pl.Series) -> pl.Series:
    """Receiver timestamps (epoch seconds or ISO 8601) -> microseconds; null if unparseable."""
    if text.null_count() == len(text):
        return pl.repeat(None, len(text), dtype=pl.Int64, eager=True)
    iso = text.str.extract_groups(ISO_RE).struct.unnest()
    local = (
        pl.select(
            pl.concat_str(
                iso["date"],
                pl.lit("T"),
                iso["hm"],
                pl.lit(":"),
                iso["sec"].fill_null("00"),
                iso["frac"].fill_null(""),
            )
        )
        .to_series()
        .str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S%.f", strict=False)
    )
    tz = iso["tz"].fill_null("Z").str.replace(":", "", literal=True)
    sign = pl.select(pl.when(tz.str.starts_with("-")).then(-1).otherwise(1)).to_series()
    offset_min = (
        tz.str.slice(1, 2).cast(pl.Int64, strict=False).fill_null(0) * 60
        + tz.str.slice(3, 2).cast(pl.Int64, strict=False).fill_null(0)
    ) * sign
    iso_us = local.dt.epoch("us") - offset_min * 60_000_000
    return epoch_us(text).fill_null(iso_us)


def _nonempty(s: pl.Series) -> pl.Series:
    return pl.select(pl.when(s != "").then(s)).to_series()


def frame_lines(lines: list[str], first_line_no: int) -> pl.DataFrame:
    """Frame one block of lines (without their newlines) into ``FRAME_SCHEMA`` rows."""
    raw = pl.Series("raw", lines, dtype=pl.String).str.strip_chars_end("\r")
    line_no = pl.int_range(first_line_no, first_line_no + len(lines), eager=True, dtype=pl.Int64)
    return frame_raw(raw, line_no)


def frame_block(block: bytes, first_line_no: int) -> pl.DataFrame:
    """Frame a block of whole lines, as bytes read as latin-1, into ``FRAME_SCHEMA`` rows.

    Equal to ``frame_lines`` on the block's lines, row for row. The usual lines are framed
    with NumPy on the bytes: comments, blank lines and plain sentences
    (``!xxVDM,c,n,s,ch,payload,f*hh`` with one-digit part count, part number and fill bits
    and a right checksum, nothing after but carriage returns), optionally behind one NMEA 4.0
    tag block with a right checksum and, if it has a ``c:`` time, a valid one. Every other
    line (timestamps, USCG trailers, $PGHP, damage of any kind) goes through ``frame_raw``.
    """
    fast, rest = frame_block_parts(block, first_line_no)
    if rest.height == 0:
        return fast
    if fast.height == 0:
        return rest
    return pl.concat([fast, rest]).sort("line_no")


def frame_block_parts(block: bytes, first_line_no: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``frame_block`` as two frames, each in line order: the lines framed with NumPy, and
    the lines framed by ``frame_raw``."""
    data = block if block.isascii() else block.decode("latin-1").encode("utf-8")
    buf = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(buf == NEWLINE)
    ends = nl if data.endswith(b"\n") else np.append(nl, len(buf))
    n = len(ends)
    starts = np.zeros(n, np.int64)
    starts[1:] = nl[: n - 1] + 1
    offsets = np.append(starts, len(buf)).astype(np.int64)
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    raw = pl.Series("raw", arr).str.strip_chars_end("\r\n")
    line_no = pl.int_range(first_line_no, first_line_no + n, eager=True, dtype=pl.Int64)
    kind, cols = _easy_lines(buf, starts, ends.astype(np.int64))
    tagged = (kind == PLAIN) & (cols["_tag_len"] > 0)
    own_us, has_time, station_at, station_len, hard_tag = _tag_fields(
        buf, starts, starts + 1 + cols["_tag_len"], tagged
    )
    kind[hard_tag] = OTHER
    easy = kind != OTHER
    if not easy.any():
        return pl.DataFrame(schema=FRAME_SCHEMA), frame_raw(raw, line_no)
    fast = pl.DataFrame(
        {
            "line_no": line_no,
            "raw": raw,
            "_kind": kind,
            "_own_us": own_us,
            "_has_time": has_time,
            "_station_at": station_at,
            "_station_len": station_len,
            **cols,
        }
    ).filter(pl.Series(easy))
    ais = pl.col("_kind") == PLAIN

    def cut(name: str) -> pl.Expr:
        text = pl.col("raw").str.slice(pl.col(f"_{name}_at"), pl.col(f"_{name}_len"))
        return pl.when(ais).then(text).alias(name)

    null_str = pl.lit(None, pl.String)
    fast = fast.select(
        "line_no",
        "raw",
        pl.col("_kind").replace_strict(EASY_KINDS, return_dtype=pl.String).alias("kind"),
        null_str.alias("reason"),
        null_str.alias("detail"),
        cut("talker"),
        pl.when(ais).then(pl.col("frag_cnt")).alias("frag_cnt"),
        pl.when(ais).then(pl.col("frag_num")).alias("frag_num"),
        cut("seq"),
        cut("channel"),
        cut("payload"),
        pl.when(ais).then(pl.col("fill")).alias("fill"),
        pl.when(ais & (pl.col("_station_len") >= 0)).then(cut("station")).alias("station"),
        null_str.alias("group"),  # lines with a g: group go to frame_raw
        pl.when(ais & pl.col("_has_time")).then(pl.col("_own_us")).alias("own_us"),
    ).cast(FRAME_SCHEMA)
    hard = ~easy
    if not hard.any():
        return fast, pl.DataFrame(schema=FRAME_SCHEMA)
    mask = pl.Series(hard)
    return fast, frame_raw(raw.filter(mask), line_no.filter(mask))


def _tag_fields(
    buf: np.ndarray, starts: np.ndarray, tag_end: np.ndarray, tagged: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The tag-block fields of lines whose tag block runs from starts + 1 to ``tag_end``.

    Returns per line the ``c:`` time in microseconds and whether there is one, the start
    (within the line) and length of the ``s:`` station (length -1 without one), and which
    lines to leave to ``frame_raw``: a ``c:`` that is not 1-15 digits or is before
    ``MIN_EPOCH_S`` (bad_time), or a ``g:`` group. Like the regular expressions of
    ``frame_raw``, the first ``c:`` and ``s:`` field of the tag block count.
    """
    n = len(starts)
    us = np.zeros(n, np.int64)
    has_time = np.zeros(n, bool)
    station_at = np.zeros(n, np.int64)
    station_len = np.full(n, -1, np.int64)
    hard = np.zeros(n, bool)
    t = np.flatnonzero(tagged)
    if len(t) == 0:
        return us, has_time, station_at, station_len, hard
    lo, hi = starts[t] + 1, tag_end[t]  # content of each tag block: [lo, hi)
    commas = np.flatnonzero(buf == ord(","))
    first_comma = np.searchsorted(commas, lo)
    counts = np.searchsorted(commas, hi) - first_comma
    # Field starts: the content start, then after each comma of the content.
    per_line = counts + 1
    off = np.zeros(len(t) + 1, np.int64)
    np.cumsum(per_line, out=off[1:])
    line_of = np.repeat(np.arange(len(t)), per_line)
    rank = np.arange(off[-1]) - off[line_of]  # 0 for the content start, k after comma k
    comma_idx = first_comma[line_of] + rank - 1
    fs = np.where(rank == 0, lo[line_of], commas[np.clip(comma_idx, 0, len(commas) - 1)] + 1)
    fe = np.empty_like(fs)
    fe[:-1] = fs[1:] - 1
    fe[off[1:] - 1] = hi
    key0, key1 = buf[fs], buf[np.minimum(fs + 1, len(buf) - 1)]
    colon = (key1 == ord(":")) & (fs + 1 < fe)
    # g: groups are parsed by frame_raw.
    hard[t[line_of[colon & (key0 == ord("g"))]]] = True
    sel = np.flatnonzero(colon & (key0 == ord("s")))
    f = sel[_firsts(line_of[sel])]
    rows = t[line_of[f]]
    station_at[rows] = fs[f] + 2 - starts[rows]
    station_len[rows] = fe[f] - fs[f] - 2
    sel = np.flatnonzero(colon & (key0 == ord("c")))
    f = sel[_firsts(line_of[sel])]
    rows = t[line_of[f]]
    width = fe[f] - fs[f] - 2
    ok = (width >= 1) & (width <= 15)
    value = np.zeros(len(f), np.int64)
    start = fs[f] + 2
    for j in range(int(width[ok].max()) if ok.any() else 0):
        inside = j < width
        digit = buf[np.minimum(start + j, len(buf) - 1)] - np.uint8(ord("0"))  # wraps if < '0'
        ok &= ~inside | (digit <= 9)
        value = np.where(inside, value * 10 + digit, value)
    seconds = value.astype(np.float64)
    micro = np.where(seconds > MS_EPOCH_ABOVE, seconds * 1e3, seconds * 1e6)
    micro = np.round(micro).astype(np.int64)
    ok &= micro >= int(MIN_EPOCH_S * 1e6)
    us[rows] = micro
    has_time[rows] = True
    hard[rows[~ok]] = True
    return us, has_time, station_at, station_len, hard


def _firsts(sorted_ids: np.ndarray) -> np.ndarray:
    """Indices of the first of each run of equal values in a sorted array."""
    if len(sorted_ids) == 0:
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.concatenate([[True], sorted_ids[1:] != sorted_ids[:-1]]))


def _xor_ranges(words: np.ndarray, prefix: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """XOR of the bytes [a, b) of a buffer, per pair, from its little-endian 64-bit words and
    their running XOR (``prefix[i]`` = XOR of words before i)."""
    a = np.clip(a, 0, None)
    b = np.maximum(b, a)
    wa, wb = a >> 3, b >> 3
    x = prefix[wb] ^ prefix[wa]  # whole words [wa, wb)
    x ^= words[wa] & _LOW_BYTES[a & 7]  # less the bytes of word wa before a
    x ^= words[wb] & _LOW_BYTES[b & 7]  # plus the bytes of word wb before b
    x ^= x >> np.uint64(32)
    x ^= x >> np.uint64(16)
    x ^= x >> np.uint64(8)
    return (x & np.uint64(0xFF)).astype(np.int64)


def _easy_lines(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """What each line is when that is easy to tell (see ``frame_block``), and its fields.

    ``ends`` are the line ends without the newline. Returns, per line, ``PLAIN`` (a plain
    sentence, maybe behind a tag block), ``COMMENT`` (starts with '#'), ``BLANK`` (empty but
    for carriage returns) or ``OTHER``, and for plain sentences the part count, part number
    and fill bits, and the start and length within the line of the tag block (without its
    checksum), talker, sequence id, channel and payload. Sentences whose sequence id or
    channel is longer than two characters are left to ``frame_raw``.
    """
    size, n = len(buf), len(starts)
    pad = 8
    # Zeros around the bytes keep reads before or past short lines in bounds.
    padded = np.concatenate([np.zeros(pad, np.uint8), buf, np.zeros(24, np.uint8)])
    # Carriage returns before the newline are not part of the sentence.
    le = ends.copy()
    for _ in range(2):
        le -= (le > starts) & (padded[le - 1 + pad] == CARRIAGE_RETURN)
    length = le - starts
    first = padded[starts + pad]

    # The sentence starts at the first '!' or '$'; before it may be one tag block \...*hh\.
    sen = starts.copy()
    tagged = first == ord("\\")
    tag_ok = np.zeros(n, bool)
    tag_end = starts.copy()  # the tag block's '*'
    thi = tlo = np.zeros(n, np.int16)
    if tagged.any():
        t = np.flatnonzero(tagged)
        bangs = np.append(np.flatnonzero((buf == ord("!")) | (buf == ord("$"))), size + 1)
        stars = np.append(np.flatnonzero(buf == ord("*")), size + 1)
        ts = starts[t]
        ss = bangs[np.searchsorted(bangs, ts)]
        good = (ss >= ts + 6) & (ss < le[t])
        sen[t] = np.where(good, ss, ts)
        tag_end[t] = sen[t] - 4
        thi = _HEX_VALUE[padded[tag_end + 1 + pad]]
        tlo = _HEX_VALUE[padded[tag_end + 2 + pad]]
        first_star = np.full(n, -1, np.int64)
        first_star[t] = stars[np.searchsorted(stars, ts)]
        tag_ok[t] = good
        # \ content *hh \ with no other '*' in the content.
        tag_ok &= (
            (first_star == tag_end) & (thi >= 0) & (tlo >= 0) & (padded[sen - 1 + pad] == ord("\\"))
        )
    # Bytes k of every sentence (head[k]: !AIVDM,1,1,ss,cc,) and before its end (tail: ,0*hh)
    head = np.stack([padded[sen + (pad + k)] for k in range(17)])
    tail = np.stack([padded[le + (pad - k)] for k in range(5, 0, -1)])
    hi, lo = _HEX_VALUE[tail[3]], _HEX_VALUE[tail[4]]
    cnt, num = head[7].astype(np.int64) - 48, head[9].astype(np.int64) - 48
    talker_ok = _BYTE_UPPER[head[1]] & (_BYTE_UPPER[head[2]] | _BYTE_DIGIT[head[2]])
    ok = (
        ((head[0] == ord("!")) | (head[0] == ord("$")))
        & talker_ok
        & (head[3] == ord("V"))
        & (head[4] == ord("D"))
        & ((head[5] == ord("M")) | (head[5] == ord("O")))
        & (head[6] == ord(","))
        & (cnt >= 1)
        & (cnt <= MAX_FRAGMENTS)
        & (head[8] == ord(","))
        & (num >= 1)
        & (num <= cnt)
        & (head[10] == ord(","))
        & (tail[0] == ord(","))
        & (tail[1] >= ord("0"))
        & (tail[1] <= ord("0") + MAX_FILL_BITS)
        & (tail[2] == ord("*"))
        & (hi >= 0)
        & (lo >= 0)
        & (le - sen >= 18)  # !AAVDM,1,1,,,,0*hh
        & ((first == ord("!")) | (first == ord("$")) | tag_ok)
    )
    # Sequence id: 0-2 digits from head[11]; channel: 0-2 characters but ',' and '*'.
    comma = head == ord(",")
    seq_len = np.select([comma[11], comma[12], comma[13]], [0, 1, 2], -1)
    ok &= (seq_len >= 0) & ((seq_len < 1) | _BYTE_DIGIT[head[11]])
    ok &= (seq_len < 2) | _BYTE_DIGIT[head[12]]
    c3 = 11 + seq_len  # the comma after the sequence id, from the sentence start
    rows = np.arange(n)
    chan = [head[c3 + k, rows] for k in (1, 2, 3)]
    special = [(c == ord(",")) | (c == ord("*")) for c in chan]
    chan_len = np.select(
        [chan[0] == ord(","), chan[1] == ord(","), chan[2] == ord(",")], [0, 1, 2], -1
    )
    ok &= (chan_len >= 0) & ((chan_len < 1) | ~special[0]) & ((chan_len < 2) | ~special[1])
    c4 = sen + c3 + chan_len + 1  # the comma after the channel, in the buffer
    # The payload runs to the sixth comma (tail[0]) with no ',' or '*' in it.
    specials = np.append(np.flatnonzero((buf == ord(",")) | (buf == ord("*"))), size + 1)
    ok &= specials[np.searchsorted(specials, np.minimum(c4 + 1, size))] == le - 5
    if size and buf.max() >= 0x80:  # lines with other than ASCII go to frame_raw
        high = np.append(np.flatnonzero(buf >= 0x80), size + 1)
        ok &= high[np.searchsorted(high, starts)] >= le
    # Checksums: XOR of the bytes between '!' and '*', and between '\' and '*'.
    words = np.concatenate([buf, np.zeros(16 - size % 8, np.uint8)]).view("<u8")
    prefix = np.zeros(len(words) + 1, np.uint64)
    np.bitwise_xor.accumulate(words, out=prefix[1:])
    ok &= _xor_ranges(words, prefix, sen + 1, le - 3) == hi * 16 + lo
    if tagged.any():
        tag_sum = _xor_ranges(words, prefix, starts + 1, np.where(tag_ok, tag_end, starts + 1))
        ok &= ~tag_ok | (tag_sum == thi.astype(np.int64) * 16 + tlo)
    kind = np.where(ok, PLAIN, OTHER).astype(np.int8)
    kind[(first == ord("#")) & (length > 0)] = COMMENT
    kind[length == 0] = BLANK
    at = sen - starts  # the sentence within the line
    return kind, {
        "frag_cnt": cnt.astype(np.int8),
        "frag_num": num.astype(np.int8),
        "fill": (tail[1].astype(np.int64) - 48).astype(np.int8),
        "_tag_len": np.where(tag_ok, tag_end - starts - 1, 0),
        "_talker_at": at + 1,
        "_talker_len": np.full(n, 5, np.int64),
        "_seq_at": at + 11,
        "_seq_len": seq_len,
        "_channel_at": at + c3 + 1,
        "_channel_len": chan_len,
        "_payload_at": c4 - starts + 1,
        "_payload_len": le - 5 - c4 - 1,
    }


def frame_raw(raw: pl.Series, line_no: pl.Series) -> pl.DataFrame:
    """Frame lines (without newlines or trailing carriage returns) into ``FRAME_SCHEMA``."""
    s = raw.str.strip_chars()

    # Split each line into head (timestamp, tag block), sentence, checksum and suffix.
    start = s.str.find(r"[!$]")
    head = s.str.slice(0, start)
    rest = s.str.slice(start)
    star = rest.str.find("*", literal=True)
    sen = rest.str.slice(0, star)
    cs = rest.str.slice(star + 1, 2)
    suf = _nonempty(rest.str.slice(star + 3))
    framed = sen.str.contains(r"^[!$][A-Z][A-Z0-9]{1,5},") & cs.str.contains(r"^[0-9A-Fa-f]{2}$")
    comma = sen.str.find(",", literal=True)
    addr = sen.str.slice(1, comma - 1)
    body = sen.str.slice(comma + 1)

    backslash = head.str.find("\\", literal=True)
    has_tag = head.str.ends_with("\\") & (backslash < head.str.len_chars() - 1)
    tag = pl.select(
        pl.when(has_tag).then(head.str.slice(backslash + 1, head.str.len_chars() - backslash - 2))
    ).to_series()
    before = pl.select(pl.when(has_tag).then(head.str.slice(0, backslash)).otherwise(head))
    pre = _nonempty(before.to_series().str.strip_chars_end(SEPARATORS))
    tag_star = tag.str.find("*", literal=True)
    tb = tag.str.slice(0, tag_star)
    tcs = tag.str.slice(tag_star + 1)
    tag_ok = tcs.str.contains(r"^[0-9A-Fa-f]{2}$")

    sen_calc = pl.Series(xor_checksums(sen.str.slice(1)), dtype=pl.UInt8).cast(pl.Int64)
    tag_calc = pl.Series(xor_checksums(tb), dtype=pl.UInt8).cast(pl.Int64)
    sen_cs = cs.str.to_integer(base=16, strict=False)
    tag_cs = tcs.str.to_integer(base=16, strict=False)

    is_vdm = framed & addr.str.slice(2).is_in(["VDM", "VDO"]) & (addr.str.len_chars() == 5)
    is_pghp = framed & (addr == "PGHP")
    f = body.str.splitn(",", 6).struct.unnest()
    cnt = f["field_0"].cast(pl.Int64, strict=False)
    num = f["field_1"].cast(pl.Int64, strict=False)
    seq, chan, payload = f["field_2"], f["field_3"], f["field_4"]
    fill = f["field_5"].cast(pl.Int64, strict=False)
    vdm_ok = (
        cnt.is_not_null()
        & num.is_not_null()
        & seq.str.contains(r"^\d{0,2}$")
        & payload.is_not_null()
        & fill.is_not_null()
    )

    # Receiver times: tag block c:, prefix, $PGHP, suffix token, USCG trailer.
    tag_c = tb.str.extract(r"(?:^|,)c:([^,]*)", 1)
    tag_us = epoch_us(tag_c)
    pre_time_like = pre.str.contains(TIME_LIKE_RE)
    pre_us = time_token_us(pre)
    trailer = pl.select(pl.when(suf.str.starts_with(",")).then(suf)).to_series()
    suf_tok = suf.str.extract(r"^[ \t]+([0-9][0-9T:.+\-Z ]*)$", 1).str.strip_chars_end()
    suf_us = time_token_us(suf_tok)
    trl_us = epoch_us(trailer.str.extract(TRAILER_EPOCH_RE, 1))
    pghp_body = pl.select(pl.when(is_pghp).then(body)).to_series()
    g = pghp_body.str.extract_groups(PGHP_RE).struct.unnest()
    pghp_us = (
        pl.select(
            pl.format(
                "{}-{}-{}T{}:{}:{}.{}",
                g["y"],
                g["mo"].str.zfill(2),
                g["d"].str.zfill(2),
                g["h"].str.zfill(2),
                g["mi"].str.zfill(2),
                g["s"].str.zfill(2),
                g["ms"].str.zfill(3),
            )
        )
        .to_series()
        .str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S%.f", strict=False)
        .dt.epoch("us")
    )
    station = tb.str.extract(r"(?:^|,)s:([^,]*)", 1).fill_null(
        trailer.str.extract(TRAILER_STATION_RE, 1)
    )
    group = tb.str.extract(r"(?:^|,)g:\d+-\d+-([^,]*)", 1)

    df = pl.DataFrame(
        {
            "line_no": line_no,
            "raw": raw,
            "_s": s,
            "_framed": framed.fill_null(False),
            "_pre": pre,
            "_pre_time_like": pre_time_like,
            "_pre_us": pre_us,
            "_tag": tag,
            "_tag_ok": tag_ok,
            "_tb": tb,
            "_tcs": tcs,
            "_tag_cs": tag_cs,
            "_tag_calc": tag_calc,
            "_cs": cs,
            "_sen_cs": sen_cs,
            "_sen_calc": sen_calc,
            "_addr": addr,
            "_is_vdm": is_vdm.fill_null(False),
            "_is_pghp": is_pghp.fill_null(False),
            "_pghp_ok": g["y"].is_not_null(),
            "_pghp_us": pghp_us,
            "_vdm_ok": vdm_ok.fill_null(False),
            "_cnt": cnt,
            "_num": num,
            "_fill": fill,
            "_tag_c": tag_c,
            "_tag_us": tag_us,
            "_suf_tok": suf_tok,
            "_suf_us": suf_us,
            "_trl_us": trl_us,
            "talker": addr,
            "seq": seq,
            "channel": chan,
            "payload": payload,
            "station": station,
            "group": group,
        }
    )
    reason, detail = _reasons()
    kind = (
        pl.when(pl.col("_s") == "")
        .then(pl.lit("blank"))
        .when(pl.col("_s").str.starts_with("#"))
        .then(pl.lit("comment"))
        .when(reason.is_not_null())
        .then(pl.lit("reject"))
        .when(pl.col("_is_pghp"))
        .then(pl.lit("time"))
        .otherwise(pl.lit("ais"))
    )
    df = df.with_columns(kind.alias("kind"), reason.alias("reason"), detail.alias("detail"))
    ais = pl.col("kind") == "ais"
    own_us = pl.coalesce("_tag_us", "_pre_us", "_pghp_us", "_suf_us", "_trl_us")
    return df.select(
        "line_no",
        "raw",
        "kind",
        pl.when(pl.col("kind") == "reject").then(pl.col("reason")).alias("reason"),
        pl.when(pl.col("kind") == "reject").then(pl.col("detail")).alias("detail"),
        pl.when(ais).then(pl.col("talker")).alias("talker"),
        pl.when(ais).then(pl.col("_cnt")).cast(pl.Int8).alias("frag_cnt"),
        pl.when(ais).then(pl.col("_num")).cast(pl.Int8).alias("frag_num"),
        pl.when(ais).then(pl.col("seq")).alias("seq"),
        pl.when(ais).then(pl.col("channel")).alias("channel"),
        pl.when(ais).then(pl.col("payload")).alias("payload"),
        pl.when(ais).then(pl.col("_fill")).cast(pl.Int8).alias("fill"),
        pl.when(ais).then(pl.col("station")).alias("station"),
        pl.when(ais).then(pl.col("group")).alias("group"),
        pl.when(pl.col("kind").is_in(["ais", "time"])).then(own_us).alias("own_us"),
    ).cast(FRAME_SCHEMA)


def _bad_epoch(us: str) -> pl.Expr:
    return pl.col(us).is_null() | (pl.col(us) < int(MIN_EPOCH_S * 1e6))


def _reasons() -> tuple[pl.Expr, pl.Expr]:
    """(reason, detail) of each framed line, checks in order of precedence; null when fine."""
    c = pl.col
    vdm = c("_is_vdm")
    checks: list[tuple[pl.Expr, str, pl.Expr]] = [
        (
            ~c("_framed"),
            "malformed",
            pl.lit("not an NMEA sentence (expected [tag block]!AIVDM,...*hh)"),
        ),
        (
            c("_pre").is_not_null() & ~c("_pre_time_like").fill_null(False),
            "malformed",
            pl.format("unexpected text {} before the sentence", c("_pre")),
        ),
        (
            c("_tag").is_not_null() & ~c("_tag_ok").fill_null(False),
            "malformed",
            pl.lit("tag block without a two-digit *hh checksum"),
        ),
        (
            c("_sen_cs") != c("_sen_calc"),
            "bad_checksum",
            pl.format(
                "sentence checksum {} != computed {}",
                c("_cs").str.to_uppercase(),
                _hex2("_sen_calc"),
            ),
        ),
        (
            c("_tag").is_not_null() & (c("_tag_cs") != c("_tag_calc")),
            "bad_checksum",
            pl.format(
                "tag block checksum {} != computed {}",
                c("_tcs").str.to_uppercase(),
                _hex2("_tag_calc"),
            ),
        ),
        (
            c("_is_pghp") & ~c("_pghp_ok"),
            "malformed",
            pl.lit("$PGHP sentence without a type-1 date and time"),
        ),
        (
            c("_is_pghp") & c("_pghp_us").is_null(),
            "bad_time",
            pl.lit("$PGHP date or time out of range"),
        ),
        (~vdm & ~c("_is_pghp"), "not_ais", pl.format("{} sentence", c("_addr"))),
        (
            vdm & ~c("_vdm_ok"),
            "malformed",
            pl.lit("fields are not count,number,sequence,channel,payload,fill"),
        ),
        (
            vdm
            & (
                (c("_cnt") < 1)
                | (c("_cnt") > MAX_FRAGMENTS)
                | (c("_num") < 1)
                | (c("_num") > c("_cnt"))
            ),
            "malformed",
            pl.format("fragment {} of {}", c("_num"), c("_cnt")),
        ),
        (
            c("_tag_c").is_not_null() & _bad_epoch("_tag_us"),
            "bad_time",
            pl.format("tag block time c:{}", c("_tag_c")),
        ),
        (
            c("_pre").is_not_null() & _bad_epoch("_pre_us"),
            "bad_time",
            pl.format("timestamp {}", c("_pre")),
        ),
        (
            c("_suf_tok").is_not_null() & _bad_epoch("_suf_us"),
            "bad_time",
            pl.format("timestamp {}", c("_suf_tok")),
        ),
        (
            vdm & (c("_fill") > MAX_FILL_BITS),
            "undecodable",
            pl.format("fill bits {} (0-5 allowed)", c("_fill")),
        ),
    ]
    reason: pl.Expr = pl.lit(None, pl.String)
    detail: pl.Expr = pl.lit(None, pl.String)
    for cond, why, text in reversed(checks):
        reason = pl.when(cond.fill_null(False)).then(pl.lit(why)).otherwise(reason)
        detail = pl.when(cond.fill_null(False)).then(text).otherwise(detail)
    return reason, detail


def _hex2(col: str) -> pl.Expr:
    return pl.col(col).replace_strict(list(range(256)), _HEX, default=None, return_dtype=pl.String)
