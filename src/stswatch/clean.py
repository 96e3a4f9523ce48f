"""The clean stage: turn reader candidates into stored rows and counted rejects.

Rules shared by every input format, applied column-wise:

* AIS "not available" values become nulls: sog 102.3, cog 360, heading 511, nav_status 15,
  IMO 0, draught 0, dimensions 0, ship type 0, empty names.
* A report is rejected (never silently dropped) when its MMSI is not nine digits
  (``invalid_mmsi``), its position is the "not available" 181/91 (``position_unavailable``)
  or outside [-180, 180] x [-90, 90] (``position_out_of_range``), it has no time
  (``no_time``), or its time is more than ``max_future`` after the ingest (``future_time``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

from stswatch import schema

if TYPE_CHECKING:  # ingest imports this module; avoid the cycle at run time
    from stswatch.ingest.base import ReadOptions

MIN_MMSI = 100_000_000
MAX_MMSI = 999_999_999
MAX_FUTURE = timedelta(days=1)


def _reject_frame(bad: pl.DataFrame, opts: ReadOptions) -> pl.DataFrame:
    return bad.select(
        pl.lit(opts.batch_id).alias("batch_id"),
        pl.lit(opts.file).alias("file"),
        pl.col("line_no"),
        pl.col("_reason").alias("reason"),
        pl.col("_detail").alias("detail"),
        pl.col("raw").fill_null(""),
    )


def _split(
    df: pl.DataFrame, reason: pl.Expr, detail: pl.Expr, opts: ReadOptions
) -> tuple[pl.DataFrame, pl.DataFrame]:
    df = df.with_columns(reason.alias("_reason"), detail.alias("_detail"))
    bad = df.filter(pl.col("_reason").is_not_null())
    good = df.filter(pl.col("_reason").is_null()).drop("_reason", "_detail")
    return good, _reject_frame(bad, opts)


def _mmsi_and_time_reason(opts: ReadOptions) -> pl.Expr:
    now = opts.now
    mmsi = pl.col("mmsi")
    return (
        pl.when(mmsi.is_null() | (mmsi < MIN_MMSI) | (mmsi > MAX_MMSI))
        .then(pl.lit("invalid_mmsi"))
        .when(pl.col("ts").is_null())
        .then(pl.lit("no_time"))
        .when(pl.col("ts") > pl.lit(now + MAX_FUTURE).cast(pl.Datetime("us", "UTC")))
        .then(pl.lit("future_time"))
    )


def _detail_for(reason: pl.Expr, with_position: bool = True) -> pl.Expr:
    expr = (
        pl.when(reason == "invalid_mmsi")
        .then(pl.format("mmsi={}", pl.col("mmsi")))
        .when(reason == "future_time")
        .then(pl.format("ts={}", pl.col("ts")))
    )
    if with_position:
        expr = expr.when(reason.is_in(["position_out_of_range", "position_unavailable"])).then(
            pl.format("lon={} lat={}", pl.col("lon"), pl.col("lat"))
        )
    return expr


def clean_positions(candidates: pa.Table, opts: ReadOptions) -> tuple[pa.Table, pa.Table]:
    """Split position candidates into (rows to store, rejects)."""
    if candidates.num_rows == 0:
        return schema.POSITIONS.empty_table(), schema.REJECTS.empty_table()
    df = pl.DataFrame(candidates)
    lon, lat = pl.col("lon"), pl.col("lat")
    reason = (
        pl.when(_mmsi_and_time_reason(opts).is_not_null())
        .then(_mmsi_and_time_reason(opts))
        .when(lon.is_null() | lat.is_null() | (lon == 181.0) | (lat == 91.0))
        .then(pl.lit("position_unavailable"))
        .when((lon.abs() > 180.0) | (lat.abs() > 90.0) | lon.is_nan() | lat.is_nan())
        .then(pl.lit("position_out_of_range"))
    )
    good, bad = _split(df, reason, _detail_for(reason), opts)
    good = good.with_columns(
        pl.when((pl.col("sog") >= 102.25) | (pl.col("sog") < 0))
        .then(None)
        .otherwise(pl.col("sog"))
        .alias("sog"),
        pl.when((pl.col("cog") >= 360.0) | (pl.col("cog") < 0))
        .then(None)
        .otherwise(pl.col("cog"))
        .alias("cog"),
        pl.when((pl.col("heading") >= 360) | (pl.col("heading") < 0))
        .then(None)
        .otherwise(pl.col("heading"))
        .alias("heading"),
        pl.when(pl.col("nav_status") == 15)
        .then(None)
        .otherwise(pl.col("nav_status"))
        .alias("nav_status"),
    )
    stored = good.select(schema.POSITIONS.names).to_arrow().cast(schema.POSITIONS)
    return stored, bad.to_arrow().cast(schema.REJECTS)


def _null_if(col: str, cond: pl.Expr) -> pl.Expr:
    return pl.when(cond).then(None).otherwise(pl.col(col)).alias(col)


def clean_statics(candidates: pa.Table, opts: ReadOptions) -> tuple[pa.Table, pa.Table]:
    """Split static/voyage candidates into (rows to store, rejects)."""
    if candidates.num_rows == 0:
        return schema.STATICS.empty_table(), schema.REJECTS.empty_table()
    df = pl.DataFrame(candidates)
    reason = _mmsi_and_time_reason(opts)
    good, bad = _split(df, reason, _detail_for(reason, with_position=False), opts)
    text = ["name", "callsign", "destination"]
    good = (
        good.with_columns(
            [
                pl.col(c).str.replace_all("@", "").str.strip_chars().replace("", None).alias(c)
                for c in text
            ]
            + [
                _null_if("imo", pl.col("imo") <= 0),
                _null_if("ship_type", pl.col("ship_type") == 0),
                _null_if("draught_m", pl.col("draught_m") <= 0),
            ]
            + [
                _null_if(c, pl.col(c) <= 0)
                for c in ("to_bow", "to_stern", "to_port", "to_starboard")
            ]
        )
        .with_columns(
            pl.coalesce(
                pl.col("length_m"), (pl.col("to_bow") + pl.col("to_stern")).cast(pl.Float32)
            ).alias("length_m"),
            pl.coalesce(
                pl.col("width_m"), (pl.col("to_port") + pl.col("to_starboard")).cast(pl.Float32)
            ).alias("width_m"),
        )
        .with_columns(
            _null_if("length_m", pl.col("length_m") <= 0),
            _null_if("width_m", pl.col("width_m") <= 0),
        )
    )
    stored = good.select(schema.STATICS.names).to_arrow().cast(schema.STATICS)
    return stored, bad.to_arrow().cast(schema.REJECTS)
