"""The risk factors: each turns events (and matches, ship types, areas) into reasons.

Every function here is pure and columnar and returns rows of ``reasons.REASON_SCHEMA``;
docs/scoring.md defines each factor. History factors are ``history.history`` with a filter.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from stswatch.areas import Area, contains
from stswatch.score import sun
from stswatch.score.history import actors, history, nearest
from stswatch.score.params import Params
from stswatch.score.reasons import empty_reasons, iso, parties, reasons

NIGHT_SAMPLES = 49  # instants per encounter at which the sun is placed (every 1/48 of it)
TANKER_TYPES = (80, 89)  # ITU-R M.1371 table 53: 80-89 tanker, all kinds
AREA_EVENT_TYPES = ("encounter", "loitering", "gap")
TANKER_EVENT_TYPES = ("encounter", "loitering")

# Identity-change subtypes that count as flag evidence rather than renaming.
FLAG_SUBTYPES = ("flag", "mid_flag_mismatch")


def listed_party(party_rows: pl.DataFrame, matches: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Best list match of each party, by confidence x method factor (x review factor)."""
    if matches.height == 0 or party_rows.height == 0:
        return empty_reasons()
    best = best_matches(matches, params)
    rows = party_rows.select("event_id", "mmsi").join(best, on="mmsi")
    # Two MMSIs of one hull (a flag hop) can match the same entry: it counts once.
    rows = rows.sort(["strength", "mmsi"], descending=[True, False]).unique(
        ["event_id", "list_name", "entry_id"], keep="first", maintain_order=True
    )
    return reasons(rows, "listed_party", params, match_detail())


def best_matches(matches: pl.DataFrame, params: Params) -> pl.DataFrame:
    """One row per MMSI: its strongest match, with ``strength`` and the lists it is on."""
    method = pl.col("method")
    factor = (
        pl.when(method == "imo")
        .then(params.imo_match_factor)
        .when(method == "mmsi")
        .then(params.mmsi_match_factor)
        .otherwise(params.name_match_factor)
    )
    review = pl.when(pl.col("needs_review").fill_null(True)).then(params.needs_review_factor)
    m = matches.with_columns(
        (pl.col("confidence") * factor * review.otherwise(1.0)).clip(0.0, 1.0).alias("strength")
    )
    return (
        m.sort(
            ["strength", "confidence", "list_name", "entry_id"],
            descending=[True, True, False, False],
        )
        .group_by("mmsi", maintain_order=True)
        .agg(
            pl.all().first(),
            pl.len().alias("n_matches"),
            pl.col("list_name").unique().sort().str.join(", ").alias("lists"),
        )
    )


def match_detail() -> pl.Expr:
    return pl.struct(
        pl.col("list_name").alias("list"),
        pl.col("list_version").cast(pl.Utf8).alias("list_version"),
        "entry_id",
        "entry_name",
        "program",
        "method",
        "vessel_value",
        "entry_value",
        pl.col("confidence").round(3),
        "needs_review",
        pl.col("n_matches").alias("matches"),
        "lists",
    )


def encounter_vessels(events: pl.DataFrame) -> pl.DataFrame:
    """event_id, mmsi, ship_type, dark (bool or null), dark_window_h, longest_dark_h from the
    encounters' evidence (its key ``dark_within_<N>h`` names the window it used)."""
    enc = events.filter(pl.col("type") == "encounter").select("event_id", "evidence")
    if enc.height == 0:
        return pl.DataFrame(
            schema={"event_id": pl.Utf8, "mmsi": pl.Int64, "ship_type": pl.Int64,
                    "dark": pl.Boolean, "dark_window_h": pl.Float64, "longest_dark_h": pl.Float64}
        )  # fmt: skip
    enc = enc.with_columns(
        pl.col("evidence").str.extract(r'"dark_within_([0-9.]+)h"', 1).alias("_win")
    )
    parts = []
    for win in enc["_win"].unique().to_list():
        key = f"dark_within_{win}h"
        item: dict[str, pl.DataType] = {
            "mmsi": pl.Int64(), "ship_type": pl.Int64(), "longest_dark_h": pl.Float64(),
        }  # fmt: skip
        if win is not None:
            item[key] = pl.Boolean()
        dtype = pl.Struct({"vessels": pl.List(pl.Struct(item))})
        sub = enc.filter(pl.col("_win").eq_missing(win))
        v = (
            sub.select(
                "event_id", pl.col("evidence").str.json_decode(dtype).struct.field("vessels")
            )
            .explode("vessels", empty_as_null=False)
            .drop_nulls("vessels")
            .unnest("vessels")
        )
        parts.append(
            v.select(
                "event_id",
                "mmsi",
                "ship_type",
                (pl.col(key) if win is not None else pl.lit(None, pl.Boolean)).alias("dark"),
                pl.lit(None if win is None else float(win), pl.Float64).alias("dark_window_h"),
                "longest_dark_h",
            )
        )
    return pl.concat(parts)


def dark_near_encounter(
    events: pl.DataFrame, party_rows: pl.DataFrame, vessels: pl.DataFrame, params: Params
) -> pl.DataFrame:
    """Encounters whose party was dark within the window (encounter evidence, or a stored gap
    event), and gap events within ``dark_window_h`` of an encounter of the same vessel."""
    window_s = params.dark_window_h * 3600.0
    found = []
    ev = vessels.filter(pl.col("dark").fill_null(False))
    if ev.height:
        found.append(
            ev.select(
                "event_id", "mmsi", pl.lit(1.0).alias("strength"),
                pl.struct(
                    pl.lit("encounter evidence").alias("from"),
                    pl.col("dark_window_h").alias("window_h"),
                    pl.col("longest_dark_h").round(2),
                    pl.lit(None, pl.Utf8).alias("event_id"),
                    pl.lit(None, pl.Float64).alias("hours_apart"),
                ).alias("_d"),
            )
        )  # fmt: skip
    for scored, other in (("encounter", "gap"), ("gap", "encounter")):
        rows = party_rows.filter(pl.col("type") == scored)
        hist = events.filter(pl.col("type") == other)
        if rows.height == 0 or hist.height == 0:
            continue
        near = nearest(rows.select("event_id", "mmsi", "start", "end"), actors(hist)).filter(
            pl.col("apart_s") <= window_s
        )
        found.append(
            near.select(
                "event_id", "mmsi", pl.lit(1.0).alias("strength"),
                pl.struct(
                    pl.lit(f"{other} event").alias("from"),
                    pl.lit(params.dark_window_h).alias("window_h"),
                    pl.lit(None, pl.Float64).alias("longest_dark_h"),
                    pl.col("near_id").alias("event_id"),
                    (pl.col("apart_s") / 3600.0).round(2).alias("hours_apart"),
                ).alias("_d"),
            )
        )  # fmt: skip
    if not found:
        return empty_reasons()
    rows = pl.concat(found).unique(["event_id", "mmsi"], keep="first", maintain_order=True)
    return reasons(rows, "dark_near_encounter", params, pl.col("_d"))


def night(events: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Share of each encounter (start to end, NIGHT_SAMPLES instants) with the sun down."""
    enc = events.filter(
        (pl.col("type") == "encounter") & pl.col("lon").is_not_null() & pl.col("lat").is_not_null()
    )
    if enc.height == 0:
        return empty_reasons()
    start = enc["start"].dt.epoch("us").to_numpy()
    end = enc["end"].dt.epoch("us").to_numpy()
    lon = enc["lon"].to_numpy()[:, None]
    lat = enc["lat"].to_numpy()[:, None]
    frac = np.linspace(0.0, 1.0, NIGHT_SAMPLES)[None, :]
    ts = (start[:, None] + (end - start)[:, None] * frac).astype(np.int64)
    elev = sun.elevation_deg(ts, lon, lat)
    share = (elev < params.night_sun_elevation_deg).mean(axis=1)
    solar = sun.solar_time_h(np.stack([start, end], axis=1), lon)
    out = enc.select("event_id").with_columns(
        pl.Series("strength", share),
        pl.Series("elev0", elev[:, 0]),
        pl.Series("elev1", elev[:, -1]),
        pl.Series("solar0", solar[:, 0]),
        pl.Series("solar1", solar[:, 1]),
    )
    hhmm = {
        c: pl.format(
            "{}:{}",
            pl.col(c).floor().cast(pl.Int64).cast(pl.Utf8).str.zfill(2),
            ((pl.col(c) * 60).floor() % 60).cast(pl.Int64).cast(pl.Utf8).str.zfill(2),
        )
        for c in ("solar0", "solar1")
    }
    detail = pl.struct(
        pl.col("strength").round(3).alias("night_share"),
        pl.col("elev0").round(2).alias("sun_elevation_start_deg"),
        pl.col("elev1").round(2).alias("sun_elevation_end_deg"),
        hhmm["solar0"].alias("solar_time_start"),
        hhmm["solar1"].alias("solar_time_end"),
        pl.lit(params.night_sun_elevation_deg).alias("below_deg"),
    )
    return reasons(out, "night", params, detail)


def area_of_interest(events: pl.DataFrame, areas: Sequence[Area], params: Params) -> pl.DataFrame:
    """Encounters, loitering and gaps whose position lies in an area (strength: its weight)."""
    ev = events.filter(
        pl.col("type").is_in(AREA_EVENT_TYPES) & pl.col("lon").is_not_null() & pl.col("lat").is_not_null()
    )  # fmt: skip
    if ev.height == 0 or not areas:
        return empty_reasons()
    inside = contains(list(areas), ev["lon"].to_numpy(), ev["lat"].to_numpy())  # (area, event)
    area_i, event_i = np.nonzero(inside)
    if event_i.size == 0:
        return empty_reasons()
    hits = pl.DataFrame(
        {
            "_i": event_i.astype(np.int64),
            "area": np.array([a.name for a in areas], dtype=object)[area_i].astype(str),
            "w": np.array([a.weight for a in areas], dtype=np.float64)[area_i],
        }
    )
    per = hits.group_by("_i").agg(
        pl.col("area").alias("areas"), pl.col("w").max().alias("strength")
    )
    rows = (
        ev.select("event_id", "lon", "lat")
        .with_row_index("_i")
        .join(per.with_columns(pl.col("_i").cast(pl.UInt32)), on="_i")
    )
    detail = pl.struct("areas", pl.col("lon").round(4), pl.col("lat").round(4))
    return reasons(rows, "area_of_interest", params, detail)


def tanker_types(statics: pl.DataFrame | None, vessels: pl.DataFrame) -> pl.DataFrame:
    """mmsi, ship_type: the last tanker code (80-89) each MMSI broadcast, in statics or in
    encounter evidence (a tanker that later calls itself something else stays a tanker)."""
    lo, hi = TANKER_TYPES
    frames = []
    if statics is not None and statics.height:
        s = statics.filter(pl.col("ship_type").is_between(lo, hi))
        if "ts" in s.columns:
            s = s.sort("ts")
        frames.append(s.select("mmsi", pl.col("ship_type").cast(pl.Int64)))
    ev = vessels.filter(pl.col("ship_type").is_between(lo, hi))
    frames.append(ev.select("mmsi", "ship_type"))
    return pl.concat(frames).group_by("mmsi").agg(pl.col("ship_type").last())


def tanker(party_rows: pl.DataFrame, tankers: pl.DataFrame, params: Params) -> pl.DataFrame:
    rows = party_rows.filter(pl.col("type").is_in(TANKER_EVENT_TYPES)).join(tankers, on="mmsi")
    rows = rows.with_columns(pl.lit(1.0).alias("strength"))
    return reasons(rows, "tanker", params, pl.struct("ship_type"))


def repeat_encounters(events: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Encounters of a pair that met more than once; full at ``repeat_full_at`` meetings."""
    enc = events.filter((pl.col("type") == "encounter") & pl.col("other_mmsi").is_not_null())
    pair = [
        pl.min_horizontal("mmsi", "other_mmsi").alias("_lo"),
        pl.max_horizontal("mmsi", "other_mmsi").alias("_hi"),
    ]
    enc = enc.with_columns(
        pl.len().over(pair).alias("n"),
        pl.col("start").min().over(pair).alias("first"),
        pl.col("start").max().over(pair).alias("last"),
    ).filter(pl.col("n") >= 2)
    full = max(params.repeat_full_at - 1, 1)
    enc = enc.with_columns(((pl.col("n") - 1) / full).clip(0.0, 1.0).alias("strength"))
    detail = pl.struct(
        pl.col("n").alias("encounters"),
        iso("first").alias("first"),
        iso("last").alias("last"),
        pl.lit(params.repeat_full_at).alias("full_at"),
    )
    return reasons(enc.drop("mmsi"), "repeat_encounters", params, detail)


def all_reasons(
    events: pl.DataFrame,
    matches: pl.DataFrame,
    statics: pl.DataFrame | None,
    areas: Sequence[Area],
    params: Params,
) -> pl.DataFrame:
    """Every factor's reasons for every event."""
    if events.height == 0:
        return empty_reasons()
    pr = parties(events)
    vessels = encounter_vessels(events)
    t, s = pl.col("type"), pl.col("subtype")
    frames = [
        listed_party(pr, matches, params),
        history(pr, events, (t == "port_visit") & (s == "dprk"), "dprk_port_visit", params,
                evidence={"port_name": pl.Utf8(), "country": pl.Utf8()}),
        dark_near_encounter(events, pr, vessels, params),
        history(pr, events, t == "spoofing", "spoofing", params),
        history(pr, events, (t == "identity_change") & (s == "flag"), "flag_hopping", params,
                evidence={"imo": pl.Int64(), "old_flag": pl.Utf8(), "new_flag": pl.Utf8()}),
        history(pr, events, (t == "identity_change") & ~s.is_in(FLAG_SUBTYPES).fill_null(False),
                "identity_change", params),
        area_of_interest(events, areas, params),
        repeat_encounters(events, params),
        history(pr, events, (t == "identity_change") & (s == "mid_flag_mismatch"), "flag_mismatch",
                params, recency=False,
                evidence={"callsign": pl.Utf8(), "mid_country": pl.Utf8(),
                          "callsign_administration": pl.Utf8()}),
        night(events, params),
        tanker(pr, tanker_types(statics, vessels), params),
    ]  # fmt: skip
    return pl.concat([f for f in frames if f.height] or [empty_reasons()])
