"""Vessel names and flags made comparable (stswatch.screen.normalize, .countries, .evidence)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stswatch.screen.countries import iso3
from stswatch.screen.evidence import ais_type_category, list_type_category
from stswatch.screen.normalize import (
    is_short_expr,
    normalize_name,
    normalize_name_expr,
    numbers_expr,
)


@pytest.mark.parametrize(
    "raw",
    ["M/T VIKTOR BAKAEV", "MT VIKTOR BAKAEV", "M.T. Viktor Bakaev", "mv  viktor   bakaev",
     "M/V VIKTOR-BAKAEV", "VIKTOR BAKAEV "],
)  # fmt: skip
def test_ship_prefixes_case_punctuation_and_spacing_do_not_count(raw):
    assert normalize_name(raw) == "VIKTOR BAKAEV"


@pytest.mark.parametrize(
    "raw",
    ["BILLIONS NO. 18", "BILLIONS NO.18", "BILLIONS NO 18", "Billions No18", "BILLIONS Nº 18",
     "BILLIONS N° 18", "BILLIONS #18", "BILLIONS 18"],
)  # fmt: skip
def test_number_marks_before_a_number_are_dropped(raw):
    # BILLIONS NO. 18 is on the UN 1718 list; AIS names write the number every way.
    assert normalize_name(raw) == "BILLIONS 18"


def test_no_as_a_word_stays():
    assert normalize_name("NO LIMIT") == "NO LIMIT"
    assert normalize_name("NOVA") == "NOVA"


def test_non_ascii_is_transliterated():
    assert normalize_name("Çapa Ñandú") == "CAPA NANDU"
    assert normalize_name("Øresund Straße") == "ORESUND STRASSE"
    assert normalize_name("Democratic People’s") == "DEMOCRATIC PEOPLES"
    assert normalize_name("SÃO GONÇALO") == "SAO GONCALO"
    # Scripts without a Latin decomposition pass through (upper-cased, marks dropped).
    assert normalize_name("Пётр") == "ПЕТР"


def test_prefix_alone_is_a_name_and_blank_is_null():
    assert normalize_name("MS") == "MS"
    assert normalize_name("   ") is None
    assert normalize_name(None) is None
    assert normalize_name("@@@") is None


def test_apostrophes_join_and_other_punctuation_separates():
    assert normalize_name("O'NEIL") == "ONEIL"
    assert normalize_name("BALT.ISSLEDOVATEL") == "BALT ISSLEDOVATEL"


def test_numbers_signature_tells_numbered_sisters_apart():
    names = ["HAO FAN 2", "HAO FAN 6", "HAO FAN 002", "ARGO II", "ARGO 2", "MARIA V", "V", "ARK"]
    df = pl.DataFrame({"n": names}).select(numbers_expr(normalize_name_expr(pl.col("n"))))
    assert df.to_series().to_list() == ["2", "6", "2", "2", "2", "5", "", ""]


def test_short_names():
    df = pl.DataFrame({"n": ["ARK", "KOTI", "HEBE 1", "SAKHALIN 9", "S K Y"]})
    assert df.select(is_short_expr(pl.col("n"))).to_series().to_list() == [
        True, True, False, False, True,
    ]  # fmt: skip


@settings(max_examples=40)
@given(st.text(max_size=30))
def test_normalizing_is_idempotent(text):
    once = normalize_name(text)
    assert normalize_name(once) == once


@pytest.mark.parametrize(
    ("printed", "code"),
    [
        ("Democratic People's Republic of Korea", "PRK"),  # OFAC
        ("Democratic People’s Republic of Korea", "PRK"),  # UN, curly apostrophe
        ("kp", "PRK"),  # OpenSanctions
        ("Iran", "IRN"),
        ("Russia", "RUS"),
        ("St. Kitts & Nevis", "KNA"),
        ("St. Vincent and the Grenadines", "VCT"),
        ("Hong Kong", "HKG"),
        ("Cook Islands", "COK"),
        ("Vietnam", "VNM"),
        ("Turkey", "TUR"),
        ("Gabon", "GAB"),
        ("British Virgin Islands", "VGB"),
        ("None Identified", None),
        (None, None),
    ],
)
def test_flags_as_lists_print_them(printed, code):
    assert iso3(printed) == code


def test_every_flag_on_the_real_lists_is_understood(shared):
    from stswatch.screen import ofac, un

    flags = set()
    for f in ("ofac-sdn/sdn_2024-05-03.csv", "ofac-sdn/sdn_2021-08-20.csv"):
        e = ofac.read(shared / f).entries
        flags |= set(e["flags"].list.explode(empty_as_null=True).drop_nulls())
        flags |= set(e["former_flags"].list.explode(empty_as_null=True).drop_nulls())
    e = un.read(shared / "un-1718-vessels/un_1718_designated_vessels_extracted.csv").entries
    flags |= set(e["flags"].list.explode(empty_as_null=True).drop_nulls())
    assert len(flags) > 40
    assert sorted(f for f in flags if iso3(f) is None) == []


def test_ship_type_categories():
    types = pl.Series(["Crude Oil Tanker", "LPG Tanker", "Offshore Tug/Supply Ship", "Yacht",
                       "Fishing Vessel", "General Cargo", "Roll-on Roll-off", "Frigate",
                       "Research Vessel", None])  # fmt: skip
    got = pl.select(list_type_category(pl.lit(types))).to_series().to_list()
    assert got == ["tanker", "tanker", "tug", "pleasure", "fishing", "cargo", "cargo",
                   "military", None, None]  # fmt: skip
    codes = pl.Series([80, 89, 30, 31, 52, 37, 70, 60, 90, None])
    got = pl.select(ais_type_category(pl.lit(codes))).to_series().to_list()
    assert got == ["tanker", "tanker", "fishing", "tug", "tug", "pleasure", "cargo",
                   "passenger", None, None]  # fmt: skip
