"""Port visit: a vessel arriving at a port or anchorage, stopping there, and leaving.

A port visit follows Global Fishing Watch's port-visit definition (``pipe-anchorages``,
port_visits config): the vessel *enters* when it comes within ``entry_distance_m`` (3 km)
of a port or anchorage point and *exits* when it is again more than ``exit_distance_m``
(4 km) from it (the two radii keep a ship hovering at the edge from arriving many times);
the visit counts when the vessel stopped inside (a reported speed at or below
``stop_speed_kn``, 0.2 knots) or fell silent there for at least ``min_port_gap_h`` (4 h),
and stayed at least ``min_duration_h``. The event spans the first report inside (arrival)
to the last report inside (departure). Evidence names the port (id, name, country, kind)
and flags visits to ports of the Democratic People's Republic of Korea: those events have
subtype ``dprk`` (else ``port``), since any DPRK port call by a foreign tanker is evidence
under the UN 1718 sanctions regime.

Ports come from the geography: ``ctx.geo`` must also implement ``PortLookup``
(``nearest_port``), which ``stswatch.geo`` does. Visits are found per track (``seg_id``
when present, else ``mmsi``); a visit ends where the port changes (anchorage points of one
port share its name and country, and count as one port).

Partitions: a visit that begins before the first report of its track in the input, or ends
after the last, is cut; evidence marks these ``open_start`` / ``open_end``. Run on windows
that overlap by more than the longest stay of interest and keep visits whose ``start`` lies
in the window proper and that are not open at that end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import polars as pl

from stswatch.detect.base import DetectContext, empty_events, finish_events
from stswatch.errors import UsageError
from stswatch.resample import (
    circular_mean_lon,
    haversine_m_expr,
    track_reports,
)
from stswatch.units import KNOTS_TO_MPS

US_PER_H = 3_600_000_000
ISO = "%Y-%m-%dT%H:%M:%SZ"

NEAREST_PORT_SCHEMA = pl.Schema(
    {
        "dist_m": pl.Float64(),
        "port_id": pl.Utf8(),
        "name": pl.Utf8(),
        "country": pl.Utf8(),
        "kind": pl.Utf8(),
        "is_dprk": pl.Boolean(),
    }
)


@runtime_checkable
class PortLookup(Protocol):
    """Which port or anchorage is nearest, for many points at once."""

    def nearest_port(
        self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
    ) -> pl.DataFrame:
        """One row per point, in order, with ``NEAREST_PORT_SCHEMA``: distance in metres to
        the nearest port or anchorage point, its id, name, country (ISO 3166 alpha-3),
        kind ("port" or "anchorage") and whether it is in the DPRK."""
        ...


@runtime_checkable
class NearPortLookup(Protocol):
    """A ``PortLookup`` that can skip points far from every port (``stswatch.geo`` can)."""

    def nearest_port_within(
        self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], max_m: float
    ) -> pl.DataFrame:
        """``nearest_port``'s rows, each with the index ``i`` of its point (first column), for
        a subset of the points: every point within ``max_m`` metres of a port and every point
        ``nearest_port`` answers with nulls must be there; farther points may be left out."""
        ...


@dataclass(frozen=True)
class Params:
    """Port visit thresholds (the ``[port_visit]`` section of ``stswatch.toml``)."""

    # GFW pipe-anchorages port visits: anchorage_entry_dist_km = 3.0 ...
    entry_distance_m: float = field(
        default=3_000.0, metadata={"help": "Arrive when this close to a port, metres"}
    )
    # ... anchorage_exit_dist_km = 4.0 ...
    exit_distance_m: float = field(
        default=4_000.0, metadata={"help": "Leave when farther than this again, metres"}
    )
    # ... stopping_speed_knots = 0.2 ...
    stop_speed_kn: float = field(
        default=0.2, metadata={"help": "A visit needs a stop: a speed at or below, knots"}
    )
    # ... min_anchorage_gap_minutes = 240 (a silence in port counts as a stop).
    min_port_gap_h: float = field(
        default=4.0, metadata={"help": "... or a silence in port at least, hours"}
    )
    # stswatch choice: shorter stays are pilot or bunkering calls, not visits.
    min_duration_h: float = field(default=1.0, metadata={"help": "Shortest visit, hours"})


def detect(positions: pl.DataFrame, params: Params, ctx: DetectContext) -> pl.DataFrame:
    """Port visit events (type ``port_visit``, subtype ``dprk`` or ``port``); see module doc."""
    if params.exit_distance_m < params.entry_distance_m:
        raise UsageError(
            f"port_visit.exit_distance_m ({params.exit_distance_m:g}) is less than "
            f"entry_distance_m ({params.entry_distance_m:g}). Hint: exit must be the larger."
        )
    geo = ctx.geo
    if not isinstance(geo, PortLookup):
        raise UsageError(
            "The port_visit detector needs ctx.geo to name ports (a PortLookup with "
            "nearest_port). Hint: pass the shipped geography (stswatch.geo) as ctx.geo."
        )
    pts = track_reports(positions)
    if pts.height == 0:
        return empty_events()
    lon, lat = pts["lon"].to_numpy(), pts["lat"].to_numpy()
    if isinstance(geo, NearPortLookup):
        # only a report within exit_distance_m of a port can be in port; the others are
        # left out: beyond exit distance, they only end visits
        found = geo.nearest_port_within(lon, lat, params.exit_distance_m)
    else:
        found = geo.nearest_port(lon, lat).with_row_index("i")
    found = found.select(
        pl.col("i").cast(pl.Int64),
        *[pl.col(c).cast(t).alias(f"p_{c}") for c, t in NEAREST_PORT_SCHEMA.items()],
    )
    # a visit's port is the port of the track's last report within entry distance so far
    port_key = pl.coalesce(pl.concat_str("p_country", "p_name", separator="|"), "p_port_id")
    found = found.with_columns(
        port_key.alias("port"),
        ((pl.col("p_dist_m") <= params.entry_distance_m) & port_key.is_not_null()).alias("named"),
    )
    at = found["i"].to_numpy()
    where = np.full(pts.height, -1, dtype=np.int64)  # row of found for each report
    where[at] = np.arange(at.size)
    named = np.zeros(pts.height, dtype=bool)
    named[at] = found["named"].to_numpy()
    dist = pl.Series("p_dist_m", np.full(pts.height, np.inf)).scatter(at, found["p_dist_m"])
    pts = pts.with_columns(dist, pl.Series("_named", named))
    # pts is sorted by (track, ts): a track's reports are one run of rows, so the previous
    # row is the previous report of the track unless the row is the track's first
    same_track = pl.col("track") == pl.col("track").shift(1)
    track_first = (~same_track).fill_null(True)
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    inside = pl.col("p_dist_m") <= params.entry_distance_m
    # in port from a report within entry distance until one beyond exit distance (a report
    # without a distance keeps the state), out of port before the track's first decision
    state = (
        pl.when(inside)
        .then(True)
        .when(pl.col("p_dist_m") > params.exit_distance_m)
        .then(False)
        .when(track_first)
        .then(False)
        .forward_fill()
    )
    last_named = pl.when(pl.col("_named")).then(row).when(track_first).then(-1).forward_fill()
    gap_h = (pl.col("ts") - pl.col("ts").shift(1)).dt.total_microseconds() / US_PER_H
    pts = pts.with_columns(
        state.alias("in_port"),
        row.alias("_row"),
        last_named.alias("_last_named"),
        # the step from the previous report of the track (null for its first report)
        pl.when(same_track).then(gap_h).alias("dt_h"),
        pl.when(same_track & (gap_h > 0)).then(pl.col("lon").shift(1)).alias("_lon0"),
        pl.col("lat").shift(1).alias("_lat0"),
        track_first.alias("track_first"),
        (pl.col("track") != pl.col("track").shift(-1)).fill_null(True).alias("track_last"),
    ).with_columns(
        # the previous row is a report of the same track, in port too
        (same_track & pl.col("in_port").shift(1)).fill_null(False).alias("_continued")
    )
    # reports in port are within exit distance (or without a position): all in found
    implied_kn = (
        haversine_m_expr(pl.col("_lon0"), pl.col("_lat0"), pl.col("lon"), pl.col("lat"))
        / (pl.col("dt_h") * 3600.0)
        / KNOTS_TO_MPS
    )
    in_port = (
        pts.filter(pl.col("in_port"))
        .drop("p_dist_m")
        .with_columns(implied_kn.alias("implied_kn"))  # null where _lon0 is
    )
    rows, last = in_port["_row"].to_numpy(), in_port["_last_named"].to_numpy()
    last_found = pl.Series(np.where(last >= 0, where[np.maximum(last, 0)], -1))
    port = found["port"].gather(last_found.replace(-1, None))
    in_port = in_port.hstack(
        found.select(*[f"p_{c}" for c in NEAREST_PORT_SCHEMA.names()])[where[rows]]
    ).with_columns(port.alias("port"))
    # a visit is a run of in-port reports of one track at one port
    new_visit = ~pl.col("_continued") | (pl.col("port") != pl.col("port").shift(1)).fill_null(True)
    visits = (
        in_port.with_columns(new_visit.cum_sum().alias("visit"))
        .group_by("visit")
        .agg(
            pl.col("track").first(),
            pl.col("mmsi").first(),
            pl.col("ts").min().alias("start"),
            pl.col("ts").max().alias("end"),
            pl.len().alias("n_reports"),
            # steps inside the visit: every row's step but the first's (it comes from outside)
            pl.coalesce(pl.col("sog").min(), pl.col("implied_kn").slice(1).min()).alias(
                "min_speed_kn"
            ),
            pl.col("dt_h").slice(1).max().alias("longest_silence_h"),
            pl.col("lat").mean().alias("lat"),
            circular_mean_lon(pl.col("lon")).alias("lon"),
            pl.col("track_first").first().alias("open_start"),
            pl.col("track_last").last().alias("open_end"),
            *[
                pl.col(f"p_{c}").sort_by("p_dist_m").first().alias(c)
                for c in NEAREST_PORT_SCHEMA.names()
            ],
        )
    )
    hours = (pl.col("end") - pl.col("start")).dt.total_microseconds() / US_PER_H
    stopped = pl.col("min_speed_kn").fill_null(np.inf) <= params.stop_speed_kn
    silent = pl.col("longest_silence_h").fill_null(0.0) >= params.min_port_gap_h
    visits = visits.filter((hours >= params.min_duration_h) & (stopped | silent)).sort(
        "mmsi", "track", "start"
    )
    if visits.height == 0:
        return empty_events()
    evidence = pl.struct(
        pl.col("start").dt.to_string(ISO).alias("arrival"),
        pl.col("end").dt.to_string(ISO).alias("departure"),
        hours.round(3).alias("duration_h"),
        "port_id",
        pl.col("name").alias("port_name"),
        "country",
        "kind",
        pl.col("is_dprk").fill_null(False),
        pl.col("dist_m").round(1).alias("closest_approach_m"),
        "n_reports",
        pl.col("min_speed_kn").round(3),
        pl.col("longest_silence_h").round(3),
        "open_start",
        "open_end",
        pl.col("track").cast(pl.Utf8).alias("segment"),
    ).struct.json_encode()
    return finish_events(
        visits.select(
            pl.lit("port_visit").alias("type"),
            pl.when(pl.col("is_dprk").fill_null(False))
            .then(pl.lit("dprk"))
            .otherwise(pl.lit("port"))
            .alias("subtype"),
            "mmsi",
            "start",
            "end",
            "lon",
            "lat",
            evidence.alias("evidence"),
        )
    )
