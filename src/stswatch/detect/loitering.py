"""Loitering: one vessel nearly stopped for hours far out at sea, a possible dark partner.

A loitering event is a stretch of one track during which the vessel moves slower than
``max_speed_kn`` (2 knots) for at least ``min_duration_h`` (4 h), with its mean position
at least ``min_shore_distance_m`` (20 nautical miles) from shore and ``min_port_distance_m``
(10 km) from any port or anchorage. This is the definition Global Fishing Watch and The Pew
Charitable Trusts used in their tuna-RFMO transshipment reports (GFW technical
documentation, "Encounters and loitering"; after Miller et al. 2018, Frontiers in Marine
Science 5:240, who required 8 h): a ship waiting at sea like this may be meeting a partner
whose AIS is off, so it is a ship-to-ship transfer candidate even when no encounter shows.

Method: consecutive reports of a track (``seg_id`` when present, else ``mmsi``) form a
slow step when they are at most ``max_report_gap_h`` apart, the implied speed between them
is under ``max_speed_kn`` and neither reports a speed over ground at or above it (a missing
speed is not held against the step). Maximal chains of slow steps are candidate events,
from their first report to their last. Evidence: duration, number of reports, mean
reported speed, mean implied speed (distance along the track over duration), mean position,
and its distance to shore and to the nearest port.

Partitions: an event crossing the edge of a time window is cut there; run on windows that
overlap by more than the longest loitering of interest, keep events whose ``start`` lies in
the window proper.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from stswatch.detect.base import DetectContext, empty_events, finish_events
from stswatch.errors import UsageError
from stswatch.resample import (
    circular_mean_lon,
    haversine_m_expr,
    track_reports,
)
from stswatch.units import KNOTS_TO_MPS, METERS_PER_NM

US_PER_H = 3_600_000_000
ISO = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Params:
    """Loitering thresholds (the ``[loitering]`` section of ``stswatch.toml``)."""

    # GFW / Pew tuna-RFMO transshipment reports: speeds of < 2 knots ...
    max_speed_kn: float = field(default=2.0, metadata={"help": "Slower than this, knots"})
    # ... for at least 4 hours (Miller et al. 2018 used 8 h) ...
    min_duration_h: float = field(default=4.0, metadata={"help": "Shortest loitering, hours"})
    # ... at least 20 nautical miles from shore.
    min_shore_distance_m: float = field(
        default=20 * METERS_PER_NM,
        metadata={"help": "Mean position at least this far from shore, metres"},
    )
    # stswatch: the GFW encounter distance from a port or anchorage (10 km).
    min_port_distance_m: float = field(
        default=10_000.0,
        metadata={"help": "Mean position at least this far from a port/anchorage, metres"},
    )
    # stswatch choice: a longer silence ends the stretch (it is a gap, not loitering seen).
    # Raise it for sparse satellite data.
    max_report_gap_h: float = field(
        default=2.0, metadata={"help": "Longest silence inside a stretch, hours"}
    )


def detect(positions: pl.DataFrame, params: Params, ctx: DetectContext) -> pl.DataFrame:
    """Loitering events (type ``loitering``), one per slow stretch of a track; see module doc."""
    geo = ctx.geo
    if geo is None and (params.min_shore_distance_m > 0 or params.min_port_distance_m > 0):
        raise UsageError(
            "The loitering detector needs a GeoLookup (ctx.geo) for distances to shore and "
            "port. Hint: pass the shipped geography (stswatch.geo) as ctx.geo, or set both "
            "minimum distances to 0."
        )
    pts = track_reports(positions)
    prev = {f"{c}_p": pl.col(c).shift(1) for c in ("track", "ts", "lon", "lat", "sog")}
    dt_h = (pl.col("ts") - pl.col("ts_p")).dt.total_microseconds() / US_PER_H
    step_m = haversine_m_expr(pl.col("lon_p"), pl.col("lat_p"), pl.col("lon"), pl.col("lat"))
    not_fast = lambda c: pl.col(c).is_null() | (pl.col(c) < params.max_speed_kn)  # noqa: E731
    # a slow step: within a track, not too long, neither end reporting a speed at or over
    # the limit (all cheap), and an implied speed under it (measured only for those steps)
    may_be_slow = (
        (pl.col("track_p") == pl.col("track"))
        & (pl.col("dt_h") <= params.max_report_gap_h)
        & not_fast("sog")
        & not_fast("sog_p")
    ).fill_null(False)
    pairs = pts.with_columns(**prev).with_columns(dt_h.alias("dt_h"))
    candidates = pairs.select(may_be_slow.arg_true().alias("i"))["i"]
    ends = pairs.select("lon_p", "lat_p", "lon", "lat")[candidates]
    measured = ends.select(step_m.alias("step_m"))["step_m"]
    step = pl.repeat(None, pairs.height, dtype=pl.Float64, eager=True).alias("step_m")
    slow_step = (
        may_be_slow
        & (pl.col("step_m") / (pl.col("dt_h") * 3600.0) / KNOTS_TO_MPS < params.max_speed_kn)
    ).fill_null(False)
    steps = (
        pairs.with_columns(step.scatter(candidates, measured))
        .lazy()
        .with_columns(slow_step.alias("slow"))
        .with_columns(pl.col("slow").shift(-1).fill_null(False).alias("slow_next"))
    )
    # a report opens a stretch when the step after it is slow and the step before it is not
    run = (pl.col("slow_next") & ~pl.col("slow")).cum_sum()
    stretches = (
        steps.with_columns(run.alias("run"))
        .filter(pl.col("slow") | pl.col("slow_next"))
        .group_by("run")
        .agg(
            pl.col("track").first(),
            pl.col("mmsi").first(),
            pl.col("ts").min().alias("start"),
            pl.col("ts").max().alias("end"),
            pl.len().alias("n_reports"),
            pl.col("sog").mean().alias("mean_sog_kn"),
            pl.col("step_m").filter(pl.col("slow")).sum().alias("track_m"),
            pl.col("lat").mean().alias("lat"),
            circular_mean_lon(pl.col("lon")).alias("lon"),
        )
        .filter(
            (pl.col("end") - pl.col("start")).dt.total_microseconds()
            >= params.min_duration_h * US_PER_H
        )
        .sort("mmsi", "track", "start")
        .collect()
    )
    if stretches.height == 0:
        return empty_events()
    lon, lat = stretches["lon"].to_numpy(), stretches["lat"].to_numpy()
    if geo is not None:
        stretches = stretches.with_columns(
            pl.Series("shore_m", geo.distance_to_shore_m(lon, lat), pl.Float64),
            pl.Series("port_m", geo.distance_to_port_m(lon, lat), pl.Float64),
        )
    else:
        stretches = stretches.with_columns(
            pl.lit(None, pl.Float64).alias("shore_m"), pl.lit(None, pl.Float64).alias("port_m")
        )
    far = (pl.col("shore_m") >= params.min_shore_distance_m) & (
        pl.col("port_m") >= params.min_port_distance_m
    )
    if geo is not None:
        stretches = stretches.filter(far)
    hours = (pl.col("end") - pl.col("start")).dt.total_microseconds() / US_PER_H
    evidence = pl.struct(
        pl.col("start").dt.to_string(ISO).alias("start"),
        pl.col("end").dt.to_string(ISO).alias("end"),
        hours.round(3).alias("duration_h"),
        "n_reports",
        pl.col("mean_sog_kn").round(3),
        (pl.col("track_m") / (hours * 3600.0) / KNOTS_TO_MPS).round(3).alias("mean_implied_kn"),
        pl.col("track_m").round(1).alias("distance_along_track_m"),
        pl.col("lon").round(6).alias("mean_lon"),
        pl.col("lat").round(6).alias("mean_lat"),
        pl.col("shore_m").round(0).alias("distance_to_shore_m"),
        pl.col("port_m").round(0).alias("distance_to_port_m"),
        pl.col("track").cast(pl.Utf8).alias("segment"),
    ).struct.json_encode()
    return finish_events(
        stretches.select(
            pl.lit("loitering").alias("type"),
            pl.lit(None, pl.Utf8).alias("subtype"),
            "mmsi",
            "start",
            "end",
            "lon",
            "lat",
            evidence.alias("evidence"),
        )
    )
