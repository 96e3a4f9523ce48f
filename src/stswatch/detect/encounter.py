"""Encounter: two vessels close together, both nearly stopped, for hours, away from port.

An encounter (a ship-to-ship transfer candidate) follows Global Fishing Watch's published
definition (Miller et al. 2018, "Identifying Global Patterns of Transshipment Behavior",
Frontiers in Marine Science 5:240; GFW ``pipe-encounters``): two vessels within
``max_distance_m`` (500 m) of each other, both slower than ``max_speed_kn`` (2 knots), for
at least ``min_duration_h`` (2 h), with the mean position at least ``min_port_distance_m``
(10 km) from any port or anchorage. Method, as GFW's: every track is resampled onto a
shared 10-minute grid (``stswatch.resample``; interpolation only across silences under
1 h, no extrapolation); slow points are joined on (slot, spatial cell and its 8
neighbours), never all pairs; pairs within the distance are chained into runs of
consecutive slots per pair of tracks; runs of one vessel pair less than ``max_merge_gap_h``
(4 h) apart are merged; merged runs of at least ``min_duration_h`` whose mean position is
far enough from port are events. ``start`` and ``end`` are grid times (the first and last
slot the vessels were adjacent). One difference from GFW: the speed limit applies to each
slot (GFW filters the published events on the pair's median speed). One addition: with
``exclude_inland`` (default), pairs whose mean position is on inland water (inside the land
polygons: rivers, canals, lakes, harbour basins) are dropped, since a sanctions STS is a
meeting at sea.

Vessel classes: tankers transfer alongside, much closer than a fishing carrier's 500 m, so
``max_distance_m_by_class`` may tighten (or widen) the distance per class, e.g.
``{"tanker": 200.0}``. A pair must be within the limit of *both* vessels' classes (the
stricter one). The class comes from the AIS ship type (ITU-R M.1371 table 53: 30 fishing,
31/32/52 tug, 60-69 passenger, 70-79 cargo, 80-89 tanker, other codes "other", none
"unknown"), taken from a ``ship_type`` column of the positions if present, else from
``ctx.extra["ship_type_by_mmsi"]`` (a mapping MMSI -> ship type), else from the last ship
type each MMSI reported in ``ctx.statics``.

Evidence: duration, number of slots, median and minimum distance, mean position, distance
to the nearest port, and per vessel its class, identity at the time (name, IMO, call sign,
ship type from ``ctx.statics``), median speed, the draught it reported last before the
start and first after the end (a change suggests cargo moved), and whether it was dark (an
at-sea AIS gap, ``stswatch.detect.gap``) within ``dark_window_h`` before or after.

Partitions: run on overlapping time windows (e.g. a day with 12 h either side), keep the
events whose ``start`` lies in the window proper; an event longer than the overlap is cut
at the edge and must be stitched by the caller (same pair, less than 4 h apart).
Vessels are paired only within one partition, so split areas with overlapping margins too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from stswatch.detect import gap
from stswatch.detect.base import DetectContext, empty_events, finish_events
from stswatch.errors import UsageError
from stswatch.resample import METERS_PER_DEGREE, CellGrid, epoch_us_to_ts, resample
from stswatch.units import haversine_m

US_PER_S = 1_000_000
ISO = "%Y-%m-%dT%H:%M:%SZ"
VESSEL_CLASSES = ("fishing", "tug", "passenger", "cargo", "tanker", "other", "unknown")


@dataclass(frozen=True)
class Params:
    """Encounter thresholds (the ``[encounter]`` section of ``stswatch.toml``)."""

    # Miller et al. 2018 (GFW): within 500 m ...
    max_distance_m: float = field(
        default=500.0, metadata={"help": "Farthest apart the two vessels may be, metres"}
    )
    # ... both travelling at < 2 knots ...
    max_speed_kn: float = field(
        default=2.0, metadata={"help": "Both vessels slower than this in every slot, knots"}
    )
    # ... for at least 2 hours ...
    min_duration_h: float = field(
        default=2.0, metadata={"help": "Shortest encounter, first to last slot, hours"}
    )
    # ... at least 10 km from a coastal anchorage.
    min_port_distance_m: float = field(
        default=10_000.0,
        metadata={"help": "Mean position at least this far from a port/anchorage, metres"},
    )
    # stswatch: an STS transfer under sanctions is a meeting at sea. Pairs whose mean position
    # lies inside the land polygons are barges and tugs on rivers, canals, lakes and harbour
    # basins (Natural Earth land covers them): in the real NOAA sample these are most of the
    # slow pairs the port rule leaves.
    exclude_inland: bool = field(
        default=True,
        metadata={"help": "Drop encounters whose mean position is on inland water (land mask)"},
    )
    # stswatch: none by default, i.e. GFW's single limit for every class.
    max_distance_m_by_class: Mapping[str, float] = field(
        default_factory=dict,
        metadata={"help": "Distance limit per vessel class (tanker, cargo, ...), metres"},
    )
    # GFW pipe-encounters: RESAMPLE_INCREMENT_MINUTES = 10 ...
    interval_s: int = field(default=600, metadata={"help": "Resampling grid step, seconds"})
    # ... MAX_GAP_HOURS = 1.
    max_interpolation_gap_h: float = field(
        default=1.0, metadata={"help": "Interpolate only across silences shorter, hours"}
    )
    # GFW pipe-encounters merge: min_hours_between_encounters = 4.
    max_merge_gap_h: float = field(
        default=4.0, metadata={"help": "Merge runs of one pair closer in time than, hours"}
    )
    # stswatch choice: a day either side, the window analysts look at for a dark partner.
    dark_window_h: float = field(
        default=24.0, metadata={"help": "Look for AIS gaps this long before/after, hours"}
    )
    # Welch et al. 2022: the gap detector's own definition of going dark.
    dark_min_gap_h: float = field(
        default=gap.Params().min_gap_h, metadata={"help": "An AIS gap is at least, hours"}
    )
    dark_min_shore_distance_m: float = field(
        default=gap.Params().min_shore_distance_m,
        metadata={"help": "... with both ends at least this far from shore, metres"},
    )


def vessel_class(ship_type: pl.Expr) -> pl.Expr:
    """Coarse class from the AIS ship and cargo type (ITU-R M.1371, table 53)."""
    return (
        pl.when(ship_type.is_null())
        .then(pl.lit("unknown"))
        .when(ship_type == 30)
        .then(pl.lit("fishing"))
        .when(ship_type.is_in([31, 32, 52]))
        .then(pl.lit("tug"))
        .when(ship_type.is_between(60, 69))
        .then(pl.lit("passenger"))
        .when(ship_type.is_between(70, 79))
        .then(pl.lit("cargo"))
        .when(ship_type.is_between(80, 89))
        .then(pl.lit("tanker"))
        .otherwise(pl.lit("other"))
    )


def _dark_params(params: Params) -> gap.Params:
    return gap.Params(
        min_gap_h=params.dark_min_gap_h, min_shore_distance_m=params.dark_min_shore_distance_m
    )


def _check(params: Params) -> None:
    unknown = sorted(set(params.max_distance_m_by_class) - set(VESSEL_CLASSES))
    if unknown:
        raise UsageError(
            f"encounter.max_distance_m_by_class has unknown class(es) {', '.join(unknown)}. "
            f"Hint: use {', '.join(VESSEL_CLASSES)}."
        )


def ship_types(positions: pl.DataFrame, ctx: DetectContext) -> pl.DataFrame:
    """(mmsi, ship_type) for every MMSI in positions: positions column, ctx mapping, statics."""
    out = positions.select(pl.col("mmsi").cast(pl.Int64).unique())
    sources: list[pl.DataFrame] = []
    if "ship_type" in positions.columns:
        sources.append(
            positions.filter(pl.col("ship_type").is_not_null())
            .sort("mmsi", "ts")
            .group_by("mmsi")
            .agg(pl.col("ship_type").last())
        )
    mapping = ctx.extra.get("ship_type_by_mmsi")
    if isinstance(mapping, Mapping) and mapping:
        sources.append(
            pl.DataFrame(
                {"mmsi": list(mapping.keys()), "ship_type": list(mapping.values())},
                schema={"mmsi": pl.Int64, "ship_type": pl.Int64},
            )
        )
    if ctx.statics is not None and "ship_type" in ctx.statics.columns:
        sources.append(
            ctx.statics.filter(pl.col("ship_type").is_not_null())
            .sort("mmsi", "ts")
            .group_by("mmsi")
            .agg(pl.col("ship_type").last())
        )
    cols = []
    for k, src in enumerate(sources):
        out = out.join(
            src.select(
                pl.col("mmsi").cast(pl.Int64), pl.col("ship_type").cast(pl.Int64).alias(f"st{k}")
            ),
            on="mmsi",
            how="left",
        )
        cols.append(pl.col(f"st{k}"))
    ship_type = pl.coalesce(cols) if cols else pl.lit(None, pl.Int64)
    return out.select("mmsi", ship_type.cast(pl.Int64).alias("ship_type"))


def adjacency(positions: pl.DataFrame, params: Params, ctx: DetectContext) -> pl.DataFrame:
    """Every (slot, pair of tracks) both slow and within distance; ``a`` has the lower MMSI."""
    _check(params)
    rs = resample(positions, params.interval_s, params.max_interpolation_gap_h * 3600.0)
    slow = rs.filter(pl.col("speed_kn") < params.max_speed_kn)
    overrides = dict(params.max_distance_m_by_class)
    types = ship_types(positions, ctx).with_columns(vessel_class(pl.col("ship_type")).alias("cls"))
    limit = pl.col("cls").replace_strict(
        overrides, default=params.max_distance_m, return_dtype=pl.Float64
    )
    slow = slow.join(types.select("mmsi", "cls", limit.alias("limit_m")), on="mmsi", how="left")
    if slow.height == 0:
        return _pairs_frame(slow, slow, np.zeros(0))
    # cells just over the largest distance: any two points within it are in the same or
    # adjacent cells (bigger cells only add candidate pairs to measure)
    grid = CellGrid(max(max([params.max_distance_m, *overrides.values()]) * 1.01, 100.0))
    lon, lat = slow["lon"].to_numpy(), slow["lat"].to_numpy()
    # one Int64 key per (slot, cell): slots counted from the first one in the data
    t_key = (slow["slot"].to_numpy() - slow["slot"].min()) * grid.n_cells
    own = pl.DataFrame({"i_b": np.arange(slow.height), "key": t_key + grid.cell(lon, lat)})
    rows, cells = grid.probes(lon, lat)
    probes = pl.DataFrame({"i_a": rows, "key": t_key[rows] + cells})
    idx = probes.join(own, on="key")
    ia, ib = idx["i_a"].to_numpy(), idx["i_b"].to_numpy()
    # each pair is found from both sides: keep it once, from the lower MMSI
    mmsi = slow["mmsi"].to_numpy()
    keep = mmsi[ia] < mmsi[ib]
    ia, ib = ia[keep], ib[keep]
    limit_m = slow["limit_m"].to_numpy()
    # a great circle is at least as long as its latitude change: drop the pairs that this
    # alone puts beyond the limit (with a margin far above rounding), measure the others
    lim = np.minimum(limit_m[ia], limit_m[ib])
    lat_m = np.abs(lat[ia] - lat[ib]) * METERS_PER_DEGREE
    keep = ~(lat_m > lim * (1.0 + 1e-6) + 0.01)
    ia, ib, lim = ia[keep], ib[keep], lim[keep]
    dist = haversine_m(lon[ia], lat[ia], lon[ib], lat[ib])
    keep = dist <= lim
    return _pairs_frame(slow[ia[keep]], slow[ib[keep]], dist[keep])


PAIR_FIELDS = ("track", "mmsi", "lon", "lat", "speed_kn", "cls", "limit_m")


def _pairs_frame(a: pl.DataFrame, b: pl.DataFrame, dist: npt.NDArray[np.float64]) -> pl.DataFrame:
    """Rows of a and b side by side (same slot) with their distance, by (tracks, slot)."""
    return (
        a.select("slot", *[pl.col(c).alias(f"{c}_a") for c in PAIR_FIELDS])
        .hstack(b.select([pl.col(c).alias(f"{c}_b") for c in PAIR_FIELDS]))
        .with_columns(pl.Series("distance_m", dist, pl.Float64))
        .sort("track_a", "track_b", "slot")
    )


def _events_from_adjacency(adj: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Chain slots into runs, merge runs of a pair < max_merge_gap_h apart, keep long ones."""
    step = params.interval_s
    pair_tracks = ["track_a", "track_b"]
    pair = ["mmsi_a", "mmsi_b"]
    new_run = (
        (pl.col("track_a") != pl.col("track_a").shift(1))
        | (pl.col("track_b") != pl.col("track_b").shift(1))
        | (pl.col("slot") != pl.col("slot").shift(1) + 1)
    ).fill_null(True)
    adj = adj.with_columns(new_run.cum_sum().alias("run"))
    runs = (
        adj.group_by("run")
        .agg(
            pl.col("mmsi_a").first(),
            pl.col("mmsi_b").first(),
            pl.col("slot").min().alias("s0"),
            pl.col("slot").max().alias("s1"),
        )
        .sort(*pair, "s0", "s1", "run")
    )
    prev_end = pl.col("s1").cum_max().shift(1).over(pair)
    new_event = prev_end.is_null() | (
        (pl.col("s0") - prev_end) * step >= params.max_merge_gap_h * 3600.0
    )
    runs = runs.with_columns(new_event.cum_sum().alias("event"))
    adj = adj.join(runs.select("run", "event"), on="run").sort("event", "slot", *pair_tracks)
    two = lambda e_a, e_b: (e_a + e_b) / 2.0  # noqa: E731
    lon_a, lon_b = pl.col("lon_a").radians(), pl.col("lon_b").radians()
    ev = adj.group_by("event").agg(
        pl.col("mmsi_a").first().alias("mmsi"),
        pl.col("mmsi_b").first().alias("other_mmsi"),
        pl.col("slot").min().alias("s0"),
        pl.col("slot").max().alias("s1"),
        pl.col("slot").n_unique().alias("n_slots"),
        pl.col("distance_m").median().alias("median_distance_m"),
        pl.col("distance_m").min().alias("min_distance_m"),
        pl.col("speed_kn_a").median().alias("speed_a"),
        pl.col("speed_kn_b").median().alias("speed_b"),
        pl.col("cls_a").first(),
        pl.col("cls_b").first(),
        pl.min_horizontal("limit_m_a", "limit_m_b").max().alias("limit_m"),
        two(pl.col("lat_a").mean(), pl.col("lat_b").mean()).alias("lat"),
        pl.arctan2(
            two(lon_a.sin().mean(), lon_b.sin().mean()), two(lon_a.cos().mean(), lon_b.cos().mean())
        )
        .degrees()
        .alias("lon"),
        pl.col("track_a").cast(pl.Utf8).unique().sort().alias("tracks_a"),
        pl.col("track_b").cast(pl.Utf8).unique().sort().alias("tracks_b"),
    )
    step_us = step * US_PER_S
    return ev.filter(
        (pl.col("s1") - pl.col("s0")) * step >= params.min_duration_h * 3600.0
    ).with_columns(
        epoch_us_to_ts(pl.col("s0") * step_us).alias("start"),
        epoch_us_to_ts(pl.col("s1") * step_us).alias("end"),
    )


def _asof(left: pl.DataFrame, right: pl.DataFrame, on: str, strategy: str) -> pl.DataFrame:
    """Per (key, mmsi) row of ``left``: the row of ``right`` (mmsi, ts, ...) nearest in time."""
    hit = left.sort(on).join_asof(
        right.sort("ts"),
        left_on=on,
        right_on="ts",
        by="mmsi",
        strategy="backward" if strategy == "backward" else "forward",
        check_sortedness=False,  # both sorted on the time column just above
    )
    return hit.drop("ts")


def _identities(vessels: pl.DataFrame, statics: pl.DataFrame | None) -> pl.DataFrame:
    """Identity at the event and draught before/after, for rows (key, mmsi, start, end).

    Identity: for each field, the last value reported at or before the end of the event
    (the first after it when there is none). Draught: the last reported at or before the
    start and the first at or after the end.
    """
    fields = {
        "name": pl.Utf8, "imo": pl.Int64, "callsign": pl.Utf8, "ship_type": pl.Int64,
        "draught_m": pl.Float64,
    }  # fmt: skip
    st = pl.DataFrame(schema={"mmsi": pl.Int64, "ts": pl.Datetime("us", "UTC"), **fields})
    if statics is not None:
        mine = statics.join(vessels.select("mmsi").unique(), on="mmsi", how="semi")
        have = [c for c in fields if c in statics.columns]
        st = pl.concat(
            [st, mine.select("mmsi", "ts", *[pl.col(c).cast(fields[c]) for c in have])],
            how="diagonal_relaxed",
        )
    cols = [c for c in fields if c != "draught_m"]
    ident = st.drop("draught_m").sort("mmsi", "ts")
    last = ident.with_columns([pl.col(c).forward_fill().over("mmsi") for c in cols])
    first = ident.with_columns([pl.col(c).backward_fill().over("mmsi") for c in cols])
    back = _asof(vessels, last, "end", "backward")
    fwd = _asof(vessels, first, "end", "forward").select(
        "key", "mmsi", *[pl.col(c).alias(f"{c}_next") for c in cols]
    )
    out = back.join(fwd, on=["key", "mmsi"]).with_columns(
        [pl.coalesce(c, f"{c}_next").alias(c) for c in cols]
    )
    dr = st.filter(pl.col("draught_m").is_not_null()).select("mmsi", "ts", "draught_m")
    before = _asof(vessels, dr, "start", "backward").select(
        "key", "mmsi", pl.col("draught_m").alias("draught_before_m")
    )
    after = _asof(vessels, dr, "end", "forward").select(
        "key", "mmsi", pl.col("draught_m").alias("draught_after_m")
    )
    return (
        out.join(before, on=["key", "mmsi"])
        .join(after, on=["key", "mmsi"])
        .select(*vessels.columns, *cols, "draught_before_m", "draught_after_m")
        .sort("key", "role")
    )


def _dark(vessels: pl.DataFrame, gaps: pl.DataFrame, window_h: float) -> pl.DataFrame:
    """Per (key, mmsi): dark (an at-sea gap) within window_h of the event, longest such gap."""
    w = pl.duration(microseconds=int(window_h * 3600 * US_PER_S))
    hits = (
        vessels.join(
            gaps.select("mmsi", pl.col("start").alias("g0"), pl.col("end").alias("g1")), on="mmsi"
        )
        .filter((pl.col("g1") >= pl.col("start") - w) & (pl.col("g0") <= pl.col("end") + w))
        .group_by("key", "mmsi")
        .agg(
            ((pl.col("g1") - pl.col("g0")).dt.total_seconds().max() / 3600.0)
            .round(3)
            .alias("longest_dark_h")
        )
    )
    return vessels.join(hits, on=["key", "mmsi"], how="left").with_columns(
        pl.col("longest_dark_h").is_not_null().alias("dark_within_window")
    )


def detect(positions: pl.DataFrame, params: Params, ctx: DetectContext) -> pl.DataFrame:
    """Encounter events (type ``encounter``), one per vessel pair and period; see module doc."""
    if params.min_port_distance_m > 0 and ctx.geo is None:
        raise UsageError(
            "The encounter detector needs a GeoLookup (ctx.geo) to keep encounters away from "
            "ports. Hint: pass the shipped geography (stswatch.geo) as ctx.geo, or set "
            "min_port_distance_m = 0."
        )
    adj = adjacency(positions, params, ctx)
    if adj.height == 0:
        return empty_events()
    ev = _events_from_adjacency(adj, params)
    if ev.height == 0:
        return empty_events()
    if ctx.geo is not None:
        port = ctx.geo.distance_to_port_m(ev["lon"].to_numpy(), ev["lat"].to_numpy())
    else:
        port = np.full(ev.height, np.nan)
    ev = ev.with_columns(pl.Series("port_m", port, pl.Float64))
    if params.min_port_distance_m > 0:
        ev = ev.filter(pl.col("port_m") >= params.min_port_distance_m)
    if params.exclude_inland and ctx.geo is not None and ev.height:
        inland = ctx.geo.on_land(ev["lon"].to_numpy(), ev["lat"].to_numpy())
        ev = ev.filter(~pl.Series(inland, dtype=pl.Boolean))
    if ev.height == 0:
        return empty_events()
    ev = ev.with_columns(pl.col("event").alias("key"))
    vessels = pl.concat(
        [
            ev.select("key", pl.lit(r).alias("role"), pl.col(m).alias("mmsi"), "start", "end")
            for r, m in (("a", "mmsi"), ("b", "other_mmsi"))
        ]
    )
    info = _identities(vessels, ctx.statics)
    if ctx.geo is not None:
        info = _dark(
            info,
            # gaps are per MMSI: only the reports of the vessels in the events matter
            gap.find_gaps(
                positions.filter(pl.col("mmsi").is_in(vessels["mmsi"].unique().implode())),
                _dark_params(params),
                ctx.geo,
            ),
            params.dark_window_h,
        )
    else:
        info = info.with_columns(
            pl.lit(None, pl.Float64).alias("longest_dark_h"),
            pl.lit(None, pl.Boolean).alias("dark_within_window"),
        )
    per_vessel = pl.struct(
        "mmsi",
        "name",
        "imo",
        "callsign",
        "ship_type",
        pl.col("cls").alias("class"),
        pl.col("median_speed_kn").round(3),
        pl.col("segments"),
        pl.col("draught_before_m").round(2),
        pl.col("draught_after_m").round(2),
        (pl.col("draught_after_m") - pl.col("draught_before_m")).round(2).alias("draught_change_m"),
        pl.col("dark_within_window").alias(f"dark_within_{params.dark_window_h:g}h"),
        "longest_dark_h",
    )
    roles = {
        r: ev.select(
            "key",
            pl.col(f"cls_{r}").alias("cls"),
            pl.col(f"speed_{r}").alias("median_speed_kn"),
            pl.col(f"tracks_{r}").alias("segments"),
        )
        .join(info.filter(pl.col("role") == r), on="key")
        .select("key", per_vessel.alias(f"v_{r}"))
        for r in ("a", "b")
    }
    ev = (
        ev.join(roles["a"], on="key").join(roles["b"], on="key").sort("mmsi", "other_mmsi", "start")
    )
    evidence = pl.struct(
        pl.col("start").dt.to_string(ISO).alias("start"),
        pl.col("end").dt.to_string(ISO).alias("end"),
        ((pl.col("end") - pl.col("start")).dt.total_seconds() / 3600.0)
        .round(3)
        .alias("duration_h"),
        "n_slots",
        pl.col("median_distance_m").round(1),
        pl.col("min_distance_m").round(1),
        pl.col("limit_m").alias("max_distance_m"),
        pl.col("lon").round(6).alias("mean_lon"),
        pl.col("lat").round(6).alias("mean_lat"),
        pl.col("port_m").round(0).alias("distance_to_port_m"),
        pl.concat_list("v_a", "v_b").alias("vessels"),
    ).struct.json_encode()
    out = ev.select(
        pl.lit("encounter").alias("type"),
        pl.lit(None, pl.Utf8).alias("subtype"),
        "mmsi",
        "other_mmsi",
        "start",
        "end",
        "lon",
        "lat",
        evidence.alias("evidence"),
    )
    return finish_events(out)
