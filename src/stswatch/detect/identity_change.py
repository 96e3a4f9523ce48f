"""Identity change: a transmitter that starts calling itself something else.

An identity-change event is a change in what static AIS reports (``ctx.statics``) broadcast,
of one of eight subtypes. ``name``, ``callsign``, ``imo``, ``ship_type``: under one MMSI the
field moves from one value to another; only values seen in at least ``min_reports`` reports
of that MMSI count, so one garbled report is not a change. The event spans the last report
with the old value to the first with the new one; a change that recurs (two vessels sharing
the MMSI, alternating) is one event per direction, with the number of times in evidence.
``flag``: the same valid IMO number appears under a new MMSI whose MID country differs from
the previous MMSI's (flag hopping); ``other_mmsi`` is the previous MMSI. ``imo_clone``: one
valid IMO broadcast by two MMSIs whose report periods overlap (``mmsi`` the lower).
``imo_check_digit``: an MMSI broadcasts an IMO number that fails the IMO check digit.
``mid_flag_mismatch``: the MMSI's MID administration differs from the ITU administration of
the call sign it broadcasts (call sign series, ITU Radio Regulations Appendix 42); both are
compared at administration level, so a Bermuda MID (UK territory) with a UK call sign passes.
Only call signs that look like ship station call signs (4-7 letters/digits) are looked up.

Statics are taken as given (the caller chooses their time range); only MMSIs present in
``positions``, and MMSIs sharing a valid IMO with them, are considered. Event positions are
the MMSI's report nearest in time to the event's end (null when it has none).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from stswatch.detect.base import DetectContext, empty_events, finish_events
from stswatch.identity import (
    IDENTITY_FIELDS,
    callsign_lookup,
    flags,
    imo_valid_expr,
    mid_expr,
    mid_table,
    normalize_text,
)


@dataclass(frozen=True)
class Params:
    """Thresholds of the identity-change detector (the ``[identity_change]`` section)."""

    # Our choice: a value seen once may be a receiver artefact; twice is a broadcast.
    min_reports: int = field(
        default=2, metadata={"help": "Reports a value needs before a change to or from it counts"}
    )
    max_evidence_items: int = field(
        default=20, metadata={"help": "Longest list (change times) kept in evidence JSON"}
    )


EVENT_TYPE = "identity_change"


def detect(
    positions: pl.DataFrame, params: Params | None = None, ctx: DetectContext | None = None
) -> pl.DataFrame:
    """Identity-change events for the MMSIs in ``positions``, from ``ctx.statics``."""
    params = params or Params()
    ctx = ctx or DetectContext()
    if ctx.statics is None or ctx.statics.height == 0 or positions.height == 0:
        return empty_events()
    statics = _relevant(ctx.statics, positions)
    if statics.height == 0:
        return empty_events()
    frames = [_field_changes(statics, f, params) for f in IDENTITY_FIELDS]
    frames += [
        _imo_across_mmsis(statics, params),
        _imo_check_digit(statics, params),
        _mid_flag_mismatch(statics, params),
    ]
    frames = [f for f in frames if f.height]
    if not frames:
        return empty_events()
    events = pl.concat(frames, how="diagonal_relaxed")
    events = _locate(events, positions)
    return finish_events(events).sort("mmsi", "start", "subtype")


def _relevant(statics: pl.DataFrame, positions: pl.DataFrame) -> pl.DataFrame:
    """Normalized statics of the partition's MMSIs plus MMSIs sharing a valid IMO with them."""
    s = statics.select("mmsi", "ts", *IDENTITY_FIELDS).with_columns(
        normalize_text("name"), normalize_text("callsign")
    )
    own = positions["mmsi"].unique().implode()
    mine = s.filter(pl.col("mmsi").is_in(own))
    imos = mine.filter(imo_valid_expr(pl.col("imo")).fill_null(False))["imo"].unique().implode()
    return s.filter(pl.col("mmsi").is_in(own) | pl.col("imo").is_in(imos)).sort(
        "mmsi", "ts", "name", "callsign", "imo", "ship_type", nulls_last=True, maintain_order=True
    )


def _iso(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(subtype: str) -> list[pl.Expr]:
    return [pl.lit(EVENT_TYPE).alias("type"), pl.lit(subtype).alias("subtype")]


def _established(statics: pl.DataFrame, col: str, params: Params) -> pl.DataFrame:
    """(mmsi, ts, value) rows where ``col`` is stated and the value has min_reports reports."""
    return (
        statics.select("mmsi", "ts", pl.col(col).cast(pl.Utf8).alias("value"))
        .drop_nulls("value")
        .with_columns(pl.len().over("mmsi", "value").alias("n_value"))
        .filter(pl.col("n_value") >= params.min_reports)
    )


def _field_changes(statics: pl.DataFrame, col: str, params: Params) -> pl.DataFrame:
    rows = _established(statics, col, params)
    if rows.height == 0:
        return pl.DataFrame()
    runs = (
        rows.with_columns(
            (pl.col("value") != pl.col("value").shift(1).over("mmsi"))
            .fill_null(True)
            .cum_sum()
            .over("mmsi")
            .alias("_run")
        )
        .group_by("mmsi", "_run", maintain_order=True)
        .agg(
            pl.col("value").first(),
            pl.col("n_value").first(),
            pl.col("ts").min().alias("first_ts"),
            pl.col("ts").max().alias("last_ts"),
        )
        .sort("mmsi", "_run")
    )
    nxt = [pl.col(c).shift(-1).over("mmsi") for c in ("value", "n_value", "first_ts")]
    changes = runs.with_columns(
        nxt[0].alias("new"), nxt[1].alias("new_reports"), nxt[2].alias("new_first_ts")
    ).filter(pl.col("new").is_not_null())
    if changes.height == 0:
        return pl.DataFrame()
    k = params.max_evidence_items
    per = changes.group_by("mmsi", pl.col("value").alias("old"), "new").agg(
        pl.col("last_ts").first().alias("start"),
        pl.col("new_first_ts").first().alias("end"),
        pl.col("n_value").first().alias("old_reports"),
        pl.col("new_reports").first(),
        pl.len().alias("n_times"),
        _iso("new_first_ts").head(k).alias("times"),
    )
    reverse = per.select("mmsi", pl.col("old").alias("new"), pl.col("new").alias("old"))
    per = per.join(
        reverse.with_columns(pl.lit(True).alias("alternating")),
        on=["mmsi", "old", "new"],
        how="left",
    ).with_columns(pl.col("alternating").fill_null(False))
    return per.select(
        *_event(col),
        "mmsi",
        "start",
        "end",
        pl.struct(
            pl.lit(col).alias("field"),
            "old",
            "new",
            _iso("start").alias("old_last_seen"),
            _iso("end").alias("new_first_seen"),
            "old_reports",
            "new_reports",
            "n_times",
            "alternating",
            "times",
        )
        .struct.json_encode()
        .alias("evidence"),
    )


def _imo_spans(statics: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Per (valid IMO, MMSI): first/last report with that IMO, with the MMSI's flag."""
    spans = (
        statics.filter(imo_valid_expr(pl.col("imo")).fill_null(False))
        .group_by("imo", "mmsi")
        .agg(pl.col("ts").min().alias("first_ts"), pl.col("ts").max().alias("last_ts"), pl.len().alias("n"))
        .filter(pl.col("n") >= params.min_reports)
    )  # fmt: skip
    if spans.height == 0:
        return spans
    fl = flags(spans["mmsi"].unique()).unique("mmsi")
    return spans.join(fl, on="mmsi", how="left").with_columns(
        pl.coalesce("flag_iso3", "flag_country").alias("flag")
    )


def _imo_across_mmsis(statics: pl.DataFrame, params: Params) -> pl.DataFrame:
    spans = _imo_spans(statics, params)
    if spans.height == 0:
        return pl.DataFrame()
    keep = ["mmsi", "first_ts", "last_ts", "n", "flag", "flag_country"]
    pairs = (
        spans.join(spans.select("imo", *keep), on="imo", suffix="_b")
        .filter(pl.col("mmsi") < pl.col("mmsi_b"))
        .with_columns(
            (pl.min_horizontal("last_ts", "last_ts_b") > pl.max_horizontal("first_ts", "first_ts_b"))
            .alias("overlap")
        )
    )  # fmt: skip
    if pairs.height == 0:
        return pl.DataFrame()
    # Flag hopping: successive MMSIs of one IMO (ordered by first report) under different flags.
    order = spans.sort("imo", "first_ts", "mmsi").with_columns(
        [pl.col(c).shift(1).over("imo").alias(f"prev_{c}") for c in keep]
    )
    hops = order.filter(
        pl.col("prev_mmsi").is_not_null() & (pl.col("flag").ne_missing(pl.col("prev_flag")))
    )
    hop_events = hops.select(
        *_event("flag"),
        "mmsi",
        pl.col("prev_mmsi").alias("other_mmsi"),
        pl.min_horizontal("prev_last_ts", "first_ts").alias("start"),
        pl.max_horizontal("prev_last_ts", "first_ts").alias("end"),
        pl.struct(
            "imo",
            pl.col("prev_mmsi").alias("old_mmsi"),
            pl.col("mmsi").alias("new_mmsi"),
            pl.col("prev_flag").alias("old_flag"),
            pl.col("flag").alias("new_flag"),
            pl.col("prev_flag_country").alias("old_country"),
            pl.col("flag_country").alias("new_country"),
            _iso("prev_last_ts").alias("old_last_seen"),
            _iso("first_ts").alias("new_first_seen"),
            (pl.col("prev_last_ts") > pl.col("first_ts")).alias("overlapping"),
        )
        .struct.json_encode()
        .alias("evidence"),
    )
    clones = pairs.filter(pl.col("overlap"))
    clone_events = clones.select(
        *_event("imo_clone"),
        "mmsi",
        pl.col("mmsi_b").alias("other_mmsi"),
        pl.max_horizontal("first_ts", "first_ts_b").alias("start"),
        pl.min_horizontal("last_ts", "last_ts_b").alias("end"),
        pl.struct(
            "imo",
            pl.concat_list("mmsi", "mmsi_b").alias("mmsis"),
            pl.concat_list("flag", "flag_b").alias("flags"),
            pl.concat_list("n", "n_b").alias("reports"),
            pl.concat_list(_iso("first_ts"), _iso("first_ts_b")).alias("first_seen"),
            pl.concat_list(_iso("last_ts"), _iso("last_ts_b")).alias("last_seen"),
        )
        .struct.json_encode()
        .alias("evidence"),
    )
    return pl.concat([hop_events, clone_events], how="diagonal_relaxed")


def _imo_check_digit(statics: pl.DataFrame, params: Params) -> pl.DataFrame:
    bad = (
        statics.drop_nulls("imo")
        .filter(~imo_valid_expr(pl.col("imo")))
        .group_by("mmsi", "imo")
        .agg(pl.col("ts").min().alias("start"), pl.col("ts").max().alias("end"), pl.len().alias("n_reports"))
        .filter(pl.col("n_reports") >= params.min_reports)
    )  # fmt: skip
    if bad.height == 0:
        return pl.DataFrame()
    n = pl.col("imo")
    weighted = pl.sum_horizontal([((n // 10 ** (7 - i)) % 10) * (8 - i) for i in range(1, 7)])
    return bad.select(
        *_event("imo_check_digit"),
        "mmsi",
        "start",
        "end",
        pl.struct(
            "imo",
            ((n >= 1_000_000) & (n <= 9_999_999)).alias("seven_digits"),
            pl.when((n >= 1_000_000) & (n <= 9_999_999))
            .then(weighted % 10)
            .alias("expected_check_digit"),
            "n_reports",
        )
        .struct.json_encode()
        .alias("evidence"),
    )


def _mid_flag_mismatch(statics: pl.DataFrame, params: Params) -> pl.DataFrame:
    cs = _established(statics, "callsign", params)
    if cs.height == 0:
        return pl.DataFrame()
    per = cs.group_by("mmsi", pl.col("value").alias("callsign")).agg(
        pl.col("ts").min().alias("start"), pl.col("ts").max().alias("end"), pl.len().alias("n_reports")
    )  # fmt: skip
    per = callsign_lookup(per).with_columns(mid_expr(pl.col("mmsi")).alias("mid"))
    per = per.join(mid_table(), on="mid", how="left")
    ship = (pl.col("mmsi") >= 200_000_000) & (pl.col("mmsi") <= 799_999_999)
    bad = per.filter(
        ship
        & pl.col("administration").is_not_null()
        & pl.col("callsign_administration").is_not_null()
        & (pl.col("administration") != pl.col("callsign_administration"))
    )
    return bad.select(
        *_event("mid_flag_mismatch"),
        "mmsi",
        "start",
        "end",
        pl.struct(
            "mid",
            pl.col("administration").alias("mid_administration"),
            pl.col("country").alias("mid_country"),
            "callsign",
            "callsign_administration",
            "n_reports",
        )
        .struct.json_encode()
        .alias("evidence"),
    )


def _locate(events: pl.DataFrame, positions: pl.DataFrame) -> pl.DataFrame:
    """lon/lat of each event: the MMSI's report nearest in time to the event's end."""
    mine = pl.col("mmsi").is_in(events["mmsi"].unique().implode())
    pos = positions.filter(mine).select("mmsi", pl.col("ts").alias("end"), "lon", "lat").sort("end")
    return (
        events.drop("lon", "lat", strict=False)
        .with_row_index("_k")
        .sort("end")
        .join_asof(pos, on="end", by="mmsi", strategy="nearest", check_sortedness=False)
        .sort("_k")
        .drop("_k")
    )
