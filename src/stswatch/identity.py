"""Who a transmitter says it is: identity history, flag from the MMSI, IMO check digits.

An MMSI's *identity* is what its static reports (AIS types 5, 19 and 24) broadcast: name,
call sign, IMO number and ship type. ``history`` turns the statics table into runs of one
identity per MMSI with their first and last report, and adds the *flag* that the MMSI itself
implies: the country of its Maritime Identification Digits (MID). Two reference tables ship
with the package (sources and licences in their header lines):

* ``data/mid.csv``: ITU MID -> administration and country (from the MIT-licensed npm package
  ``mmsi-country-lookup`` 1.0.2, compiled from the ITU MID table, ITU-R M.585);
* ``data/callsign_prefixes.csv``: the ITU table of international call sign series (Radio
  Regulations Appendix 42, the ITU's own export as shipped in the MIT-licensed PyPI package
  ``callsign-regex`` 0.7.1).

Where the MID sits in an MMSI (ITU-R M.585): ship stations ``MIDxxxxxx`` (first digit 2-7);
coast stations ``00MIDxxxx``; SAR aircraft ``111MIDxxx``; craft associated with a parent ship
``98MIDxxxx``; aids to navigation ``99MIDxxxx``. Handhelds (``8xxxxxxxx``) and the AIS-SART,
MOB and EPIRB-AIS devices (``970``, ``972``, ``974``) carry no MID.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib.resources import files

import numpy as np
import numpy.typing as npt
import polars as pl

IDENTITY_FIELDS = ("name", "callsign", "imo", "ship_type")

# IMO number check digit: weights of the first six digits (IMO Resolution A.1117(30), annex).
_IMO_WEIGHTS = (7, 6, 5, 4, 3, 2)


def _read_table(name: str) -> pl.DataFrame:
    path = files("stswatch") / "data" / name
    return pl.read_csv(path.read_bytes(), comment_prefix="#", infer_schema=False)


@cache
def mid_table() -> pl.DataFrame:
    """One row per allocated MID: mid (Int32), iso3, administration, country.

    MID 306 (three Netherlands territories) has a null ``iso3`` and the three names joined
    with " / "; its administration is the Netherlands.
    """
    raw = _read_table("mid.csv")
    return (
        raw.group_by("mid", maintain_order=True)
        .agg(
            pl.col("iso3").unique(maintain_order=True),
            pl.col("administration").first(),
            pl.col("country").str.join(" / "),
        )
        .select(
            pl.col("mid").cast(pl.Int32),
            pl.when(pl.col("iso3").list.len() == 1).then(pl.col("iso3").list.first()).alias("iso3"),
            "administration",
            "country",
        )
    )


@cache
def callsign_table() -> pl.DataFrame:
    """ITU call sign series: prefix2 (two characters), third_first/third_last, administration."""
    raw = _read_table("callsign_prefixes.csv")
    return (
        raw.select(
            pl.col("first").str.slice(0, 2).alias("prefix2"),
            pl.col("first").str.slice(2, 1).alias("third_first"),
            pl.col("last").str.slice(2, 1).alias("third_last"),
            "administration",
        )
        .unique(maintain_order=True)
        .sort("prefix2", "third_first")
    )


def mid_expr(mmsi: pl.Expr) -> pl.Expr:
    """The MID (Int32) inside a nine-digit MMSI, or null where the MMSI class has none."""
    m = mmsi.cast(pl.Int64)
    return (
        pl.when((m >= 200_000_000) & (m <= 799_999_999))
        .then(m // 1_000_000)
        .when(m < 10_000_000)  # 00MIDxxxx coast stations
        .then(m // 10_000)
        .when((m >= 111_000_000) & (m <= 111_999_999))
        .then((m // 1_000) % 1_000)
        .when(m >= 980_000_000)
        .then((m // 10_000) % 1_000)
        .otherwise(None)
        .cast(pl.Int32)
    )


def flags(mmsi: pl.Series | Sequence[int]) -> pl.DataFrame:
    """mmsi, mid, flag_iso3, flag_country, flag_administration for each MMSI (nulls when the
    MMSI has no MID or the MID is not allocated)."""
    df = pl.DataFrame({"mmsi": pl.Series(mmsi, dtype=pl.Int64)})
    return df.with_columns(mid_expr(pl.col("mmsi")).alias("mid")).join(
        mid_table().rename(
            {
                "iso3": "flag_iso3",
                "country": "flag_country",
                "administration": "flag_administration",
            }
        ),
        on="mid",
        how="left",
        maintain_order="left",
    )


def imo_valid_expr(imo: pl.Expr) -> pl.Expr:
    """True where ``imo`` is a seven-digit IMO number whose last digit is its check digit.

    The check digit is the last digit of the sum of the first six digits weighted 7..2
    (e.g. 9074729: 9*7 + 0*6 + 7*5 + 4*4 + 7*3 + 2*2 = 139, check digit 9). Null stays null.
    """
    n = imo.cast(pl.Int64)
    weighted = pl.sum_horizontal(
        [((n // 10 ** (7 - i)) % 10) * w for i, w in enumerate(_IMO_WEIGHTS, start=1)]
    )
    return (
        pl.when(n.is_null())
        .then(None)
        .otherwise((n >= 1_000_000) & (n <= 9_999_999) & (weighted % 10 == n % 10))
    )


def imo_valid(imo: pl.Series | Sequence[int | None] | npt.NDArray[np.int64]) -> pl.Series:
    """Vectorized IMO check-digit test (see ``imo_valid_expr``); returns a Boolean Series."""
    s = pl.Series("imo", imo, dtype=pl.Int64)
    return pl.select(imo_valid_expr(pl.lit(s)).alias("imo_valid")).to_series()


def normalize_text(col: str) -> pl.Expr:
    """Upper case, inner whitespace collapsed, trimmed; empty becomes null."""
    return (
        pl.col(col)
        .str.to_uppercase()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .replace("", None)
        .alias(col)
    )


def _callsign_key(callsign: pl.Expr) -> pl.Expr:
    """The call sign upper-cased when it looks like a ship station call sign (4-7 letters
    and digits, at least one letter), else null: "WU." or "P\\0000" are not looked up."""
    cs = callsign.str.to_uppercase().str.strip_chars()
    ok = cs.str.contains(r"^[A-Z0-9]{4,7}$") & cs.str.contains(r"[A-Z]")
    return pl.when(ok).then(cs).otherwise(None)


def callsign_lookup(df: pl.DataFrame, col: str = "callsign") -> pl.DataFrame:
    """Add ``callsign_administration``: the ITU administration whose call sign series
    contains the first three characters of ``col`` (null when malformed or unallocated)."""
    key = df.select(_callsign_key(pl.col(col)).alias("_cs")).to_series()
    probe = pl.DataFrame({"_cs": key.unique().drop_nulls()}).with_columns(
        pl.col("_cs").str.slice(0, 2).alias("prefix2"),
        pl.col("_cs").str.slice(2, 1).alias("_third"),
    )
    hits = (
        probe.join(callsign_table(), on="prefix2", how="inner")
        .filter(pl.col("_third").is_between(pl.col("third_first"), pl.col("third_last")))
        .group_by("_cs")
        .agg(pl.col("administration").first().alias("callsign_administration"))
    )
    return (
        df.with_columns(key.alias("_cs"))
        .join(hits, on="_cs", how="left", maintain_order="left")
        .drop("_cs")
    )


def _filled(statics: pl.DataFrame) -> pl.DataFrame:
    """Statics sorted by (mmsi, ts) with normalized text and, per MMSI, each identity field
    forward-filled: a null means "not stated in this report" (type 24 part A carries only
    the name, part B only call sign and ship type), not "changed to nothing"."""
    return (
        statics.select("mmsi", "ts", *IDENTITY_FIELDS)
        .with_columns(normalize_text("name"), normalize_text("callsign"))
        .sort("mmsi", "ts", "name", "callsign", "imo", "ship_type", nulls_last=True)
        .with_columns([pl.col(f).forward_fill().over("mmsi") for f in IDENTITY_FIELDS])
    )


def history(statics: pl.DataFrame) -> pl.DataFrame:
    """Per MMSI, runs of one identity (name, callsign, imo, ship_type) over time.

    Columns: mmsi, run (0-based per MMSI), name, callsign, imo, ship_type, first_ts, last_ts,
    n_reports, imo_valid, mid, flag_iso3, flag_country, flag_administration. Fields are
    forward-filled within an MMSI before runs are cut (see ``_filled``), so interleaved
    type 24 parts do not count as changes. Row order of the input does not matter.
    """
    df = _filled(statics)
    same = pl.all_horizontal(
        [pl.col(f).eq_missing(pl.col(f).shift(1).over("mmsi")) for f in IDENTITY_FIELDS]
    )
    df = df.with_columns(
        (~same).cum_sum().over("mmsi").cast(pl.UInt32).alias("run"),
    ).with_columns((pl.col("run") - pl.col("run").min().over("mmsi")).alias("run"))
    runs = df.group_by("mmsi", "run", maintain_order=True).agg(
        *[pl.col(f).first() for f in IDENTITY_FIELDS],
        pl.col("ts").min().alias("first_ts"),
        pl.col("ts").max().alias("last_ts"),
        pl.len().alias("n_reports"),
    )
    fl = flags(runs["mmsi"].unique()).unique("mmsi")
    return (
        runs.with_columns(imo_valid_expr(pl.col("imo")).alias("imo_valid"))
        .join(fl, on="mmsi", how="left")
        .sort("mmsi", "run")
    )
