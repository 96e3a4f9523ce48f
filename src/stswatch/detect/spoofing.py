"""Spoofing: position reports that one honest transmitter on one ship could not have sent.

A spoofing event is a stretch of one MMSI's reports that is physically or administratively
impossible, of one of four subtypes. ``impossible_speed``: consecutive reports of the MMSI
(in time) lie in different track segments, at least ``min_jump_m`` apart at an implied speed
above ``max_speed_kn``; jumps chained through one report (out and back) form one event,
spanning the report before the first jump to the report after the last. ``mmsi_collision``:
a segment of the MMSI appears while other segments of it are still reporting, a median of at
least ``min_separation_m`` away and mostly out of reach (each side with at least
``min_segment_reports`` reports in the overlap): two transmitters, or a transmitter and a
spoofer, share the MMSI; one event per newcomer segment, from its first report to the end of
its last overlap, with every concurrent segment in evidence (jumps between them are counted
there, not repeated as ``impossible_speed``). ``on_land``: at least ``min_land_reports``
consecutive reports of one segment on land (``ctx.geo.on_land``; skipped without ``geo``),
not counting reports within ``port_buffer_m`` of a port, in a track segment entirely on land
(reached by an impossible jump) of a vessel also seen at sea (``min_sea_reports``): river
and estuary transits are continuous tracks and inland-only vessels are never at sea, so
neither is flagged. ``invalid_mmsi``: the MMSI is not
one an administration would assign (rules in ``mmsi_problem``); the event spans its reports.

Satellite AIS noise is not called spoofing: jumps involving a segment of fewer than
``min_excursion_reports`` reports (single corrupt positions) and jumps that keep latitude or
longitude within ``single_axis_tolerance_deg`` (a corrupt coordinate field) are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from stswatch import tracks
from stswatch.detect.base import DetectContext, empty_events, finish_events
from stswatch.identity import mid_expr, mid_table
from stswatch.units import KNOTS_TO_MPS, METERS_PER_NM, haversine_m


@dataclass(frozen=True)
class Params:
    """Thresholds of the spoofing detector (the ``[spoofing]`` section)."""

    # Same as tracks.Params.max_speed_kn (gpsdio-segment --max-speed=30).
    max_speed_kn: float = field(
        default=30.0, metadata={"help": "Implied speed above which a jump is impossible, knots"}
    )
    # Our choice, measured on GFW's test track of MMSI 338013000 (one US vessel): satellite
    # timestamp errors put its own reports up to ~50 km off its track. 50 nm stays clear.
    min_jump_m: float = field(
        default=50 * METERS_PER_NM,
        metadata={"help": "Shortest jump reported as impossible_speed, m"},
    )
    # Our choice, same evidence as min_jump_m (338013000: median separations <= 52 km).
    min_separation_m: float = field(
        default=50 * METERS_PER_NM,
        metadata={"help": "Median distance between two simultaneous segments (collision), m"},
    )
    # Our choice: a segment of one or two reports is more often a glitch than a vessel.
    min_segment_reports: int = field(
        default=3,
        metadata={"help": "Reports each segment needs inside the overlap (collision)"},
    )
    # Our choice: satellite AIS carries single corrupt positions (GFW test data 431704490,
    # a Japanese fishing vessel: ~150 one-report excursions a month); they are not reported.
    min_excursion_reports: int = field(
        default=2,
        metadata={"help": "Reports each segment of a jump needs (impossible_speed)"},
    )
    # Our choice: one report on land is usually a coastline-resolution or GPS glitch.
    min_land_reports: int = field(
        default=3, metadata={"help": "Consecutive on-land reports for an on_land event"}
    )
    # Our choice: a vessel whose every report is "on land" is on a river, canal or lake that
    # the 1-km land mask counts as land (IJsselmeer, Rhine, Great Lakes), not a spoofer; a
    # seagoing vessel that is also seen at sea is the case worth an analyst's time.
    min_sea_reports: int = field(
        default=3,
        metadata={"help": "At-sea reports the vessel needs for its land reports to count"},
    )
    # Our choice: harbour basins and river mouths fall inside coarse land polygons.
    port_buffer_m: float = field(
        default=5_000.0,
        metadata={"help": "On-land reports this close to a port are not counted, m"},
    )
    # Our choice: a corrupt position field (satellite AIS bit errors) moves one coordinate and
    # keeps the other; in GFW's 431704490 test data most far jumps keep latitude to within
    # 0.001 deg (many are exact sign flips of longitude). Such jumps are not called spoofing.
    single_axis_tolerance_deg: float = field(
        default=0.01,
        metadata={"help": "A jump keeping lat or lon within this is a corrupt field, deg"},
    )
    ignore_single_axis_jumps: bool = field(
        default=True, metadata={"help": "Do not report single-axis (corrupt-field) jumps"}
    )
    # ITU-R M.585 assigns MIDxxxxxx freely, but MID followed by six zeros (416000000,
    # 412000000, 240000000) is the factory default of unconfigured transponders.
    flag_mid_placeholders: bool = field(
        default=True, metadata={"help": "Treat MID + 000000 MMSIs as invalid_mmsi"}
    )
    max_evidence_items: int = field(
        default=20, metadata={"help": "Longest list (jumps, reports) kept in evidence JSON"}
    )


EVENT_TYPE = "spoofing"


def detect(
    positions: pl.DataFrame, params: Params | None = None, ctx: DetectContext | None = None
) -> pl.DataFrame:
    """Spoofing events in ``positions`` (positions schema, with or without ``seg_id``)."""
    params = params or Params()
    ctx = ctx or DetectContext()
    if positions.height == 0:
        return empty_events()
    if "seg_id" not in positions.columns:
        positions = tracks.segment(positions)
    df = _sorted(positions)
    changes = _segment_changes(df)
    # MMSIs with more than one segment: the only ones with jumps, collisions or land jumps
    multi = df.filter(pl.col("mmsi").is_in(changes["mmsi"].unique().implode()))
    jumps = _jumps(changes, params)
    collisions, pair_keys = _collisions(multi, params, jumps)
    frames = [
        _invalid_mmsi(df, params),
        collisions,
        _impossible_speed(multi, params, pair_keys, jumps),
        # a vessel seen at sea with a segment all on land has two segments, unless no
        # report at sea is asked for
        _on_land(multi if params.min_sea_reports > 0 else df, params, ctx),
    ]
    frames = [f for f in frames if f.height]
    if not frames:
        return empty_events()
    return finish_events(pl.concat(frames, how="diagonal_relaxed")).sort("mmsi", "start", "subtype")


def _sorted(positions: pl.DataFrame) -> pl.DataFrame:
    """``positions.sort("mmsi", "ts", "lon", "lat", maintain_order=True)``, without the sort
    when the rows are already in that order (as ``tracks.segment`` leaves them)."""
    m, t, x, y = (pl.col(c) for c in ("mmsi", "ts", "lon", "lat"))
    m0, t0, x0, y0 = (c.shift(1) for c in (m, t, x, y))
    in_order = (m > m0) | (
        (m == m0) & ((t > t0) | ((t == t0) & ((x > x0) | ((x == x0) & (y >= y0)))))
    )
    no_nulls = pl.sum_horizontal(pl.col("mmsi", "ts", "lon", "lat").null_count()) == 0
    if positions.select(in_order.fill_null(True).all() & no_nulls).item():
        return positions
    return positions.sort("mmsi", "ts", "lon", "lat", maintain_order=True)


def _segment_changes(df: pl.DataFrame) -> pl.DataFrame:
    """Reports (row index ``_i`` in ``df``) whose previous report of the MMSI is in another
    segment, with that report's ``from_*`` columns, ``dt_s`` and ``dist_m`` (as
    ``tracks.with_previous``)."""
    same_mmsi = pl.col("mmsi") == pl.col("mmsi").shift(1)
    prev = [pl.col(c).shift(1).alias(f"from_{c.strip('_')}") for c in ("_i", "ts", "lon", "lat")]
    d = (
        df.select("mmsi", "ts", "lon", "lat", "seg_id")
        .with_row_index("_i")
        .with_columns(*prev, pl.col("seg_id").shift(1).alias("from_seg"))
        .filter(same_mmsi & (pl.col("seg_id") != pl.col("from_seg")))
    )
    dist = haversine_m(
        d["from_lon"].to_numpy(), d["from_lat"].to_numpy(), d["lon"].to_numpy(), d["lat"].to_numpy()
    )
    dt = (pl.col("ts") - pl.col("from_ts")).dt.total_microseconds() / 1e6
    return d.with_columns(dt.alias("dt_s"), pl.Series("dist_m", dist).fill_nan(None))


def _iso(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _mean_lon(col: str = "lon") -> pl.Expr:
    """Circular mean of longitudes (right across the dateline)."""
    r = pl.col(col).radians()
    return pl.arctan2(r.sin().mean(), r.cos().mean()).degrees()


def _event(subtype: str) -> list[pl.Expr]:
    return [pl.lit(EVENT_TYPE).alias("type"), pl.lit(subtype).alias("subtype")]


# --- invalid_mmsi ---------------------------------------------------------------------------


def mmsi_problem(mmsi: pl.Expr, flag_mid_placeholders: bool = True) -> pl.Expr:
    """Why an MMSI cannot be a genuine assignment (Utf8), or null when it can.

    Rules, in order: ``not_nine_digits`` (above 999999999; the clean stage already rejects
    these); ``repeated_digit`` (111111111 ... 999999999); ``sequence`` (123456789,
    987654321); ``placeholder`` (one digit then eight zeros: 100000000 ... 900000000);
    ``unassigned_class`` (no transmitting ITU-R M.585 station class starts so: 1xx other
    than 111 SAR aircraft, 9xx other than 970/972/974 devices and 98/99 craft and aids,
    0MIDxxxxx group call identities); ``unallocated_mid``
    (a MID-bearing class whose MID is not in the ITU table); ``mid_placeholder`` (a ship MID
    followed by six zeros, when ``flag_mid_placeholders``). 8xxxxxxxx handhelds carry no MID
    and pass.
    """
    m = mmsi.cast(pl.Int64)
    mid = mid_expr(m)
    allocated = mid.is_in(mid_table()["mid"].implode())
    first = m // 100_000_000
    rule = (
        pl.when(m > 999_999_999)
        .then(pl.lit("not_nine_digits"))
        .when((m % 111_111_111 == 0) & (m > 0))
        .then(pl.lit("repeated_digit"))
        .when(m.is_in([123_456_789, 987_654_321]))
        .then(pl.lit("sequence"))
        .when(m % 100_000_000 == 0)
        .then(pl.lit("placeholder"))
        .when(
            ((m >= 10_000_000) & (m < 100_000_000))
            | ((first == 1) & ((m // 1_000_000) != 111))
            | (
                (first == 9)
                & ~(m // 1_000_000).is_in([970, 972, 974])
                & ~(m // 10_000_000).is_in([98, 99])
            )
        )
        .then(pl.lit("unassigned_class"))
        .when(mid.is_not_null() & ~allocated)
        .then(pl.lit("unallocated_mid"))
    )
    if flag_mid_placeholders:
        ship = (first >= 2) & (first <= 7)
        rule = rule.when(ship & (m % 1_000_000 == 0)).then(pl.lit("mid_placeholder"))
    return rule.otherwise(None)


def _invalid_mmsi(df: pl.DataFrame, params: Params) -> pl.DataFrame:
    mmsis = df.select(pl.col("mmsi").unique())
    invalid = mmsis.filter(mmsi_problem(pl.col("mmsi"), params.flag_mid_placeholders).is_not_null())
    df = df.filter(pl.col("mmsi").is_in(invalid["mmsi"].implode()))
    per = df.group_by("mmsi").agg(
        pl.col("ts").min().alias("start"),
        pl.col("ts").max().alias("end"),
        _mean_lon().alias("lon"),
        pl.col("lat").mean(),
        pl.len().alias("n_reports"),
        pl.col("seg_id").n_unique().alias("n_segments"),
    )
    per = per.with_columns(
        mmsi_problem(pl.col("mmsi"), params.flag_mid_placeholders).alias("rule"),
        mid_expr(pl.col("mmsi")).alias("mid"),
    ).filter(pl.col("rule").is_not_null())
    return per.select(
        *_event("invalid_mmsi"),
        "mmsi",
        "start",
        "end",
        "lon",
        "lat",
        pl.struct("rule", "mid", "n_reports", "n_segments").struct.json_encode().alias("evidence"),
    )


# --- jumps, impossible_speed and mmsi_collision ---------------------------------------------


def _jumps(changes: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Consecutive report pairs of one MMSI in different segments, out of reach and far."""
    d = changes
    speed = pl.col("dist_m") / pl.col("dt_s") / KNOTS_TO_MPS
    tol = params.single_axis_tolerance_deg
    return (
        d.filter(
            (pl.col("dist_m") >= params.min_jump_m)
            & ((pl.col("dt_s") <= 0) | (speed > params.max_speed_kn))
        )
        .with_columns(
            pl.when(pl.col("dt_s") > 0).then(speed).alias("implied_speed_kn"),
            (
                ((pl.col("lat") - pl.col("from_lat")).abs() <= tol)
                | (((pl.col("lon") - pl.col("from_lon") + 180) % 360 - 180).abs() <= tol)
            ).alias("single_axis"),
            pl.min_horizontal("from_seg", "seg_id").alias("seg_a"),
            pl.max_horizontal("from_seg", "seg_id").alias("seg_b"),
        )
        .select(
            "mmsi",
            "from_i",
            pl.col("_i").alias("to_i"),
            "from_ts",
            "from_lon",
            "from_lat",
            "from_seg",
            pl.col("ts").alias("to_ts"),
            pl.col("lon").alias("to_lon"),
            pl.col("lat").alias("to_lat"),
            pl.col("seg_id").alias("to_seg"),
            "dist_m",
            "dt_s",
            "implied_speed_kn",
            "single_axis",
            "seg_a",
            "seg_b",
        )
    )


def _impossible_speed(
    df: pl.DataFrame, params: Params, collision_pairs: pl.DataFrame, jumps: pl.DataFrame
) -> pl.DataFrame:
    sizes = df.group_by("seg_id").agg(pl.len().alias("_n"))
    for side in ("from_seg", "to_seg"):
        jumps = (
            jumps.join(sizes.rename({"seg_id": side}), on=side, how="left")
            .filter(pl.col("_n") >= params.min_excursion_reports)
            .drop("_n")
        )
    if params.ignore_single_axis_jumps:
        jumps = jumps.filter(~pl.col("single_axis"))
    if collision_pairs.height:
        jumps = jumps.join(collision_pairs, on=["mmsi", "seg_a", "seg_b"], how="anti")
    if jumps.height == 0:
        return pl.DataFrame()
    # One event per excursion: a jump continues the previous one when it leaves from the
    # report the previous one reached, or when it returns from the excursion segment to the
    # segment the previous jump left (out to a false position, held, and back).
    prev = {c: pl.col(c).shift(1).over("mmsi") for c in ("to_i", "to_seg", "from_seg")}
    continues = (pl.col("from_i") == prev["to_i"]) | (
        (pl.col("from_seg") == prev["to_seg"]) & (pl.col("to_seg") == prev["from_seg"])
    )
    jumps = jumps.sort("mmsi", "to_i").with_columns(
        (~continues).fill_null(True).cum_sum().over("mmsi").alias("_chain")
    )
    k = params.max_evidence_items
    item = pl.struct(
        _iso("from_ts").alias("from_ts"),
        "from_lon",
        "from_lat",
        "from_seg",
        _iso("to_ts").alias("to_ts"),
        "to_lon",
        "to_lat",
        "to_seg",
        pl.col("dist_m").round(0).alias("distance_m"),
        "dt_s",
        pl.col("implied_speed_kn").round(1),
    )
    ev = jumps.group_by("mmsi", "_chain").agg(
        pl.col("from_ts").first().alias("start"),
        pl.col("to_ts").last().alias("end"),
        pl.col("to_lon").first().alias("lon"),
        pl.col("to_lat").first().alias("lat"),
        pl.len().alias("n_jumps"),
        pl.col("dist_m").max().round(0).alias("max_distance_m"),
        pl.col("implied_speed_kn").max().round(1).alias("max_implied_speed_kn"),
        pl.col("from_seg").append(pl.col("to_seg")).unique().sort().alias("segments"),
        item.head(k).alias("jumps"),
    )
    return ev.select(
        *_event("impossible_speed"),
        "mmsi",
        "start",
        "end",
        "lon",
        "lat",
        pl.struct("n_jumps", "max_distance_m", "max_implied_speed_kn", "segments", "jumps")
        .struct.json_encode()
        .alias("evidence"),
    )


def _collisions(
    df: pl.DataFrame, params: Params, jumps: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(collision events, the (mmsi, seg_a, seg_b) pairs they cover)."""
    no_pairs = pl.DataFrame(schema={"mmsi": pl.Int64, "seg_a": pl.Utf8, "seg_b": pl.Utf8})
    segs = df.group_by("mmsi", "seg_id").agg(
        pl.len().alias("n"),
        pl.col("ts").min().alias("t0"),
        pl.col("ts").max().alias("t1"),
    )
    segs = segs.filter(pl.col("n") >= params.min_segment_reports).filter(pl.len().over("mmsi") > 1)
    if segs.height < 2:
        return pl.DataFrame(), no_pairs
    pairs = (
        segs.join(segs, on="mmsi", suffix="_b")
        .filter(pl.col("seg_id") < pl.col("seg_id_b"))
        .select(
            "mmsi",
            pl.col("seg_id").alias("seg_a"),
            pl.col("seg_id_b").alias("seg_b"),
            pl.max_horizontal("t0", "t0_b").alias("ov0"),
            pl.min_horizontal("t1", "t1_b").alias("ov1"),
            (pl.col("t0_b") >= pl.col("t0")).alias("b_is_newer"),
        )
        .filter(pl.col("ov1") > pl.col("ov0"))
        .with_row_index("pair")
    )
    if pairs.height == 0:
        return pl.DataFrame(), no_pairs
    reports = df.select("mmsi", "seg_id", "ts", "lon", "lat")

    def side(own: str, other: str) -> pl.DataFrame:
        """Reports of segment ``own`` in the overlap, each with the nearest-in-time report
        of segment ``other``."""
        mine = (
            pairs.join(reports, left_on=["mmsi", own], right_on=["mmsi", "seg_id"])
            .filter(pl.col("ts").is_between(pl.col("ov0"), pl.col("ov1")))
            .select("pair", "ts", "lon", "lat", pl.lit(own).alias("side"))
            .sort("ts")
        )
        theirs = (
            pairs.join(reports, left_on=["mmsi", other], right_on=["mmsi", "seg_id"])
            .select("pair", pl.col("ts").alias("o_ts"), pl.col("lon").alias("o_lon"),
                    pl.col("lat").alias("o_lat"))
            .with_columns(pl.col("o_ts").alias("ts"))
            .sort("ts")
        )  # fmt: skip
        return mine.join_asof(
            theirs, on="ts", by="pair", strategy="nearest", check_sortedness=False
        )

    m = pl.concat([side("seg_a", "seg_b"), side("seg_b", "seg_a")], how="vertical")
    sep = haversine_m(
        m["lon"].to_numpy(), m["lat"].to_numpy(), m["o_lon"].to_numpy(), m["o_lat"].to_numpy()
    )
    dt_s = (m["ts"] - m["o_ts"]).dt.total_microseconds().abs().to_numpy() / 1e6
    reach = params.max_speed_kn * KNOTS_TO_MPS * dt_s
    m = m.with_columns(pl.Series("sep_m", sep), pl.Series("out_of_reach", sep > reach))
    stats = m.group_by("pair").agg(
        pl.col("sep_m").median().alias("median_separation_m"),
        pl.col("sep_m").max().alias("max_separation_m"),
        pl.col("out_of_reach").mean().alias("fraction_out_of_reach"),
        (pl.col("side") == "seg_a").sum().alias("n_a"),
        (pl.col("side") == "seg_b").sum().alias("n_b"),
    )
    found = pairs.join(stats, on="pair").filter(
        (pl.col("median_separation_m") >= params.min_separation_m)
        & (pl.col("fraction_out_of_reach") >= 0.5)
        & (pl.col("n_a") >= params.min_segment_reports)
        & (pl.col("n_b") >= params.min_segment_reports)
    )
    if found.height == 0:
        return pl.DataFrame(), no_pairs
    centroids = df.group_by("mmsi", "seg_id").agg(
        _mean_lon().alias("c_lon"), pl.col("lat").mean().alias("c_lat"), pl.len().alias("c_n")
    )
    found = found.join(
        centroids.rename(
            {"seg_id": "seg_a", "c_lon": "lon_a", "c_lat": "lat_a", "c_n": "reports_a"}
        ),
        on=["mmsi", "seg_a"],
    ).join(
        centroids.rename(
            {"seg_id": "seg_b", "c_lon": "lon_b", "c_lat": "lat_b", "c_n": "reports_b"}
        ),
        on=["mmsi", "seg_b"],
    )
    n_jumps = jumps.group_by("mmsi", "seg_a", "seg_b").agg(
        pl.len().alias("n_jumps"),
        pl.col("single_axis").sum().alias("n_single_axis_jumps"),
        pl.col("implied_speed_kn").max().round(1).alias("max_implied_speed_kn"),
    )
    found = found.join(n_jumps, on=["mmsi", "seg_a", "seg_b"], how="left").with_columns(
        pl.col("n_jumps").fill_null(0), pl.col("n_single_axis_jumps").fill_null(0)
    )
    if params.ignore_single_axis_jumps:
        # Every jump between the two is a corrupt field: one vessel and its garbled echo.
        found = found.filter(
            (pl.col("n_jumps") == 0) | (pl.col("n_single_axis_jumps") < pl.col("n_jumps"))
        )
        if found.height == 0:
            return pl.DataFrame(), no_pairs

    # One event per segment that appears while the MMSI is already reporting elsewhere: the
    # newer segment of each pair, with every older segment it runs alongside.
    def oriented(prefix: str, pick: pl.Expr) -> list[pl.Expr]:
        """Columns of the pair's segment chosen by ``pick`` (b when true), renamed."""
        return [
            pl.when(pick).then(pl.col(f"{c}_b")).otherwise(pl.col(f"{c}_a")).alias(prefix + c)
            for c in ("seg", "lon", "lat", "reports", "n")
        ]

    newer = pl.col("b_is_newer")
    found = found.with_columns(*oriented("new_", newer), *oriented("old_", ~newer))
    other = pl.struct(
        pl.col("old_seg").alias("segment"),
        pl.col("old_reports").alias("segment_reports"),
        pl.col("old_lon").round(4).alias("mean_lon"),
        pl.col("old_lat").round(4).alias("mean_lat"),
        pl.concat_list("new_n", "old_n").alias("reports_in_overlap"),
        pl.col("median_separation_m").round(0),
        pl.col("max_separation_m").round(0),
        pl.col("fraction_out_of_reach").round(3),
        "n_jumps",
        "n_single_axis_jumps",
        "max_implied_speed_kn",
    )
    grouped = (
        found.sort("old_seg")
        .group_by("mmsi", "new_seg")
        .agg(
            pl.col("ov0").min().alias("start"),
            pl.col("ov1").max().alias("end"),
            pl.col("new_lon").first().alias("lon"),
            pl.col("new_lat").first().alias("lat"),
            pl.col("new_reports").first().alias("segment_reports"),
            pl.col("n_jumps").sum().alias("n_jumps_total"),
            other.alias("concurrent"),
        )
    )
    events = grouped.select(
        *_event("mmsi_collision"),
        "mmsi",
        "start",
        "end",
        "lon",
        "lat",
        pl.struct(
            pl.col("new_seg").alias("segment"),
            "segment_reports",
            pl.col("lon").round(4).alias("mean_lon"),
            pl.col("lat").round(4).alias("mean_lat"),
            pl.col("n_jumps_total").alias("n_jumps"),
            "concurrent",
        )
        .struct.json_encode()
        .alias("evidence"),
    )
    return events, found.select("mmsi", "seg_a", "seg_b")


# --- on_land --------------------------------------------------------------------------------


def _on_land(df: pl.DataFrame, params: Params, ctx: DetectContext) -> pl.DataFrame:
    if ctx.geo is None:
        return pl.DataFrame()
    lon = df["lon"].to_numpy().astype(np.float64)
    lat = df["lat"].to_numpy().astype(np.float64)
    land = np.asarray(ctx.geo.on_land(lon, lat), dtype=bool)
    if params.port_buffer_m > 0 and land.any():
        idx = np.flatnonzero(land)
        near = np.asarray(ctx.geo.distance_to_port_m(lon[idx], lat[idx])) < params.port_buffer_m
        land[idx[near]] = False
    if not land.any():
        return pl.DataFrame()
    d = df.select("mmsi", "seg_id", "ts", "lon", "lat").with_columns(pl.Series("_land", land))
    # Only land reached by a jump: a track segment entirely on land, of a vessel whose other
    # segments are at sea. A river or estuary transit stays in one segment with its sea
    # reports (a continuous track), and is not spoofing.
    at_sea = (~pl.col("_land")).sum()
    d = d.filter((at_sea.over("mmsi") >= params.min_sea_reports) & (at_sea.over("seg_id") == 0))
    if d.height == 0:
        return pl.DataFrame()
    d = d.with_columns(
        (pl.col("_land") != pl.col("_land").shift(1).over("seg_id"))
        .fill_null(True)
        .cum_sum()
        .over("seg_id")
        .alias("_run")
    ).filter(pl.col("_land"))
    k = params.max_evidence_items
    runs = d.group_by("mmsi", "seg_id", "_run").agg(
        pl.col("ts").min().alias("start"),
        pl.col("ts").max().alias("end"),
        _mean_lon().alias("mean_lon"),
        pl.col("lat").mean().alias("mean_lat"),
        pl.len().alias("n_reports"),
        pl.struct(_iso("ts").alias("ts"), "lon", "lat").head(k).alias("reports"),
    )
    runs = runs.filter(pl.col("n_reports") >= params.min_land_reports)
    return runs.select(
        *_event("on_land"),
        "mmsi",
        "start",
        "end",
        pl.col("mean_lon").alias("lon"),
        pl.col("mean_lat").alias("lat"),
        pl.struct(pl.col("seg_id").alias("segment"), "n_reports", "reports")
        .struct.json_encode()
        .alias("evidence"),
    )
