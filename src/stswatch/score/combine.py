"""From reasons to scores: per event, and per vessel.

Points combine like independent chances (a "noisy OR"):

    score = 100 * (1 - prod_i (1 - points_i / 100))

so one reason of 60 points scores 60, two of 60 and 30 score 100 * (1 - 0.4 * 0.7) = 72,
and the score stays below 100 unless one reason is worth 100. A reason with more points, or
one more reason, never lowers a score (each factor 1 - p/100 is at most 1).

A vessel's reasons are the reasons of every event it is a party to, each (factor, party)
once at its strongest, plus its own best list match even when it has no events; its score
combines those the same way, so it is at least the score of its riskiest event.
"""

from __future__ import annotations

import polars as pl

from stswatch.score.factors import best_matches, match_detail
from stswatch.score.params import Params
from stswatch.score.reasons import FACTORS, parties, reasons


def noisy_or(points: pl.Expr) -> pl.Expr:
    """The score of a group of reasons (aggregation over ``points``, 0-100)."""
    return 100.0 * (1.0 - (-points.clip(0.0, 100.0) / 100.0).log1p().sum().exp())


def reason_json(extra: list[str] | None = None) -> pl.Expr:
    """One reason as a JSON object, ``detail`` (already JSON) nested as an object."""
    head = pl.struct(
        "factor",
        pl.col("points").round(2),
        "weight",
        pl.col("strength").round(3),
        "practice",
        "mmsi",
        *(extra or []),
    ).struct.json_encode()
    return pl.concat_str(
        head.str.slice(0, head.str.len_chars() - 1),
        pl.lit(',"detail":'),
        pl.col("detail"),
        pl.lit("}"),
    )


def _grouped(reasons: pl.DataFrame, key: str, extra: list[str] | None = None) -> pl.DataFrame:
    """key, score, reasons (JSON list: most points first, then in ``FACTORS`` order)."""
    rank = {name: i for i, name in enumerate(FACTORS)}
    return (
        reasons.with_columns(
            reason_json(extra).alias("_json"),
            pl.col("factor").replace_strict(rank, return_dtype=pl.UInt8).alias("_rank"),
        )
        .sort(["points", "_rank", "mmsi"], descending=[True, False, False], nulls_last=True)
        .group_by(key)  # keeps the order of rows within each group
        .agg(noisy_or(pl.col("points")).round(1).alias("score"), pl.col("_json"))
        .select(
            key,
            "score",
            pl.format("[{}]", pl.col("_json").list.join(",")).alias("reasons"),
        )
    )


def event_scores(events: pl.DataFrame, reasons: pl.DataFrame) -> pl.DataFrame:
    """event_id, score, reasons for every event (0 and "[]" when no factor applies)."""
    got = _grouped(reasons, "event_id")
    return (
        events.select("event_id")
        .join(got, on="event_id", how="left", maintain_order="left")
        .with_columns(pl.col("score").fill_null(0.0), pl.col("reasons").fill_null("[]"))
    )


def vessel_scores(
    events: pl.DataFrame,
    reasons: pl.DataFrame,
    scores: pl.DataFrame,
    matches: pl.DataFrame,
    params: Params,
) -> pl.DataFrame:
    """mmsi, score, reasons, events, top_event_id for every vessel in an event or a match."""
    pr = parties(events).select("event_id", pl.col("mmsi").alias("vessel"))
    # Event reasons reach a vessel through the events it is a party to; its own list match
    # reaches it directly (vessel set), events or not.
    rows = reasons.with_columns(pl.lit(None, pl.Int64).alias("vessel"))
    if matches.height:
        rows = pl.concat([rows, reasons_from_matches(matches, params)], how="diagonal_relaxed")
    rows = rows.with_row_index("_rid")
    # Pick the strongest reason per (vessel, factor, party) on light columns, then fetch it.
    light = pl.concat(
        [
            pr.join(rows.select("_rid", "event_id", "factor", "mmsi", "points"), on="event_id"),
            rows.filter(pl.col("vessel").is_not_null()).select(
                "_rid", "event_id", "factor", "mmsi", "points", "vessel"
            ),
        ],
        how="diagonal_relaxed",
    )
    best = light.group_by("vessel", "factor", "mmsi").agg(
        pl.col("_rid")
        .sort_by(["points", "event_id"], descending=[True, False], nulls_last=True)
        .first()
    )
    chosen = best.select("_rid", pl.col("vessel").alias("_v")).join(rows.drop("vessel"), on="_rid")
    got = _grouped(chosen, "_v", extra=["event_id"]).rename({"_v": "mmsi"})
    per = (
        pr.join(scores.select("event_id", "score"), on="event_id")
        .sort(["score", "event_id"], descending=[True, False])
        .group_by("vessel", maintain_order=True)
        .agg(
            pl.len().cast(pl.Int64).alias("events"),
            pl.col("event_id").first().alias("top_event_id"),
        )
        .rename({"vessel": "mmsi"})
    )
    vessels = pl.concat([per.select("mmsi"), got.select("mmsi")]).unique().sort("mmsi")
    return (
        vessels.join(got, on="mmsi", how="left")
        .join(per, on="mmsi", how="left")
        .select(
            "mmsi",
            pl.col("score").fill_null(0.0),
            pl.col("reasons").fill_null("[]"),
            pl.col("events").fill_null(0),
            "top_event_id",
        )
    )


def reasons_from_matches(matches: pl.DataFrame, params: Params) -> pl.DataFrame:
    """listed_party reasons of each matched vessel about itself (no event)."""
    best = best_matches(matches, params).with_columns(pl.lit(None, pl.Utf8).alias("event_id"))
    out = reasons(best, "listed_party", params, match_detail())
    return out.with_columns(pl.col("mmsi").alias("vessel"))
