"""Screening: which transmitters are vessels on the loaded lists, and how sure that is.

``screen(vessels, entries, params)`` compares every identity an MMSI ever broadcast with every
list entry, by three kinds of evidence, strongest first:

1. **IMO**: the broadcast IMO number equals the entry's, both passing the check digit (numbers
   that fail are reported, never matched). The IMO belongs to the hull for life.
2. **MMSI**: the MMSI is one the entry gives. Lists often give past MMSIs, and MMSIs are
   reassigned, so an MMSI match wants the name to agree too.
3. **Name**: normalized names (``normalize``) with rapidfuzz ``token_sort_ratio`` at least
   ``Params.name_min_score``, and the same numbers in both (``HAO FAN 2`` is not ``HAO FAN
   6``). The method says which names met: ``name`` (the latest broadcast name and a listed name
   or alias), ``former_name`` (the latest broadcast name and a listed former name),
   ``broadcast_history`` (a name the MMSI broadcast before, against any listed name). A name
   match is *confirmed* when the MID flag agrees with a listed (or former) flag, or the kind
   of ship agrees (``evidence``); against the listed name itself, type does not confirm over a
   different flag, and a different flag with no agreeing type counts against the match. (A
   renamed ship is often reflagged, so former names get no such penalty.) A name is *common*
   when it belongs to at least ``Params.common_min_count`` hulls on the lists or MMSIs in the
   store, or is short; an unconfirmed common name is kept at low confidence for review.

One row per (MMSI, list, entry) is kept: the strongest evidence, the others listed in
``detail.also``. Confidence is fixed per case (``CONFIDENCE``, documented in
docs/screening.md); ``needs_review`` marks links that rest on an unconfirmed name or MMSI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from stswatch import schema
from stswatch.screen.base import polars_schema
from stswatch.screen.countries import iso3_expr
from stswatch.screen.evidence import agrees, ais_type_category, list_type_category, overlaps
from stswatch.screen.normalize import (
    compact_expr,
    is_short_expr,
    normalize_name_expr,
    numbers_expr,
)

METHODS = ("imo", "mmsi", "name", "former_name", "broadcast_history")

# Confidence per case (docs/screening.md has the table). Name methods start from their own
# value when confirmed and lose a penalty otherwise.
CONFIDENCE = {
    "imo": 0.99,  # the IMO the MMSI broadcasts now
    "imo_past": 0.90,  # an IMO the MMSI broadcast before
    "mmsi_with_name": 0.85,  # listed MMSI and a matching name
    "mmsi": 0.60,  # listed MMSI alone
    "mmsi_imo_conflict": 0.30,  # listed MMSI, but the vessel broadcasts another valid IMO
    "name": 0.70,
    "former_name": 0.65,
    "broadcast_history": 0.60,
    "unconfirmed_penalty": 0.30,  # uncommon name, neither flag nor type agrees
    "common_penalty": 0.50,  # common name unconfirmed, or the listed name under another flag
    "name_imo_conflict": 0.05,  # names agree but the valid IMOs differ: another hull
}

TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
AIS_NAME_CHARS = 20  # an AIS name field holds 20 characters; longer listed names are cut too


@dataclass(frozen=True)
class Params:
    # rapidfuzz token_sort_ratio (0-100). 92 lets about one character in twelve differ:
    # "SEASTAR III" ~ "SEA STAR III" scores 96, but "MARIN" ~ "MARLIN" (91) and "MARTIN" ~
    # "ARTIN" (91), different boats in the MarineCadastre sample, stay apart.
    name_min_score: float = 92.0
    # Hulls on the lists, or MMSIs in the store, that make a name common (issue spec: >= 2).
    common_min_count: int = 2
    # Vessel names x list names compared per rapidfuzz cdist call (bounds memory: 1 byte each).
    block_cells: int = 20_000_000
    workers: int = 1  # rapidfuzz threads


@dataclass(frozen=True)
class Screening:
    matches: pl.DataFrame  # schema.MATCHES
    invalid_vessel_imos: pl.DataFrame  # mmsi, imo, first_ts, last_ts
    invalid_entry_imos: pl.DataFrame  # list_name, entry_id, name, imo
    vessels: int = 0  # MMSIs screened
    entries: int = 0  # list entries screened


MATCH_SCHEMA = polars_schema(schema.MATCHES)


def _with_detail(df: pl.DataFrame, fields: list[pl.Expr | str]) -> pl.DataFrame:
    return df.with_columns(pl.struct(fields).struct.json_encode().alias("detail"))


def _current(vessels: pl.DataFrame) -> pl.DataFrame:
    """Per MMSI: latest name and IMO, MID flag and the kinds of ship it ever said it was."""
    return (
        vessels.sort("mmsi", "run")
        .group_by("mmsi")
        .agg(
            pl.col("name").last().alias("vessel_name"),
            pl.col("imo").last().alias("vessel_imo"),
            pl.col("imo_valid").last().fill_null(False).alias("vessel_imo_valid"),
            pl.col("flag_iso3").first().alias("vessel_flag"),
            ais_type_category(pl.col("ship_type")).drop_nulls().unique().alias("vessel_types"),
            pl.col("run").max().alias("_last_run"),
        )
    )


def _entries(entries: pl.DataFrame) -> pl.DataFrame:
    empty = pl.lit([], dtype=pl.List(pl.String))
    return entries.with_columns(
        pl.when(pl.col("imo_valid"))
        .then(pl.col("imo").cast(pl.String))
        .otherwise(pl.concat_str("list_name", pl.lit(":"), "entry_id"))
        .alias("_hull"),
        pl.concat_list(pl.col("flags").fill_null(empty), pl.col("former_flags").fill_null(empty))
        .list.eval(iso3_expr(pl.element()))
        .list.drop_nulls()
        .list.unique()
        .alias("entry_flags"),
        list_type_category(pl.col("vessel_type")).alias("entry_type"),
    )


def _imo_matches(vessels: pl.DataFrame, ent: pl.DataFrame, cur: pl.DataFrame) -> pl.DataFrame:
    broadcast = (
        vessels.filter(pl.col("imo").is_not_null() & pl.col("imo_valid"))
        .group_by("mmsi", "imo")
        .agg(pl.col("first_ts").min(), pl.col("last_ts").max())
    )
    hits = (
        ent.filter(pl.col("imo_valid"))
        .select("list_name", "entry_id", "imo")
        .join(broadcast, on="imo")
        .join(cur.select("mmsi", "vessel_imo"), on="mmsi")
        .with_columns((pl.col("imo") == pl.col("vessel_imo")).fill_null(False).alias("current"))
    )
    hits = hits.with_columns(
        pl.lit("imo").alias("method"),
        pl.col("imo").cast(pl.String).alias("vessel_value"),
        pl.col("imo").cast(pl.String).alias("entry_value"),
        pl.when("current")
        .then(CONFIDENCE["imo"])
        .otherwise(CONFIDENCE["imo_past"])
        .alias("confidence"),
        pl.lit(False).alias("needs_review"),
    )
    return _with_detail(
        hits,
        [
            pl.col("current").alias("imo_is_latest"),
            pl.col("first_ts").dt.to_string(TS_FORMAT).alias("broadcast_first"),
            pl.col("last_ts").dt.to_string(TS_FORMAT).alias("broadcast_last"),
        ],
    )


def _similar(left: pl.Series, right: pl.Series, params: Params) -> pl.DataFrame:
    """Pairs of normalized names scoring at least ``name_min_score`` (token_sort_ratio), plus
    pairs equal without spaces; then only pairs with the same numbers."""
    frames = [pl.DataFrame(schema={"vn": pl.String, "en": pl.String, "score": pl.UInt8})]
    if len(left) and len(right):
        step = max(1, params.block_cells // len(right))
        for start in range(0, len(left), step):
            block = left.slice(start, step)
            scores = process.cdist(
                block.to_list(),
                right.to_list(),
                scorer=fuzz.token_sort_ratio,
                score_cutoff=params.name_min_score,
                dtype=np.uint8,
                workers=params.workers,
            )
            i, j = np.nonzero(scores)
            frames.append(
                pl.DataFrame(
                    {"vn": block.gather(i), "en": right.gather(j), "score": scores[i, j]},
                    schema={"vn": pl.String, "en": pl.String, "score": pl.UInt8},
                )
            )
    lhs = pl.DataFrame({"vn": left}).with_columns(compact_expr(pl.col("vn")).alias("_c"))
    rhs = pl.DataFrame({"en": right}).with_columns(compact_expr(pl.col("en")).alias("_c"))
    frames.append(
        lhs.join(rhs, on="_c").select("vn", "en", pl.lit(100, dtype=pl.UInt8).alias("score"))
    )
    return (
        pl.concat(frames)
        .group_by("vn", "en")
        .agg(pl.col("score").max())
        .filter(numbers_expr(pl.col("vn")) == numbers_expr(pl.col("en")))
    )


def _entry_names(ent: pl.DataFrame) -> pl.DataFrame:
    """One row per (entry, normalized listed name): kind name, alias or former."""
    parts = [
        ent.select("list_name", "entry_id", pl.col("name").alias("raw"), pl.lit("name").alias("kind")),
        ent.select("list_name", "entry_id", pl.col("aliases").alias("raw"), pl.lit("alias").alias("kind")).explode("raw", empty_as_null=True),
        ent.select("list_name", "entry_id", pl.col("former_names").alias("raw"), pl.lit("former").alias("kind")).explode("raw", empty_as_null=True),
    ]  # fmt: skip
    names = pl.concat(parts).drop_nulls("raw")
    cut = names.filter(pl.col("raw").str.strip_chars().str.len_chars() > AIS_NAME_CHARS)
    names = pl.concat([names, cut.with_columns(pl.col("raw").str.strip_chars().str.slice(0, 20))])
    rank = pl.col("kind").replace_strict({"name": 0, "alias": 1, "former": 2}, return_dtype=pl.Int8)
    return (
        names.with_columns(normalize_name_expr(pl.col("raw")).alias("en"), rank.alias("_rank"))
        .drop_nulls("en")
        .sort("_rank")
        .unique(["list_name", "entry_id", "en"], keep="first", maintain_order=True)
        .drop("_rank")
    )


def _vessel_names(vessels: pl.DataFrame, cur: pl.DataFrame) -> pl.DataFrame:
    """One row per (MMSI, normalized broadcast name), flagged when it is the latest name."""
    return (
        vessels.filter(pl.col("name").is_not_null())
        .join(cur.select("mmsi", "_last_run"), on="mmsi")
        .with_columns(normalize_name_expr(pl.col("name")).alias("vn"))
        .drop_nulls("vn")
        .group_by("mmsi", "vn")
        .agg(
            pl.col("name").sort_by("run").last().alias("vessel_raw"),
            (pl.col("run") == pl.col("_last_run")).any().alias("is_latest"),
            pl.col("first_ts").min(),
            pl.col("last_ts").max(),
        )
    )


def _name_counts(vn: pl.DataFrame, en: pl.DataFrame, ent: pl.DataFrame) -> pl.DataFrame:
    """Per normalized name: hulls on the lists (valid IMO, else list entry) and MMSIs in the
    store that bear it."""
    hulls = ent.select("list_name", "entry_id", "_hull")
    on_lists = (
        en.join(hulls, on=["list_name", "entry_id"])
        .group_by(pl.col("en").alias("n"))
        .agg(pl.col("_hull").n_unique().alias("entries"))
    )
    broadcast = vn.group_by(pl.col("vn").alias("n")).agg(pl.col("mmsi").n_unique().alias("vessels"))
    return on_lists.join(broadcast, on="n", how="full", coalesce=True).fill_null(0)


def _name_candidates(
    vessels: pl.DataFrame, ent: pl.DataFrame, cur: pl.DataFrame, params: Params
) -> pl.DataFrame:
    """Every (MMSI, entry, vessel name, listed name) pair whose names are alike, with the
    flag, type and commonness evidence."""
    vn = _vessel_names(vessels, cur)
    en = _entry_names(ent)
    pairs = _similar(vn["vn"].unique().sort(), en["en"].unique().sort(), params)
    counts = _name_counts(vn, en, ent)
    meta = ent.select(
        "list_name", "entry_id", pl.col("imo").alias("entry_imo"), "imo_valid", "entry_flags",
        "entry_type",
    )  # fmt: skip
    return (
        pairs.join(vn, on="vn")
        .join(en, on="en")
        .join(meta, on=["list_name", "entry_id"])
        .join(cur.drop("vessel_name", "_last_run"), on="mmsi")
        .join(counts.rename(lambda c: f"{c}_v"), left_on="vn", right_on="n_v", how="left")
        .join(counts.rename(lambda c: f"{c}_e"), left_on="en", right_on="n_e", how="left")
        .with_columns(
            pl.max_horizontal("entries_v", "entries_e").alias("entry_name_count"),
            pl.max_horizontal("vessels_v", "vessels_e").alias("vessel_name_count"),
            agrees(pl.col("vessel_flag"), pl.col("entry_flags")).alias("flag_agrees"),
            overlaps(pl.col("vessel_types"), pl.concat_list("entry_type").list.drop_nulls()).alias(
                "type_agrees"
            ),
            (is_short_expr(pl.col("en")) | is_short_expr(pl.col("vn"))).alias("short"),
            (
                pl.col("vessel_imo_valid")
                & pl.col("imo_valid").fill_null(False)
                & (pl.col("vessel_imo") != pl.col("entry_imo"))
            ).alias("imo_conflict"),
        )
        .with_columns(
            (
                (pl.col("entry_name_count") >= params.common_min_count)
                | (pl.col("vessel_name_count") >= params.common_min_count)
                | pl.col("short")
            ).alias("common"),
        )
    )


def _name_matches(cand: pl.DataFrame) -> pl.DataFrame:
    method = (
        pl.when(pl.col("is_latest") & (pl.col("kind") != "former"))
        .then(pl.lit("name"))
        .when(pl.col("is_latest"))
        .then(pl.lit("former_name"))
        .otherwise(pl.lit("broadcast_history"))
    )
    base = method.replace_strict(CONFIDENCE, return_dtype=pl.Float64)
    # A ship renamed is often reflagged too: against a former name, a different flag is no
    # evidence either way; against the listed name it is.
    current = method == "name"
    flag, kind = pl.col("flag_agrees"), pl.col("type_agrees")
    confirmed = flag.fill_null(False) | (kind.fill_null(False) & (~current | flag.fill_null(True)))
    contradicted = current & flag.eq(False).fill_null(False) & kind.ne(True).fill_null(True)
    cand = cand.with_columns(confirmed.alias("confirmed"), contradicted.alias("contradicted"))
    confidence = (
        pl.when("imo_conflict")
        .then(CONFIDENCE["name_imo_conflict"])
        .when("confirmed")
        .then(base)
        .when(pl.col("common") | pl.col("contradicted"))
        .then(base - CONFIDENCE["common_penalty"])
        .otherwise(base - CONFIDENCE["unconfirmed_penalty"])
        .round(2)
    )
    hits = cand.with_columns(
        method.alias("method"),
        pl.col("vessel_raw").alias("vessel_value"),
        pl.col("raw").alias("entry_value"),
        confidence.alias("confidence"),
        (~pl.col("imo_conflict") & ~pl.col("confirmed")).alias("needs_review"),
    )
    return _with_detail(
        hits,
        [
            pl.col("score").cast(pl.Int32),
            pl.col("kind").alias("listed_as"),
            pl.col("first_ts").dt.to_string(TS_FORMAT).alias("broadcast_first"),
            pl.col("last_ts").dt.to_string(TS_FORMAT).alias("broadcast_last"),
            "common",
            "entry_name_count",
            "vessel_name_count",
            "short",
            "vessel_flag",
            "entry_flags",
            "flag_agrees",
            "vessel_types",
            "entry_type",
            "type_agrees",
            pl.when("imo_conflict").then(pl.col("vessel_imo")).alias("imo_conflict"),
        ],
    )


def _mmsi_matches(ent: pl.DataFrame, cur: pl.DataFrame, named: pl.DataFrame) -> pl.DataFrame:
    listed = (
        ent.select("list_name", "entry_id", pl.col("imo").alias("entry_imo"), "imo_valid", "mmsis")
        .explode("mmsis", empty_as_null=True)
        .rename({"mmsis": "mmsi"})
        .drop_nulls("mmsi")
        .unique()
    )
    corroborating = named.group_by("mmsi", "list_name", "entry_id").agg(
        pl.col("vessel_raw").first().alias("agreeing_name")
    )
    hits = (
        listed.join(cur.select("mmsi", "vessel_imo", "vessel_imo_valid"), on="mmsi")
        .join(corroborating, on=["mmsi", "list_name", "entry_id"], how="left")
        .with_columns(
            (
                pl.col("vessel_imo_valid")
                & pl.col("imo_valid").fill_null(False)
                & (pl.col("vessel_imo") != pl.col("entry_imo"))
            ).alias("imo_conflict"),
            pl.col("agreeing_name").is_not_null().alias("name_agrees"),
        )
    )
    hits = hits.with_columns(
        pl.lit("mmsi").alias("method"),
        pl.col("mmsi").cast(pl.String).alias("vessel_value"),
        pl.col("mmsi").cast(pl.String).alias("entry_value"),
        pl.when("imo_conflict")
        .then(CONFIDENCE["mmsi_imo_conflict"])
        .when("name_agrees")
        .then(CONFIDENCE["mmsi_with_name"])
        .otherwise(CONFIDENCE["mmsi"])
        .alias("confidence"),
        (pl.col("imo_conflict") | ~pl.col("name_agrees")).alias("needs_review"),
    )
    return _with_detail(
        hits,
        [
            "agreeing_name",
            pl.when("imo_conflict").then(pl.col("vessel_imo")).alias("imo_conflict"),
        ],
    )


KEEP = ["mmsi", "list_name", "entry_id", "method", "vessel_value", "entry_value", "confidence",
        "needs_review", "detail"]  # fmt: skip


def _best(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per (mmsi, list, entry): highest confidence, then the stronger method; the other
    methods that linked them are listed in detail.also."""
    order = pl.col("method").replace_strict({m: i for i, m in enumerate(METHODS)})
    ranked = rows.sort(
        [pl.col("confidence"), order, pl.col("vessel_value")], descending=[True, False, False]
    )
    key = ["mmsi", "list_name", "entry_id"]
    best = ranked.group_by(key, maintain_order=True).agg(
        pl.all().first(), pl.col("method").unique(maintain_order=True).alias("_methods")
    )
    also = pl.struct(
        pl.col("_methods").list.set_difference(pl.concat_list("method")).alias("also")
    ).struct.json_encode()
    return best.with_columns(
        pl.concat_str(
            also.str.slice(0, also.str.len_chars() - 1), pl.lit(","), pl.col("detail").str.slice(1)
        ).alias("detail")
    ).drop("_methods")


def screen(
    vessels: pl.DataFrame,
    entries: pl.DataFrame,
    params: Params | None = None,
    screened_at: datetime | None = None,
) -> Screening:
    """Match vessel identities against list entries.

    ``vessels``: identity runs as ``identity.history`` gives them (mmsi, run, name, imo,
    ship_type, first_ts, last_ts, imo_valid, flag_iso3), plus one row per MMSI that only has
    positions (run 0, nulls). ``entries``: ``list_entries`` rows with ``list_version`` and
    ``list_sha256`` of their list.
    """
    params = params or Params()
    screened_at = screened_at or datetime.now(UTC)
    cur = _current(vessels)
    ent = _entries(entries)
    named = _name_candidates(vessels, ent, cur, params)
    rows = pl.concat(
        [
            _imo_matches(vessels, ent, cur).select(KEEP),
            _mmsi_matches(ent, cur, named).select(KEEP),
            _name_matches(named).select(KEEP),
        ]
    )
    meta = ent.select(
        "list_name", "entry_id", pl.col("name").alias("entry_name"), "program", "list_version",
        "list_sha256",
    )  # fmt: skip
    matches = (
        _best(rows)
        .join(meta, on=["list_name", "entry_id"])
        .join(cur.select("mmsi", "vessel_name", "vessel_imo"), on="mmsi")
        .with_columns(pl.lit(screened_at).cast(MATCH_SCHEMA["screened_at"]).alias("screened_at"))
        .select([pl.col(c).cast(t) for c, t in MATCH_SCHEMA.items()])
        .sort(
            ["mmsi", "confidence", "list_name", "entry_id"], descending=[False, True, False, False]
        )
    )
    invalid_vessels = (
        vessels.filter(pl.col("imo").is_not_null() & ~pl.col("imo_valid").fill_null(False))
        .group_by("mmsi", "imo")
        .agg(pl.col("first_ts").min(), pl.col("last_ts").max())
        .sort("mmsi", "imo")
    )
    invalid_entries = entries.filter(
        pl.col("imo").is_not_null() & ~pl.col("imo_valid").fill_null(False)
    ).select("list_name", "entry_id", "name", "imo")
    return Screening(
        matches,
        invalid_vessels,
        invalid_entries,
        vessels=vessels["mmsi"].n_unique(),
        entries=entries.height,
    )
