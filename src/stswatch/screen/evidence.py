"""Side evidence for name matches: does the flag agree, does the kind of ship agree?

A name match between a broadcast name and a listed name is only a lead. Two facts can back
it: the *flag* (the country of the MMSI's MID, against the list's flag, other flags and
former flags) and the *kind of ship* (the AIS ship-type code, against the list's vessel type
read into the same coarse categories below). Each is True, False, or null when either side
is unknown.

Categories (AIS codes per ITU-R M.1371 table 53; list words matched in the vessel type, first
category that matches wins):

| category | AIS codes | list vessel type containing |
|---|---|---|
| tanker | 80-89 | TANKER, LPG, LNG, GAS CARRIER |
| fishing | 30 | FISHING, TRAWLER, FISH |
| tug | 31, 32, 52 | TUG, TOWING |
| pleasure | 36, 37 | YACHT, PLEASURE, SAILING |
| military | 35 | FRIGATE, NAVAL, WARSHIP, MILITARY, PATROL |
| passenger | 60-69 | PASSENGER, FERRY, CRUISE |
| cargo | 70-79 | CARGO, BULK, CONTAINER, RO RO, ROLL ON, REEFER, REFRIGERATED, CAR CARRIER, VEHICLE |
"""

from __future__ import annotations

import polars as pl

TYPE_WORDS: list[tuple[str, str]] = [
    ("tanker", r"TANKER|\bLPG\b|\bLNG\b|GAS CARRIER"),
    ("fishing", r"FISH|TRAWLER"),
    ("tug", r"\bTUG|TOWING"),
    ("pleasure", r"YACHT|PLEASURE|SAILING"),
    ("military", r"FRIGATE|NAVAL|WARSHIP|MILITARY|PATROL"),
    ("passenger", r"PASSENGER|FERRY|CRUISE"),
    ("cargo", r"CARGO|BULK|CONTAINER|RO[ -]?RO|ROLL[ -]ON|REEFER|REFRIGERATED|CAR CARRIER|VEHICLE"),
]


def list_type_category(vessel_type: pl.Expr) -> pl.Expr:
    """Category of a list's vessel type text (null when none applies)."""
    text = vessel_type.str.to_uppercase()
    expr = pl.lit(None, dtype=pl.String)
    for category, pattern in reversed(TYPE_WORDS):
        expr = pl.when(text.str.contains(pattern)).then(pl.lit(category)).otherwise(expr)
    return expr


def ais_type_category(ship_type: pl.Expr) -> pl.Expr:
    """Category of an AIS ship-type code (null for the codes no list type maps to)."""
    t = ship_type.cast(pl.Int32)
    return (
        pl.when(t.is_between(80, 89))
        .then(pl.lit("tanker"))
        .when(t == 30)
        .then(pl.lit("fishing"))
        .when(t.is_in([31, 32, 52]))
        .then(pl.lit("tug"))
        .when(t.is_in([36, 37]))
        .then(pl.lit("pleasure"))
        .when(t == 35)
        .then(pl.lit("military"))
        .when(t.is_between(60, 69))
        .then(pl.lit("passenger"))
        .when(t.is_between(70, 79))
        .then(pl.lit("cargo"))
        .otherwise(None)
    )


def agrees(value: pl.Expr, allowed: pl.Expr) -> pl.Expr:
    """True when ``value`` is in the list ``allowed``, False when not, null when either side is
    unknown (null value, null or empty list)."""
    known = value.is_not_null() & allowed.is_not_null() & (allowed.list.len() > 0)
    return pl.when(known).then(allowed.list.contains(value)).otherwise(None)


def overlaps(values: pl.Expr, allowed: pl.Expr) -> pl.Expr:
    """``agrees`` for a list of values: True when any of them is allowed."""
    known = (
        values.is_not_null()
        & (values.list.len() > 0)
        & allowed.is_not_null()
        & (allowed.list.len() > 0)
    )
    return pl.when(known).then(values.list.set_intersection(allowed).list.len() > 0).otherwise(None)
