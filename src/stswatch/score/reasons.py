"""Reasons: what a factor found, in one shape for every factor.

A *reason* is one factor found for one event: ``event_id``, ``factor``, ``mmsi`` (the party
it is about; null when it is about the event itself, e.g. night), ``weight`` (the factor's
points at full strength, from ``Params``), ``strength`` (0-1, how fully it applies),
``points`` (weight x strength), ``practice`` (the deceptive shipping practice of the May 2020
US advisory it evidences; null for ``listed_party``, which is who, not what) and ``detail``
(JSON with the numbers). ``FACTORS`` lists the factors; *parties* of an event are its
``mmsi`` and ``other_mmsi``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from stswatch.score import params as P
from stswatch.score.params import Params

ISO = "%Y-%m-%dT%H:%M:%SZ"

REASON_SCHEMA = pl.Schema(
    {
        "event_id": pl.Utf8(),
        "factor": pl.Utf8(),
        "mmsi": pl.Int64(),
        "weight": pl.Float64(),
        "strength": pl.Float64(),
        "points": pl.Float64(),
        "practice": pl.Utf8(),
        "detail": pl.Utf8(),
    }
)


@dataclass(frozen=True)
class Factor:
    name: str
    practice: str | None
    weight_field: str  # the Params field holding its weight
    summary: str


FACTORS: dict[str, Factor] = {
    f.name: f
    for f in (
        Factor("listed_party", None, "listed_party_weight", "a party matches a list entry"),
        Factor("dprk_port_visit", P.VOYAGE, "dprk_port_visit_weight", "a party visited a DPRK port"),
        Factor("dark_near_encounter", P.AIS, "dark_near_encounter_weight", "a party went dark around an encounter"),
        Factor("spoofing", P.AIS, "spoofing_weight", "a party's AIS positions were spoofed"),
        Factor("flag_hopping", P.FLAGS, "flag_hopping_weight", "a party's IMO moved to an MMSI of another flag"),
        Factor("identity_change", P.IDENTIFICATION, "identity_change_weight", "a party changed the identity it broadcasts"),
        Factor("area_of_interest", P.STS, "area_of_interest_weight", "the event lies in an area of interest"),
        Factor("repeat_encounters", P.STS, "repeat_encounters_weight", "the same pair met again"),
        Factor("flag_mismatch", P.FLAGS, "flag_mismatch_weight", "a party's call sign is of another flag than its MID"),
        Factor("night", P.STS, "night_weight", "the encounter was at night"),
        Factor("tanker", P.STS, "tanker_weight", "a tanker is involved"),
    )
}  # fmt: skip


def empty_reasons() -> pl.DataFrame:
    return pl.DataFrame(schema=REASON_SCHEMA)


def reasons(df: pl.DataFrame, factor: str, params: Params, detail: pl.Expr) -> pl.DataFrame:
    """Reason rows from ``df`` (event_id, mmsi or none, strength, and what ``detail`` reads)."""
    f = FACTORS[factor]
    weight = float(getattr(params, f.weight_field))
    if df.height == 0:
        return empty_reasons()
    mmsi = pl.col("mmsi") if "mmsi" in df.columns else pl.lit(None, pl.Int64)
    strength = pl.col("strength").cast(pl.Float64).clip(0.0, 1.0)
    out = df.select(
        pl.col("event_id"),
        pl.lit(factor).alias("factor"),
        mmsi.cast(pl.Int64).alias("mmsi"),
        pl.lit(weight).alias("weight"),
        strength.alias("strength"),
        (strength * weight).clip(0.0, 100.0).alias("points"),
        pl.lit(f.practice, pl.Utf8).alias("practice"),
        detail.struct.json_encode().alias("detail"),
    ).filter(pl.col("points") > 0)
    return out.cast(dict(REASON_SCHEMA))  # type: ignore[arg-type]


def parties(events: pl.DataFrame) -> pl.DataFrame:
    """event_id, type, subtype, mmsi (the party), start, end: one row per party of an event."""
    cols = ["event_id", "type", "subtype", "start", "end"]
    return pl.concat(
        [
            events.select(*cols, pl.col("mmsi")),
            events.filter(pl.col("other_mmsi").is_not_null()).select(
                *cols, pl.col("other_mmsi").alias("mmsi")
            ),
        ]
    ).unique(["event_id", "mmsi"], keep="first", maintain_order=True)


def _iso(col: str) -> pl.Expr:
    return pl.col(col).dt.to_string(ISO)


def iso(col: str) -> pl.Expr:
    return pl.col(col).dt.to_string(ISO)
