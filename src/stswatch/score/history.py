"""A party's history: its events of a kind anywhere in the data, nearest first.

Factors about a party's history (identity changes, spoofing, flag hopping, DPRK port visits)
look at the party's events of that kind, in full when one lies within ``recent_days`` of the
scored event and at ``distant_strength`` otherwise; a party's own event counts for itself.
The nearest interval is found with two as-of joins (``nearest``), never all pairs.
"""

from __future__ import annotations

import polars as pl

from stswatch.score.params import Params
from stswatch.score.reasons import empty_reasons, iso, parties, reasons


def nearest(rows: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """For each row (mmsi, start, end), the time to the nearest ``history`` interval of the
    same mmsi (0 when they overlap): adds ``apart_s`` (null when the mmsi has none) and
    ``near_id`` (that interval's ``h_id``). Two as-of joins, no pairwise product."""
    h = history.select("mmsi", "h_id", "h_start", "h_end").sort("mmsi", "h_start")
    h = h.with_columns(pl.col("h_end").cum_max().over("mmsi").alias("cm_end"))
    h = h.with_columns(
        pl.when(pl.col("h_end") == pl.col("cm_end"))
        .then(pl.col("h_id"))
        .forward_fill()
        .over("mmsi")
        .alias("cm_id")
    )
    left = rows.with_row_index("_row").sort("end")
    before = left.join_asof(
        h.select("mmsi", "h_start", "cm_end", "cm_id").sort("h_start"),
        left_on="end", right_on="h_start", by="mmsi", strategy="backward", check_sortedness=False,
    )  # fmt: skip
    after = left.select("_row", "mmsi", "end").join_asof(
        h.select("mmsi", pl.col("h_start").alias("next_start"), pl.col("h_id").alias("next_id")).sort("next_start"),
        left_on="end", right_on="next_start", by="mmsi", strategy="forward", check_sortedness=False,
    )  # fmt: skip
    both = before.join(after.select("_row", "next_start", "next_id"), on="_row")
    # max_horizontal skips nulls: keep "no interval before" null, not 0.
    d_before = (
        pl.when(pl.col("cm_end").is_not_null())
        .then(pl.max_horizontal((pl.col("start") - pl.col("cm_end")).dt.total_seconds(), pl.lit(0)))
        .otherwise(None)
    )
    d_after = (pl.col("next_start") - pl.col("end")).dt.total_seconds()
    return (
        both.with_columns(d_before.alias("_db"), d_after.alias("_da"))
        .with_columns(
            pl.when(pl.col("_da").is_null() | (pl.col("_db") <= pl.col("_da")))
            .then(pl.col("cm_id"))
            .otherwise(pl.col("next_id"))
            .alias("near_id"),
            pl.min_horizontal("_db", "_da").cast(pl.Float64).alias("apart_s"),
        )
        .sort("_row")
        .drop("_row", "h_start", "cm_end", "cm_id", "next_start", "next_id", "_db", "_da")
    )


def actors(events: pl.DataFrame) -> pl.DataFrame:
    """History intervals per actor: an event's mmsi and its other_mmsi (the previous MMSI of
    a flag hop and the other transmitter of an IMO clone are the same hull or its double)."""
    return (
        parties(events)
        .select(
            "mmsi",
            pl.col("event_id").alias("h_id"),
            pl.col("subtype").alias("h_subtype"),
            pl.col("start").alias("h_start"),
            pl.col("end").alias("h_end"),
        )
        .unique(["mmsi", "h_id"])
    )


def history(
    party_rows: pl.DataFrame,
    events: pl.DataFrame,
    which: pl.Expr,
    factor: str,
    params: Params,
    *,
    recency: bool = True,
    evidence: dict[str, pl.DataType] | None = None,
) -> pl.DataFrame:
    """Reasons for parties with events selected by ``which`` (a filter on events)."""
    chosen = events.filter(which)
    if chosen.height == 0 or party_rows.height == 0:
        return empty_reasons()
    acts = actors(chosen)
    summary = acts.group_by("mmsi").agg(
        pl.len().alias("n_events"),
        pl.col("h_subtype").drop_nulls().unique().sort().alias("subtypes"),
        pl.col("h_start").min().alias("first_start"),
        pl.col("h_start").max().alias("last_start"),
    )
    rows = party_rows.join(summary.select("mmsi"), on="mmsi", how="semi")
    if rows.height == 0:
        return empty_reasons()
    near = nearest(rows.select("event_id", "mmsi", "start", "end"), acts).join(summary, on="mmsi")
    days = pl.col("apart_s") / 86_400.0
    strength = (
        pl.when(days <= params.recent_days).then(1.0).otherwise(params.distant_strength)
        if recency
        else pl.lit(1.0)
    )
    near = near.with_columns(days.round(2).alias("days_apart"), strength.alias("strength"))
    # Both parties may be actors of one history event (the two MMSIs of a flag hop or an IMO
    # clone are one hull): that event counts once for the scored event.
    near = near.sort(["strength", "apart_s", "mmsi"], descending=[True, False, False]).unique(
        ["event_id", "near_id"], keep="first", maintain_order=True
    )
    fields: list[pl.Expr | str] = [
        "n_events",
        "subtypes",
        pl.col("near_id").alias("nearest_event_id"),
        "days_apart",
        iso("first_start").alias("first"),
        iso("last_start").alias("last"),
    ]
    if evidence:
        ev = chosen.select(
            pl.col("event_id").alias("near_id"),
            pl.col("evidence").str.json_decode(pl.Struct(evidence)).alias("_ev"),
        )
        near = near.join(ev, on="near_id", how="left").with_columns(
            pl.col("_ev").struct.field(k) for k in evidence
        )
        fields += list(evidence)
    if recency:
        fields.append(pl.lit(params.recent_days).alias("recent_days"))
    return reasons(near, factor, params, pl.struct(fields))
