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
    n = len(lines)
    raw = pl.Series("raw", lines, dtype=pl.String).str.strip_chars_end("\r")
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
            "line_no": pl.int_range(first_line_no, first_line_no + n, eager=True, dtype=pl.Int64),
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
