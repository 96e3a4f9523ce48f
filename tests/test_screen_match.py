"""The screening kernel (stswatch.screen.match) on the real lists.

Vessels are built as static reports, turned into identity runs by ``identity.history`` as the
store does; list entries come from the real OFAC, UN and MarineCadastre files in ../shared.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stswatch import identity
from stswatch.screen import ofac, un, watchlist
from stswatch.screen.match import CONFIDENCE, Params, screen

T0 = datetime(2024, 6, 1, tzinfo=UTC)
MC = "marinecadastre-vesselsummaryais/AIS_2022_01_03_first99999.csv.gz"
STATIC_COLUMNS = {"mmsi": pl.Int64, "ts": pl.Datetime("us", "UTC"), "imo": pl.Int64,
                  "name": pl.String, "callsign": pl.String, "ship_type": pl.Int16}  # fmt: skip


def statics(rows: list[dict]) -> pl.DataFrame:
    """Static reports; a row without ts is put at T0 plus its index in hours."""
    full = [{"ts": T0 + timedelta(hours=i), **r} for i, r in enumerate(rows)]
    return pl.DataFrame(full, schema=STATIC_COLUMNS)


def vessels(rows: list[dict], position_only: list[int] = ()) -> pl.DataFrame:
    """Identity runs as the store gives them to ``screen``."""
    hist = identity.history(statics(rows))
    extra = identity.flags(list(position_only)).select(
        "mmsi", pl.lit(0, dtype=pl.UInt32).alias("run"), "flag_iso3"
    )
    return pl.concat([hist, extra], how="diagonal_relaxed")


def entries(read, list_name: str, version: str = "2024-05-03") -> pl.DataFrame:
    return read.entries.with_columns(
        pl.lit(list_name).alias("list_name"),
        pl.lit(version).str.to_date().alias("list_version"),
        pl.lit("sha").alias("list_sha256"),
    )


@pytest.fixture(scope="module")
def ofac24(shared):
    return entries(ofac.read(shared / "ofac-sdn/sdn_2024-05-03.csv"), "ofac")


@pytest.fixture(scope="module")
def un1718(shared):
    return entries(
        un.read(shared / "un-1718-vessels/un_1718_designated_vessels_extracted.csv"), "un"
    )


@pytest.fixture(scope="module")
def marinecadastre(shared):
    """The real MarineCadastre sample as static reports (IMO 'IMO0000000' means none)."""
    raw = pl.read_csv(shared / MC, infer_schema=False)
    return raw.select(
        pl.col("MMSI").cast(pl.Int64).alias("mmsi"),
        pl.col("BaseDateTime").str.to_datetime().dt.replace_time_zone("UTC").alias("ts"),
        pl.col("IMO").str.replace("IMO", "").cast(pl.Int64).alias("imo"),
        pl.col("VesselName").alias("name"),
        pl.col("CallSign").alias("callsign"),
        pl.col("VesselType").cast(pl.Int16).alias("ship_type"),
    ).with_columns(pl.when(pl.col("imo") > 0).then(pl.col("imo")).alias("imo"))


@pytest.fixture(scope="module")
def mc_result(marinecadastre, ofac24):
    """The sample screened against OFAC 2024 (the way the store does it)."""
    return screen(identity.history(marinecadastre), ofac24)


def by_mmsi(result) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    for r in result.matches.iter_rows(named=True):
        out.setdefault(r["mmsi"], []).append(r)
    return out


def test_every_listed_imo_is_found_when_a_vessel_broadcasts_it(ofac24):
    listed = ofac24.filter(pl.col("imo").is_not_null())
    assert listed.height == 844
    rows = [
        {"mmsi": 200_000_000 + i, "imo": imo, "name": f"RENAMED {i}"}
        for i, imo in enumerate(listed["imo"].to_list())
    ]
    result = screen(vessels(rows), ofac24)
    imo_hits = result.matches.filter(pl.col("method") == "imo")
    assert imo_hits.height == 844
    want = {(200_000_000 + i, e) for i, e in enumerate(listed["entry_id"].to_list())}
    assert set(imo_hits.select("mmsi", "entry_id").iter_rows()) == want
    assert (imo_hits["confidence"] == CONFIDENCE["imo"]).all()
    assert not imo_hits["needs_review"].any()


def test_marinecadastre_sample_against_ofac_2024(shared, mc_result):
    # Independent count: IMOs in the sample's raw CSV that appear in OFAC's remarks.
    text = (shared / "ofac-sdn/sdn_2024-05-03.csv").read_bytes().decode("latin-1")
    ofac_imos = set(re.findall(r"IMO (\d{7})", text))
    with gzip.open(shared / MC, "rt") as f:
        sample = {(r["MMSI"], r["IMO"][3:]) for r in csv.DictReader(f) if r["IMO"]}
    on_list = {(int(m), int(i)) for m, i in sample if i in ofac_imos}
    assert len(on_list) == 2  # VIKTOR BAKAEV and MAGUS (listed as FREEDOM)
    result = mc_result
    imo_hits = result.matches.filter(pl.col("method") == "imo")
    assert set(imo_hits.select("mmsi", "vessel_imo").iter_rows()) == on_list
    bakaev = by_mmsi(result)[636015565]
    assert [(r["entry_name"], r["method"], r["vessel_value"]) for r in bakaev] == [
        ("VIKTOR BAKAEV", "imo", "9610810")
    ]
    # OFAC also lists its MMSI, and the name agrees.
    assert set(json.loads(bakaev[0]["detail"])["also"]) == {"name", "mmsi"}
    assert "MMSI 636015565" in text
    # MAGUS broadcasts IMO 9018464, which OFAC lists under the name FREEDOM.
    magus = by_mmsi(result)[374208000][0]
    assert (magus["entry_name"], magus["method"], magus["vessel_name"]) == (
        "FREEDOM",
        "imo",
        "MAGUS",
    )
    # The sample has IMO numbers that fail the check digit; they are reported, not matched.
    bad = result.invalid_vessel_imos
    assert bad.height > 0 and not identity.imo_valid(bad["imo"]).any()


def test_a_common_name_is_not_confirmed_without_flag_or_type(mc_result):
    # FREEDOM (OFAC: crude oil tanker, Cameroon) is the name of 20 craft in the sample.
    result = mc_result
    freedom = result.matches.filter(
        (pl.col("entry_name") == "FREEDOM") & (pl.col("method") != "imo")
    )
    assert freedom.height >= 15
    for row in freedom.iter_rows(named=True):
        detail = json.loads(row["detail"])
        assert detail["common"] and not detail["flag_agrees"]
        assert row["confidence"] <= 0.2
        # Either unconfirmed and left for review, or ruled out by a different IMO.
        assert row["needs_review"] or detail["imo_conflict"] is not None
    # A real, confirmed case in the same sample: NIRVANA, a yacht on OFAC flagged in the Cayman
    # Islands; MMSI 319156200 has the Cayman MID (319) and says it is a pleasure craft (37).
    nirvana = by_mmsi(result)[319156200][0]
    assert (nirvana["entry_name"], nirvana["method"], nirvana["needs_review"]) == (
        "NIRVANA", "name", False,
    )  # fmt: skip
    assert nirvana["confidence"] == CONFIDENCE["name"]
    # ... while the other NIRVANA in the sample (US MMSI) is not confirmed.
    others = result.matches.filter(
        (pl.col("entry_name") == "NIRVANA") & (pl.col("mmsi") != 319156200)
    )
    assert others.height == 1 and others["needs_review"].all()


def test_the_same_common_name_is_confirmed_by_flag_and_type(ofac24, marinecadastre):
    # A tanker with a Cameroon MMSI (MID 613) calling itself FREEDOM, among the 20 others.
    fake = statics([{"mmsi": 613000001, "name": "FREEDOM", "ship_type": 80}])
    result = screen(identity.history(pl.concat([marinecadastre, fake])), ofac24)
    row = by_mmsi(result)[613000001][0]
    detail = json.loads(row["detail"])
    assert detail["common"] and detail["flag_agrees"] and detail["type_agrees"]
    assert (row["method"], row["confidence"], row["needs_review"]) == ("name", 0.7, False)


@pytest.mark.parametrize(
    ("former", "entry", "confirmed"),
    [
        ("SAND SWAN", "EBANO", True),  # EBANO is Panama-flagged: the MID agrees
        ("BELEMA LIGHT CRUDE", "NAROON", False),  # Iran-flagged tankers: no evidence either
        ("SARVESTAN", "SILVIA I", False),  # way from a Panama MMSI that gives no type
    ],
)
def test_a_vessel_broadcasting_only_a_former_name_matches(ofac24, former, entry, confirmed):
    # Real f.k.a. names from OFAC remarks. No IMO, a Panama MMSI (351), no ship type.
    result = screen(vessels([{"mmsi": 351000001, "name": former}]), ofac24)
    (row,) = result.matches.to_dicts()
    assert (row["entry_name"], row["method"], row["entry_value"]) == (entry, "former_name", former)
    assert row["needs_review"] is not confirmed
    expected = CONFIDENCE["former_name"] - (0 if confirmed else CONFIDENCE["unconfirmed_penalty"])
    assert row["confidence"] == pytest.approx(expected)


@pytest.mark.parametrize("mmsi", [422000001, 351000001])  # Iran; Panama (reflagged)
def test_former_name_confirmed_by_type_even_under_another_flag(ofac24, mmsi):
    # SILVIA I: Iran-flagged crude oil tanker, formerly SARVESTAN.
    rows = [{"mmsi": mmsi, "name": "M/T SARVESTAN", "ship_type": 84}]
    (row,) = screen(vessels(rows), ofac24).matches.to_dicts()
    assert (row["entry_name"], row["method"], row["needs_review"]) == (
        "SILVIA I",
        "former_name",
        False,
    )
    assert row["confidence"] == CONFIDENCE["former_name"]


def test_listed_name_under_another_flag_and_no_type_counts_against(ofac24):
    # EBANO is a Panama-flagged general cargo ship; a US MMSI calling itself EBANO is not it.
    (row,) = screen(vessels([{"mmsi": 367000009, "name": "EBANO"}]), ofac24).matches.to_dicts()
    assert row["method"] == "name" and row["needs_review"]
    assert row["confidence"] == pytest.approx(CONFIDENCE["name"] - CONFIDENCE["common_penalty"])


def test_a_ship_that_once_broadcast_a_sanctioned_name_matches(ofac24):
    rows = [
        {"mmsi": 351000002, "name": "ARTAVIL", "ship_type": 80},  # listed name, then renamed
        {"mmsi": 351000002, "name": "OCEAN GRACE", "ship_type": 80},
        {"mmsi": 351000003, "name": "SAND SWAN"},  # former listed name, then renamed
        {"mmsi": 351000003, "name": "BLUE HERON"},
    ]
    result = by_mmsi(screen(vessels(rows), ofac24))
    artavil = result[351000002][0]
    assert (artavil["entry_name"], artavil["method"], artavil["vessel_value"]) == (
        "ARTAVIL", "broadcast_history", "ARTAVIL",
    )  # fmt: skip
    assert artavil["vessel_name"] == "OCEAN GRACE"
    detail = json.loads(artavil["detail"])
    assert detail["broadcast_first"] == "2024-06-01T00:00:00Z"
    assert detail["broadcast_last"] == "2024-06-01T00:00:00Z"
    assert result[351000003][0]["method"] == "broadcast_history"


def test_prefixes_and_spelling_do_not_hide_a_listed_name(ofac24):
    rows = [{"mmsi": 636000001, "name": "M/T VIKTOR BAKAEV", "ship_type": 80}]
    (row,) = screen(vessels(rows), ofac24).matches.to_dicts()
    assert (row["entry_name"], row["method"]) == ("VIKTOR BAKAEV", "name")
    assert json.loads(row["detail"])["score"] == 100


def test_numbered_sister_ships_stay_apart(ofac24, un1718):
    # IRAN HORMUZ 12 and IRAN HORMUZ 14 are both on OFAC; token_sort_ratio scores them 93,
    # above the threshold: only the numbers keep them apart.
    rows = [{"mmsi": 422000012, "name": "IRAN HORMUZ 12"}]
    (row,) = screen(vessels(rows), ofac24).matches.to_dicts()
    assert row["entry_name"] == "IRAN HORMUZ 12"
    assert (
        screen(vessels([{"mmsi": 422000013, "name": "IRAN HORMUZ 13"}]), ofac24).matches.height == 0
    )
    # HAO FAN 2 and HAO FAN 6 (UN) score 89: apart even at a lax threshold.
    lax = Params(name_min_score=80)
    got = screen(vessels([{"mmsi": 412000001, "name": "HAO FAN 2"}]), un1718, lax).matches
    assert got["entry_name"].to_list() == ["HAO FAN 2"]


def test_saebyol_past_mmsis_each_match(un1718):
    # UN 1718: Chong Rim 2 | Saebyol, IMO 8916293, MMSIs 445175000 | 445134000 | 445143000.
    rows = [
        {"mmsi": 445175000, "name": "SAEBYOL"},
        {"mmsi": 445134000, "name": "CHONG RIM 2"},
    ]
    result = screen(vessels(rows, position_only=[445143000]), un1718)
    got = {r["mmsi"]: r for r in result.matches.to_dicts()}
    assert set(got) == {445175000, 445134000, 445143000}
    assert {r["entry_id"] for r in got.values()} == {"8"}
    assert {r["method"] for r in got.values()} == {"mmsi"}
    # With the listed name the MMSI is corroborated; alone it is left for review.
    assert got[445175000]["confidence"] == CONFIDENCE["mmsi_with_name"]
    assert got[445134000]["confidence"] == CONFIDENCE["mmsi_with_name"]
    assert got[445143000]["confidence"] == CONFIDENCE["mmsi"] and got[445143000]["needs_review"]


def test_a_reassigned_mmsi_is_flagged_by_a_different_imo(un1718):
    # The vessel now on 445175000 broadcasts another (valid) IMO: the MMSI was reassigned.
    rows = [{"mmsi": 445175000, "imo": 9610810, "name": "SOMETHING ELSE"}]
    (row,) = screen(vessels(rows), un1718).matches.to_dicts()
    assert row["method"] == "mmsi" and row["needs_review"]
    assert row["confidence"] == CONFIDENCE["mmsi_imo_conflict"]
    assert json.loads(row["detail"])["imo_conflict"] == 9610810


def test_combining_lists_wan_heng_11_and_new_regent_are_un_only(ofac24, un1718):
    rows = [
        {"mmsi": 412000011, "imo": 8791667, "name": "WAN HENG 11"},
        {"mmsi": 412000012, "imo": 8312497, "name": "NEW REGENT"},
        {"mmsi": 445000013, "imo": 7389704, "name": "RYE SONG GANG 1"},  # on both lists
    ]
    result = screen(vessels(rows), pl.concat([ofac24, un1718], how="diagonal_relaxed"))
    imo_lists = (
        result.matches.filter(pl.col("method") == "imo")
        .group_by("mmsi")
        .agg(pl.col("list_name").sort())
        .sort("mmsi")
    )
    assert imo_lists.rows() == [
        (412000011, ["un"]), (412000012, ["un"]), (445000013, ["ofac", "un"]),
    ]  # fmt: skip


def test_imo_failing_the_check_digit_never_matches(ofac24):
    bad = 9610811  # VIKTOR BAKAEV's IMO with the wrong check digit
    result = screen(vessels([{"mmsi": 200000001, "imo": bad, "name": "XYZZY"}]), ofac24)
    assert result.matches.height == 0
    assert result.invalid_vessel_imos.select("mmsi", "imo").rows() == [(200000001, bad)]


def test_a_name_with_a_different_valid_imo_is_another_hull(ofac24):
    # Named like the listed ship, but broadcasting a different, valid IMO.
    rows = [{"mmsi": 636000002, "imo": 9339301, "name": "VIKTOR BAKAEV", "ship_type": 80}]
    result = screen(vessels(rows), ofac24)
    by_entry = {r["entry_name"]: r for r in result.matches.to_dicts()}
    assert by_entry["NS LEADER"]["method"] == "imo"
    bakaev = by_entry["VIKTOR BAKAEV"]
    assert bakaev["confidence"] == CONFIDENCE["name_imo_conflict"] and not bakaev["needs_review"]


def test_empty_inputs(ofac24):
    assert screen(vessels([]), ofac24).matches.height == 0
    assert (
        screen(vessels([{"mmsi": 636015565, "imo": 9610810}]), ofac24.head(0)).matches.height == 0
    )


@settings(max_examples=6, deadline=None)
@given(st.randoms(use_true_random=False))
def test_row_order_changes_nothing(ofac24, rnd):
    rows = [
        {"mmsi": 636015565, "imo": 9610810, "name": "VIKTOR BAKAEV", "ship_type": 80},
        {"mmsi": 351000002, "name": "ARTAVIL", "ship_type": 80},
        {"mmsi": 351000002, "name": "OCEAN GRACE", "ship_type": 80},
        {"mmsi": 351000003, "name": "SAND SWAN"},
        {"mmsi": 613000001, "name": "FREEDOM", "ship_type": 80},
        {"mmsi": 367000001, "name": "FREEDOM", "ship_type": 30},
    ]
    listed = ofac24.filter(pl.col("name").is_in(["VIKTOR BAKAEV", "ARTAVIL", "EBANO", "FREEDOM"]))
    base = statics(rows)
    shuffled = base.sample(fraction=1.0, shuffle=True, seed=rnd.randint(0, 10_000))
    now = datetime(2024, 7, 1, tzinfo=UTC)
    a = screen(identity.history(base), listed, screened_at=now).matches
    b = screen(identity.history(shuffled), listed, screened_at=now).matches
    assert a.height == 5
    assert a.equals(b)


def test_threshold_is_a_parameter(un1718):
    rows = [{"mmsi": 412000003, "name": "XIN GUANG HA"}]  # one letter short of XIN GUANG HAI
    assert screen(vessels(rows), un1718).matches.height == 1
    assert screen(vessels(rows), un1718, Params(name_min_score=99)).matches.height == 0


def test_detail_is_json_everywhere(mc_result):
    for detail in mc_result.matches["detail"]:
        assert isinstance(json.loads(detail)["also"], list)


def test_marinecadastre_sample_has_22_later_sanctioned_tankers(shared, ofac24, marinecadastre):
    # SOURCES.md: the sample holds 22 real tankers later put on the OFAC, EU, AU or NZ lists.
    files = [f"ammitto-vessel-lists/{n}" for n in (
        "eu_designated_vessels_2026-08-22.csv", "au_sanctioned_vessels.csv",
        "nz_sanctioned_vessels.csv",
    )]  # fmt: skip
    text = (shared / "ofac-sdn/sdn_2024-05-03.csv").read_bytes().decode("latin-1")
    listed = {int(i) for i in re.findall(r"IMO (\d{7})", text)}
    for f in files:
        listed |= {int(r[0]) for r in list(csv.reader(io.StringIO((shared / f).read_text())))[1:]}
    with gzip.open(shared / MC, "rt") as f:
        sample = {(int(r["MMSI"]), int(r["IMO"][3:])) for r in csv.DictReader(f) if r["IMO"]}
    expected = {(m, i) for m, i in sample if i in listed}
    assert len(expected) == 22
    all_lists = pl.concat(
        [ofac24] + [entries(watchlist.read(shared / f), f) for f in files], how="diagonal_relaxed"
    )
    result = screen(identity.history(marinecadastre), all_lists)
    hits = result.matches.filter(pl.col("method") == "imo")
    assert set(hits.select("mmsi", "vessel_imo").iter_rows()) == expected
