"""Vessel names made comparable: one normal form for list names and broadcast names alike.

``normalize_name_expr`` is a Polars expression (vectorized; the scalar ``normalize_name`` runs
the same expression on one value). In order:

1. Transliterate: Unicode NFKD, combining marks dropped (``Ç`` -> ``C``), and the Latin
   letters NFKD leaves whole spelled out (``Ø`` -> ``O``, ``Æ`` -> ``AE``, ``ß`` -> ``SS``).
   Other scripts (Cyrillic, Hangul, Han) pass through unchanged.
2. Upper case.
3. "Number" marks before a number dropped: ``NO.3``, ``NO 3``, ``No3``, ``Nº 3``, ``N° 3``,
   ``#3`` all become ``3``, so ``BILLIONS NO. 18`` = ``BILLIONS 18``.
4. Apostrophes removed (``O'NEIL`` -> ``ONEIL``); all other punctuation becomes a space.
5. Whitespace collapsed and trimmed.
6. A leading ship prefix dropped when a name follows it: ``MV``, ``MT``, ``MS``, ``SS``,
   ``FV``, ``MY`` in any spelling (``M/T``, ``M.V.``, ``M/V``), so ``M/T VIKTOR BAKAEV`` =
   ``VIKTOR BAKAEV``.

``compact_expr`` (spaces removed: ``RANAM 3`` = ``RA NAM 3``) and ``numbers_expr`` (the
numbers in a name, Roman numerals I-XX read as numbers, sorted: ``IRAN HORMUZ 12`` -> ``12``,
``ARGO II`` -> ``2``) help the matcher: names that carry different numbers are different
ships however similar the letters (``HAO FAN 2`` is not ``HAO FAN 6``).
"""

from __future__ import annotations

import polars as pl

# Letters NFKD does not decompose, spelled the way registers transliterate them.
_LETTERS = {
    "Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Đ": "D", "đ": "d",
    "Ł": "L", "ł": "l", "Þ": "TH", "þ": "th", "ß": "SS", "ı": "i", "Ħ": "H", "ħ": "h",
}  # fmt: skip

# Prefixes that say what kind of ship it is, not what it is called (after punctuation has
# become spaces: "M/T" is "M T"). Motor vessel/tanker/ship, steamship, fishing vessel, yacht.
SHIP_PREFIXES = ("MV", "MT", "MS", "SS", "FV", "MY", "M V", "M T", "M S", "F V", "M Y")

_ROMAN_NUMERALS = "I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI XVII XVIII XIX XX"
_ROMAN = {r: str(i) for i, r in enumerate(_ROMAN_NUMERALS.split(" "), 1)}

# Names this short (letters and digits, spaces not counted) are too common to match alone.
SHORT_NAME_MAX_CHARS = 4


def normalize_name_expr(name: pl.Expr) -> pl.Expr:
    """Normal form of vessel names (see the module docstring); empty becomes null."""
    prefixes = "|".join(p.replace(" ", r"\s") for p in SHIP_PREFIXES)
    return (
        name.cast(pl.String)
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.replace_many(list(_LETTERS), list(_LETTERS.values()))
        .str.to_uppercase()
        .str.replace_all(r"(?:\bNO|\bN[º°]|#)\s*[.:]?\s*(\d)", " $1")
        .str.replace_all(r"['`´’‘]", "")
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
        .str.replace(rf"^(?:{prefixes})\s+(\S)", "$1")
        .replace("", None)
    )


def normalize_name(name: str | None) -> str | None:
    """``normalize_name_expr`` on one value: ``normalize_name("M/T Viktor Bakaev")`` is
    ``"VIKTOR BAKAEV"``."""
    out = pl.select(normalize_name_expr(pl.lit(name, dtype=pl.String))).item()
    return None if out is None else str(out)


def compact_expr(normalized: pl.Expr) -> pl.Expr:
    """A normalized name without spaces."""
    return normalized.str.replace_all(" ", "")


def numbers_expr(normalized: pl.Expr) -> pl.Expr:
    """The numbers in a normalized name as a sorted, space-separated string ("" for none).

    Digit runs lose their leading zeros; Roman numerals I-XX count when the name has more
    than one word (``MARIA V`` -> ``5``, but a name that is only ``V`` stays a name).
    """
    tokens = normalized.str.split(" ")
    several = tokens.list.len() > 1
    numbers = tokens.list.eval(
        pl.when(pl.element().str.contains(r"^\d+$"))
        .then(pl.element().str.strip_chars_start("0").replace("", "0"))
        .otherwise(pl.element().replace_strict(_ROMAN, default=None))
    )
    digits_only = tokens.list.eval(
        pl.when(pl.element().str.contains(r"^\d+$"))
        .then(pl.element().str.strip_chars_start("0").replace("", "0"))
        .otherwise(None)
    )
    chosen = pl.when(several).then(numbers).otherwise(digits_only)
    return chosen.list.drop_nulls().list.sort().list.join(" ").fill_null("")


def is_short_expr(normalized: pl.Expr) -> pl.Expr:
    """True where the name has at most ``SHORT_NAME_MAX_CHARS`` letters and digits."""
    return compact_expr(normalized).str.len_chars() <= SHORT_NAME_MAX_CHARS
