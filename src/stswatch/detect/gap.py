"""AIS gap ("going dark"): a vessel silent for a long time while far out at sea.

A gap event is a silence of one transmitter (MMSI) of at least ``min_gap_h`` hours whose
last report before and first report after both lie more than ``min_shore_distance_m``
from shore, following the AIS-disabling definition of Welch et al. (2022), "Hot spots of
unseen fishing vessels", Science Advances 8(44): eabq2109 (gaps of 12 h or more, at least
50 nautical miles from shore). The event spans the last report before the silence to the
first one after it; evidence gives both positions, the distance between them and the speed
it implies. A gap that begins or ends within ``near_max_distance_m`` and ``near_max_dt_h``
of another vessel's report names that vessel (``near_vessel_at_start`` / ``_at_end``).
Two vessels silent over the same place and time (gaps overlapping by at least
``joint_min_overlap_h``, with their start points or their end points within
``joint_max_distance_m`` of each other) are also reported together as one ``joint`` gap
(``mmsi`` the lower, ``other_mmsi`` the higher), spanning the time both were silent: a
candidate ship-to-ship transfer with both transponders off.

Caveat: a gap means stswatch received nothing, not that the transponder was off. Far from
shore AIS comes from satellites, whose coverage is uneven in space and time (revisit
times, message collisions in busy areas, provider outages), and Class B transmitters are
weaker; Welch et al. only counted gaps where reception was otherwise good. Read a gap as
"dark to us", to be weighed against the coverage of the data source.

Gaps are silences of the transmitter, so they are found per MMSI even when ``seg_id`` is
present: a segmenter that cuts tracks at long silences would otherwise hide exactly these
events. Evidence says whether both ends belong to the same segment; when they do not, the
two ends may be different vessels sharing an MMSI and the implied speed is the telltale.

Partitions: a gap is seen only if both of its ends are in the input. Run on windows that
overlap by more than the longest gap of interest (or add each vessel's last report before
the window) and keep events whose ``start`` falls inside the window proper.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from stswatch.detect.base import DetectContext, GeoLookup, empty_events, finish_events
from stswatch.errors import UsageError
from stswatch.resample import CellGrid, haversine_m_expr, sort_reports
from stswatch.units import KNOTS_TO_MPS, METERS_PER_NM

US_PER_H = 3_600_000_000


@dataclass(frozen=True)
class Params:
    """Gap thresholds (the ``[gap]`` section of ``stswatch.toml``)."""

    # Welch et al. 2022 (Sci. Adv. eabq2109): AIS disabling = no position for 12 h or more ...
    min_gap_h: float = field(default=12.0, metadata={"help": "Shortest silence, hours"})
    # ... with both ends at least 50 nautical miles from shore.
    min_shore_distance_m: float = field(
        default=50 * METERS_PER_NM,
        metadata={"help": "Both ends at least this far from shore, metres"},
    )
    # stswatch choice: 10 times the GFW encounter distance, within a GFW encounter's 2 h.
    near_max_distance_m: float = field(
        default=5_000.0, metadata={"help": "Another vessel this close to an end, metres"}
    )
    near_max_dt_h: float = field(
        default=2.0, metadata={"help": "... and this close in time to it, hours"}
    )
    # stswatch choice: joint gap = start points or end points within 10 nautical miles ...
    joint_max_distance_m: float = field(
        default=10 * METERS_PER_NM,
        metadata={"help": "Joint gap: starts or ends of two gaps this close, metres"},
    )
    # ... silent together at least as long as a GFW encounter lasts (2 h).
    joint_min_overlap_h: float = field(
        default=2.0, metadata={"help": "Joint gap: both silent together at least, hours"}
    )


GAP_COLUMNS = [
    "mmsi", "start", "end", "lon0", "lat0", "lon1", "lat1", "sog0", "sog1",
    "shore0_m", "shore1_m", "distance_m", "implied_speed_kn", "same_segment",
]  # fmt: skip


def _require_geo(ctx_geo: GeoLookup | None, params: Params) -> None:
    if ctx_geo is None and params.min_shore_distance_m > 0:
        raise UsageError(
            "The gap detector needs a GeoLookup (ctx.geo) to measure distance from shore. "
            "Hint: pass the shipped geography (stswatch.geo) as ctx.geo, or set "
            "min_shore_distance_m = 0."
        )


def find_gaps(positions: pl.DataFrame, params: Params, geo: GeoLookup | None) -> pl.DataFrame:
    """One row per at-sea silence of an MMSI (columns ``GAP_COLUMNS``), sorted by (mmsi, start)."""
    _require_geo(geo, params)
    seg = pl.col("seg_id") if "seg_id" in positions.columns else pl.lit(None, pl.Utf8)
    pts = positions.select(
        pl.col("mmsi").cast(pl.Int64),
        "ts",
        pl.col("lon").cast(pl.Float64),
        pl.col("lat").cast(pl.Float64),
        pl.col("sog").cast(pl.Float64),
        seg.cast(pl.Utf8).alias("seg"),
    )
    pts = sort_reports(pts, ("mmsi", "ts"), ("lon", "lat", "sog"))
    min_gap_us = int(params.min_gap_h * US_PER_H)
    # the silences first (two cheap columns), then both ends of each
    silent = (pl.col("mmsi").shift(-1) == pl.col("mmsi")) & (
        (pl.col("ts").shift(-1) - pl.col("ts")).dt.total_microseconds() >= min_gap_us
    )
    before = pts.select(silent.fill_null(False).arg_true())["mmsi"]
    a, b = pts[before], pts[before + 1]
    gaps = pl.DataFrame(
        [
            a["mmsi"],
            a["ts"].alias("start"),
            b["ts"].alias("end"),
            a["lon"].alias("lon0"),
            a["lat"].alias("lat0"),
            b["lon"].alias("lon1"),
            b["lat"].alias("lat1"),
            a["sog"].alias("sog0"),
            b["sog"].alias("sog1"),
            (a["seg"] == b["seg"]).alias("same_segment"),
        ]
    )
    if geo is None or gaps.height == 0:
        shore0 = shore1 = np.full(gaps.height, np.nan)
    else:
        shore0 = geo.distance_to_shore_m(gaps["lon0"].to_numpy(), gaps["lat0"].to_numpy())
        shore1 = geo.distance_to_shore_m(gaps["lon1"].to_numpy(), gaps["lat1"].to_numpy())
    dist = haversine_m_expr(pl.col("lon0"), pl.col("lat0"), pl.col("lon1"), pl.col("lat1"))
    hours = (pl.col("end") - pl.col("start")).dt.total_microseconds() / US_PER_H
    at_sea = (pl.col("shore0_m") >= params.min_shore_distance_m) & (
        pl.col("shore1_m") >= params.min_shore_distance_m
    )
    return (
        gaps.with_columns(
            pl.Series("shore0_m", shore0, pl.Float64),
            pl.Series("shore1_m", shore1, pl.Float64),
            dist.alias("distance_m"),
        )
        .filter(at_sea if geo is not None else pl.lit(True))
        .with_columns(
            (pl.col("distance_m") / (hours * 3600.0) / KNOTS_TO_MPS).alias("implied_speed_kn")
        )
        .select(GAP_COLUMNS)
        .sort("mmsi", "start")
    )


def _nearest_vessels(positions: pl.DataFrame, gaps: pl.DataFrame, params: Params) -> pl.DataFrame:
    """For each gap end (columns gid, end 0/1) the nearest other vessel's report, if any."""
    near_struct = pl.Struct({"mmsi": pl.Int64, "distance_m": pl.Float64, "dt_h": pl.Float64})
    schema = pl.Schema({"gid": pl.Int64(), "which": pl.Int32(), "near": near_struct})
    if gaps.height == 0:
        return pl.DataFrame(schema=schema)
    grid = CellGrid(max(params.near_max_distance_m * 1.01, 1000.0))
    bin_us = max(int(params.near_max_dt_h * US_PER_H), 1)
    ends = pl.concat(
        [
            gaps.select(
                "gid",
                pl.lit(w, pl.Int32).alias("which"),
                "mmsi",
                pl.col(t).alias("t"),
                pl.col(f"lon{w}").alias("lon"),
                pl.col(f"lat{w}").alias("lat"),
            )  # fmt: skip
            for w, t in ((0, "start"), (1, "end"))
        ]
    ).with_columns(pl.col("t").dt.epoch("us").alias("t_us"))
    # key = (time bin, cell); an end probes the bins before and after and the 9 cells
    rows, cells = grid.probes(ends["lon"].to_numpy(), ends["lat"].to_numpy())
    tbin = ends["t_us"].to_numpy()[rows] // bin_us
    probes = (
        pl.DataFrame({"row": rows, "cell": cells, "tb": tbin})
        .with_columns(pl.concat_list([pl.col("tb") + d for d in (-1, 0, 1)]).alias("tb"))
        .explode("tb", empty_as_null=False)
        .select("row", (pl.col("tb") * grid.n_cells + pl.col("cell")).alias("key"))
        .join(ends.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64)), on="row")
    )
    bins = (probes["key"] // grid.n_cells).unique()
    o = positions.select(
        pl.col("mmsi").cast(pl.Int64).alias("o_mmsi"),
        pl.col("ts").dt.epoch("us").alias("o_us"),
        pl.col("lon").cast(pl.Float64).alias("o_lon"),
        pl.col("lat").cast(pl.Float64).alias("o_lat"),
    ).filter((pl.col("o_us") // bin_us).is_in(bins.implode()))
    # only reports in the latitude bands of the probed cells can share a key with an end
    own = grid.band(ends["lat"].to_numpy())
    bands = np.unique(np.concatenate([own - 1, own, own + 1]))
    o = o.filter(pl.Series(np.isin(grid.band(o["o_lat"].to_numpy()), bands)))
    o_key = (o["o_us"].to_numpy() // bin_us) * grid.n_cells + grid.cell(
        o["o_lon"].to_numpy(), o["o_lat"].to_numpy()
    )
    others = o.with_columns(pl.Series("key", o_key, pl.Int64)).lazy()
    near = (
        probes.lazy()
        .join(others, on="key")
        .filter(pl.col("o_mmsi") != pl.col("mmsi"))
        .with_columns(
            haversine_m_expr(pl.col("lon"), pl.col("lat"), pl.col("o_lon"), pl.col("o_lat")).alias(
                "d"
            ),
            ((pl.col("o_us") - pl.col("t_us")) / US_PER_H).alias("dt_h"),
        )
        .filter(
            (pl.col("d") <= params.near_max_distance_m)
            & (pl.col("dt_h").abs() <= params.near_max_dt_h)
        )
        .sort("gid", "which", "d", "o_mmsi", "o_us")
        .group_by("gid", "which", maintain_order=True)
        .first()
        .select(
            "gid",
            "which",
            pl.struct(
                pl.col("o_mmsi").alias("mmsi"),
                pl.col("d").round(1).alias("distance_m"),
                pl.col("dt_h").round(3),
            ).alias("near"),
        )  # fmt: skip
        .collect()
    )
    return near.cast(schema)


def _joint_gaps(gaps: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Pairs of gaps of two vessels silent together over the same place."""
    grid = CellGrid(max(params.joint_max_distance_m * 1.01, 1000.0))
    found = []
    for w in (0, 1):
        lon, lat = gaps[f"lon{w}"].to_numpy(), gaps[f"lat{w}"].to_numpy()
        gid = gaps["gid"].to_numpy()
        own = pl.DataFrame({"gid_b": gid, "key": grid.cell(lon, lat)})
        rows, cells = grid.probes(lon, lat)
        probe = pl.DataFrame({"gid_a": gid[rows], "key": cells})
        found.append(probe.join(own, on="key").select("gid_a", "gid_b"))
    a = gaps.rename(lambda c: f"{c}_a")
    b = gaps.rename(lambda c: f"{c}_b")
    overlap_start = pl.max_horizontal("start_a", "start_b")
    overlap_end = pl.min_horizontal("end_a", "end_b")
    d_start = haversine_m_expr(
        pl.col("lon0_a"), pl.col("lat0_a"), pl.col("lon0_b"), pl.col("lat0_b")
    )
    d_end = haversine_m_expr(pl.col("lon1_a"), pl.col("lat1_a"), pl.col("lon1_b"), pl.col("lat1_b"))
    return (
        pl.concat(found)
        .unique()
        .join(a, on="gid_a")
        .join(b, on="gid_b")
        .filter(pl.col("mmsi_a") < pl.col("mmsi_b"))
        .with_columns(
            overlap_start.alias("ov_start"),
            overlap_end.alias("ov_end"),
            d_start.alias("start_distance_m"),
            d_end.alias("end_distance_m"),
        )
        .filter(
            (
                (pl.col("ov_end") - pl.col("ov_start")).dt.total_microseconds()
                >= params.joint_min_overlap_h * US_PER_H
            )
            & (
                (pl.col("start_distance_m") <= params.joint_max_distance_m)
                | (pl.col("end_distance_m") <= params.joint_max_distance_m)
            )
        )  # fmt: skip
        .sort("mmsi_a", "mmsi_b", "ov_start", "gid_a", "gid_b")
    )


def _gap_struct(suffix: str = "") -> pl.Expr:
    c = lambda name: pl.col(f"{name}{suffix}")  # noqa: E731
    iso = "%Y-%m-%dT%H:%M:%SZ"
    return pl.struct(
        c("mmsi").alias("mmsi"),
        c("start").dt.to_string(iso).alias("last_report"),
        c("end").dt.to_string(iso).alias("first_report"),
        ((c("end") - c("start")).dt.total_microseconds() / US_PER_H).round(3).alias("gap_h"),
        pl.struct(
            c("lon0").round(6).alias("lon"), c("lat0").round(6).alias("lat"),
            c("sog0").round(2).alias("sog_kn"), c("shore0_m").round(0).alias("distance_to_shore_m"),
        ).alias("last"),
        pl.struct(
            c("lon1").round(6).alias("lon"), c("lat1").round(6).alias("lat"),
            c("sog1").round(2).alias("sog_kn"), c("shore1_m").round(0).alias("distance_to_shore_m"),
        ).alias("first"),
        c("distance_m").round(1).alias("distance_m"),
        c("implied_speed_kn").round(3).alias("implied_speed_kn"),
        c("same_segment").alias("same_segment"),
    )  # fmt: skip


def detect(positions: pl.DataFrame, params: Params, ctx: DetectContext) -> pl.DataFrame:
    """Gap events (subtype ``single``) and joint gaps (subtype ``joint``); see module doc."""
    gaps = (
        find_gaps(positions, params, ctx.geo)
        .with_row_index("gid")
        .with_columns(pl.col("gid").cast(pl.Int64))
    )
    if gaps.height == 0:
        return empty_events()
    near = _nearest_vessels(positions, gaps, params)
    gaps = gaps.join(
        near.filter(pl.col("which") == 0).select("gid", pl.col("near").alias("near0")),
        on="gid", how="left",
    ).join(
        near.filter(pl.col("which") == 1).select("gid", pl.col("near").alias("near1")),
        on="gid", how="left",
    )  # fmt: skip
    lon_mid = (
        pl.concat_list("lon0", "lon1")
        .list.eval(
            pl.arctan2(pl.element().radians().sin().mean(), pl.element().radians().cos().mean())
        )
        .list.first()
        .degrees()
    )
    singles = gaps.select(
        pl.lit("gap").alias("type"),
        pl.lit("single").alias("subtype"),
        "mmsi",
        pl.lit(None, pl.Int64).alias("other_mmsi"),
        "start",
        "end",
        lon_mid.alias("lon"),
        ((pl.col("lat0") + pl.col("lat1")) / 2).alias("lat"),
        pl.struct(
            pl.lit("single").alias("kind"),
            _gap_struct().struct.unnest(),
            pl.col("near0").alias("near_vessel_at_start"),
            pl.col("near1").alias("near_vessel_at_end"),
        )
        .struct.json_encode()
        .alias("evidence"),
    )
    joint = _joint_gaps(gaps.drop("near0", "near1"), params)
    if joint.height == 0:
        return finish_events(singles)
    ends = [pl.col(f"{c}_{s}") for s in ("a", "b") for c in ("lon0", "lon1")]
    lats = [pl.col(f"{c}_{s}") for s in ("a", "b") for c in ("lat0", "lat1")]
    joints = joint.select(
        pl.lit("gap").alias("type"),
        pl.lit("joint").alias("subtype"),
        pl.col("mmsi_a").alias("mmsi"),
        pl.col("mmsi_b").alias("other_mmsi"),
        pl.col("ov_start").alias("start"),
        pl.col("ov_end").alias("end"),
        pl.concat_list(ends).list.eval(
            pl.arctan2(pl.element().radians().sin().mean(), pl.element().radians().cos().mean())
        ).list.first().degrees().alias("lon"),
        pl.mean_horizontal(lats).alias("lat"),
        pl.struct(
            pl.lit("joint").alias("kind"),
            ((pl.col("ov_end") - pl.col("ov_start")).dt.total_microseconds() / US_PER_H)
            .round(3).alias("both_silent_h"),
            pl.col("start_distance_m").round(1),
            pl.col("end_distance_m").round(1),
            pl.concat_list(_gap_struct("_a"), _gap_struct("_b")).alias("gaps"),
        ).struct.json_encode().alias("evidence"),
    )  # fmt: skip
    return finish_events(pl.concat([singles, joints]))
