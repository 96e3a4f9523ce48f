"""Flags as lists print them, turned into ISO 3166 alpha-3 codes comparable with the MID flag.

Lists name flags in their own ways: OFAC ``Democratic People's Republic of Korea``, ``St. Kitts
& Nevis``, ``Russia``; the UN ``Democratic People’s Republic of Korea``; OpenSanctions ISO
alpha-2 codes (``kp``). An AIS transmitter's flag comes from its MID as an alpha-3 code
(``identity.mid_table``). ``iso3_expr`` maps a name or code to alpha-3 through:

1. alpha-2 and alpha-3 codes, and the ITU names of ``data/mid.csv`` (full name, the name
   before its parenthesis, and territories after " - ": ``Hong Kong``, ``Cook Islands``);
2. ``ALIASES`` below: the short names the lists use that the ITU table spells otherwise.

Names are compared upper-cased, without punctuation, ``&`` read as ``AND`` and ``ST`` as
``SAINT``. Unknown names (and ``None Identified``) give null: no flag evidence either way.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from stswatch.identity import _read_table

# Short names used by OFAC, the UN and the EU that the ITU table spells otherwise.
ALIASES = {
    "RUSSIA": "RUS", "IRAN": "IRN", "NORTH KOREA": "PRK", "DPRK": "PRK", "KOREA NORTH": "PRK",
    "SOUTH KOREA": "KOR", "KOREA SOUTH": "KOR", "VIETNAM": "VNM",
    "TURKEY": "TUR", "TURKIYE": "TUR", "SYRIA": "SYR", "GABON": "GAB", "TOGO": "TGO",
    "LAOS": "LAO", "TANZANIA": "TZA", "VENEZUELA": "VEN", "BOLIVIA": "BOL", "MOLDOVA": "MDA",
    "CZECHIA": "CZE", "SLOVAKIA": "SVK", "KYRGYZSTAN": "KGZ", "MICRONESIA": "FSM",
    "CAPE VERDE": "CPV", "GAMBIA": "GMB", "BAHAMAS": "BHS", "CONGO": "COG", "IVORY COAST": "CIV",
    "COTE D IVOIRE": "CIV", "BRITISH VIRGIN ISLANDS": "VGB", "VIRGIN ISLANDS BRITISH": "VGB",
    "UNITED STATES": "USA", "US": "USA", "UNITED KINGDOM": "GBR", "UK": "GBR",
    "ARGENTINA": "ARG", "PALESTINE": "PSE", "EGYPT": "EGY", "SAUDI ARABIA": "SAU", "UAE": "ARE",
    "MACAU": "MAC", "TAIWAN": "TWN", "ESWATINI": "SWZ", "SWAZILAND": "SWZ", "BURMA": "MMR",
    "NETHERLANDS": "NLD", "HOLLAND": "NLD", "CURACAO": "CUW", "SAINT KITTS": "KNA",
    "PEOPLES REPUBLIC OF CHINA": "CHN",
}  # fmt: skip


def _key(text: pl.Expr) -> pl.Expr:
    return (
        text.str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_uppercase()
        .str.replace_all("&", " AND ")
        .str.replace_all(r"['’`]", "")
        .str.replace_all(r"[^A-Z0-9]+", " ")
        .str.strip_chars()
        .str.replace_all(r"\bST\b", "SAINT")
        .str.replace(r"^THE ", "")
    )


@cache
def country_keys() -> pl.DataFrame:
    """key (normalized name or code) -> iso3, one row per key."""
    raw = _read_table("mid.csv").filter(pl.col("iso3").is_not_null())
    territory = pl.col("country").str.split(" - ").list.get(1, null_on_oob=True)
    names = pl.concat(
        [
            raw.select(pl.col(c).alias("name"), "iso3")
            for c in ("iso2", "iso3", "country", "administration")
        ]
        + [
            raw.select(pl.col(c).str.replace(r"\s*\(.*$", "").alias("name"), "iso3")
            for c in ("country", "administration")
        ]
        + [
            raw.select(territory.alias("name"), "iso3"),
            raw.select(territory.str.replace(r"\s*\(.*$", "").alias("name"), "iso3"),
            pl.DataFrame({"name": list(ALIASES), "iso3": list(ALIASES.values())}),
        ]
    )
    keyed = names.drop_nulls().select(_key(pl.col("name")).alias("key"), "iso3")
    # A territory keeps its own code: the first code seen for a key wins, aliases last.
    return keyed.filter(pl.col("key") != "").unique("key", keep="first", maintain_order=True)


def iso3_expr(flag: pl.Expr) -> pl.Expr:
    """Alpha-3 code of a flag name or code, null when unknown (use on a column)."""
    keys = country_keys()
    return _key(flag).replace_strict(keys["key"], keys["iso3"], default=None)


def iso3(flag: str | None) -> str | None:
    """``iso3_expr`` on one value: ``iso3("St. Kitts & Nevis")`` is ``"KNA"``."""
    out = pl.select(iso3_expr(pl.lit(flag, dtype=pl.String))).item()
    return None if out is None else str(out)
