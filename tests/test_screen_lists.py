"""List loaders on the real lists in ../shared/data, and on hand-written fixtures of the two
layouts of which no real copy is available (UN consolidated XML, OpenSanctions FtM JSON)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from stswatch.errors import InputError, UsageError
from stswatch.screen import lists, ofac, opensanctions, un, watchlist
from stswatch.screen.base import ENTRY_SCHEMA

OFAC_2024 = "ofac-sdn/sdn_2024-05-03.csv"
OFAC_2021 = "ofac-sdn/sdn_2021-08-20.csv"
UN_CSV = "un-1718-vessels/un_1718_designated_vessels_extracted.csv"
AMMITTO = "ammitto-vessel-lists"

# HAND-WRITTEN fixture in the layout of the UN Security Council consolidated list XML
# (scsanctions.un.org consolidated.xml: CONSOLIDATED_LIST/ENTITIES/ENTITY with DATAID,
# FIRST_NAME, UN_LIST_TYPE, REFERENCE_NUMBER, LISTED_ON, COMMENTS1, ENTITY_ALIAS, ...). No real
# copy is in ../shared. The vessel values are taken from the real 1718 Designated Vessels List
# (SAEBYOL a.k.a. CHONG RIM 2, IMO 8916293, three MMSIs); the DATAIDs, reference numbers and the
# company's IMO number are made up. It checks that companies with an IMO company number,
# individuals and entities without IMO are not read as vessels.
UN_XML = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:noNamespaceSchemaLocation="https://scsanctions.un.org/resources/xml/sc-sanctions.xsd"
    dateGenerated="2024-05-02T19:00:04.937Z">
  <INDIVIDUALS>
    <INDIVIDUAL>
      <DATAID>6908001</DATAID><VERSIONNUM>1</VERSIONNUM>
      <FIRST_NAME>KIM</FIRST_NAME><SECOND_NAME>EXAMPLE</SECOND_NAME>
      <UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPi.999</REFERENCE_NUMBER>
      <LISTED_ON>2017-06-02</LISTED_ON>
      <COMMENTS1>Captain of a vessel, IMO 8916293 mentioned for illustration.</COMMENTS1>
    </INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES>
    <ENTITY>
      <DATAID>6908002</DATAID><VERSIONNUM>1</VERSIONNUM>
      <FIRST_NAME>SAEBYOL</FIRST_NAME>
      <UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPe.V08</REFERENCE_NUMBER>
      <LISTED_ON>2017-06-21</LISTED_ON>
      <COMMENTS1>Chemical Tanker. IMO: 8916293. MMSI: 445175000; MMSI: 445134000; MMSI: 445143000. Flag: Democratic People's Republic of Korea. Call sign: HMYF7.</COMMENTS1>
      <LIST_TYPE><VALUE>UN List</VALUE></LIST_TYPE>
      <LAST_DAY_UPDATED><VALUE>2018-03-30</VALUE></LAST_DAY_UPDATED>
      <ENTITY_ALIAS><QUALITY>f.k.a.</QUALITY><ALIAS_NAME>CHONG RIM 2</ALIAS_NAME></ENTITY_ALIAS>
      <ENTITY_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>SAE BYOL</ALIAS_NAME></ENTITY_ALIAS>
      <ENTITY_ADDRESS><COUNTRY/></ENTITY_ADDRESS>
    </ENTITY>
    <ENTITY>
      <DATAID>6908003</DATAID><VERSIONNUM>1</VERSIONNUM>
      <FIRST_NAME>OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM)</FIRST_NAME>
      <UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPe.029</REFERENCE_NUMBER>
      <LISTED_ON>2014-07-28</LISTED_ON>
      <COMMENTS1>IMO Number: 1790183. Operator of vessels.</COMMENTS1>
      <ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>OMM</ALIAS_NAME></ENTITY_ALIAS>
    </ENTITY>
    <ENTITY>
      <DATAID>6908004</DATAID><VERSIONNUM>1</VERSIONNUM>
      <FIRST_NAME>KOREA MINING DEVELOPMENT TRADING CORPORATION</FIRST_NAME>
      <UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPe.001</REFERENCE_NUMBER>
      <LISTED_ON>2009-04-24</LISTED_ON>
    </ENTITY>
  </ENTITIES>
</CONSOLIDATED_LIST>
"""

# HAND-WRITTEN fixture in the OpenSanctions FollowTheMoney JSON-lines layout (one entity per
# line: id, schema, properties as lists of strings, datasets). No real export is in ../shared.
# Vessel values are the real OFAC/EU listing of VIKTOR BAKAEV and NS LEADER; ids are made up.
FTM_LINES = [
    {"id": "ofac-vessel-1", "schema": "Vessel", "caption": "VIKTOR BAKAEV",
     "properties": {"name": ["VIKTOR BAKAEV"], "imoNumber": ["IMO 9610810"],
                    "mmsi": ["636015565"], "flag": ["lr"], "pastFlags": ["ru"],
                    "type": ["Crude Oil Tanker"], "callSign": ["D5BN6"],
                    "previousName": ["SCF SAKHALIN"], "alias": ["V. BAKAEV"],
                    "programId": ["RUSSIA-EO14024"]},
     "datasets": ["us_ofac_sdn"], "first_seen": "2024-02-23T00:00:00"},
    {"id": "ofac-company-1", "schema": "Company", "caption": "NS LEADER SHIPPING INCORPORATED",
     "properties": {"name": ["NS LEADER SHIPPING INCORPORATED"]}, "datasets": ["us_ofac_sdn"]},
    {"id": "eu-vessel-2", "schema": "Vessel", "caption": "NS LEADER",
     "properties": {"name": ["NS LEADER"], "imoNumber": ["9339301"]},
     "datasets": ["eu_fsf", "us_ofac_sdn"]},
    {"id": "x-vessel-3", "schema": "Vessel", "caption": "UNNAMED",
     "properties": {"name": ["SOME BARGE"], "mmsi": ["366000001", "366000002"],
                    "sanctions": [{"schema": "Sanction",
                                   "properties": {"program": ["Test programme"]}}]},
     "datasets": ["x"]},
]  # fmt: skip


def _ofac_vessels(path: Path) -> list[list[str]]:
    """Independent reading of the OFAC legacy CSV: the csv module, rows typed 'vessel'."""
    text = path.read_bytes().decode("latin-1").rstrip("\x1a")
    return [row for row in csv.reader(io.StringIO(text)) if len(row) > 2 and row[2] == "vessel"]


@pytest.fixture(scope="module")
def ofac_2024(shared):
    return ofac.read(shared / OFAC_2024)


@pytest.mark.parametrize(
    ("path", "vessels", "with_imo", "with_mmsi"),
    [(OFAC_2024, 851, 844, 154), (OFAC_2021, 407, 401, 51)],
)
def test_ofac_counts_match_sources_and_an_independent_count(
    shared, path, vessels, with_imo, with_mmsi
):
    rows = _ofac_vessels(shared / path)
    independent = (
        len(rows),
        sum(bool(re.search(r"\bIMO\s+\d", r[11])) for r in rows),
        sum("MMSI " in r[11] for r in rows),
    )
    assert independent == (vessels, with_imo, with_mmsi)  # SOURCES.md section (c)
    e = ofac.read(shared / path).entries
    assert (e.height, e["imo"].is_not_null().sum(), (e["mmsis"].list.len() > 0).sum()) == (
        vessels, with_imo, with_mmsi,
    )  # fmt: skip
    imos = {int(m) for r in rows for m in re.findall(r"\bIMO\s+(\d+)", r[11])}
    assert set(e["imo"].drop_nulls()) == imos
    assert set(e.schema.items()) == set(ENTRY_SCHEMA.items())


def test_ofac_remarks_parsed(ofac_2024):
    e = ofac_2024.entries
    by_id = {r["entry_id"]: r for r in e.iter_rows(named=True)}
    artavil = by_id["15036"]
    assert (artavil["name"], artavil["imo"], artavil["mmsis"]) == ("ARTAVIL", 9187629, [572469210])
    assert artavil["former_names"] == ["ALPHA"]
    # "Former Vessel Flag None Identified" says nothing and is dropped.
    assert artavil["former_flags"] == ["Malta", "Tuvalu", "Tanzania"]
    assert artavil["flags"] == ["Iran"] and artavil["program"] == "IRAN"
    sea_star = by_id["15076"]
    assert sea_star["aliases"] == ["YARD NO. 1220 SHANGHAI WAIGAOQIAO", "SEASTAR III"]
    assert sea_star["former_names"] == ["SAFE", "CARNATION", "SUNSHINE"]
    progres = by_id["23423"]  # Other Vessel Flag / Call Sign go after the main ones
    assert progres["flags"] == ["Malta", "Tanzania", "Trinidad and Tobago"]
    assert progres["call_signs"] == ["9HB4398", "5IM713"]
    assert by_id["25279"]["program"] == "IRAN; NPWMD; IFSR"
    assert by_id["47371"]["imo"] == 9339301  # "Identification Number IMO", not "Vessel ..."
    # An unlabelled registration number is kept aside, not read as an IMO number.
    ryong = by_id["17104"]
    assert ryong["imo"] is None
    assert json.loads(ryong["extra"])["registration_ids"] == ["8606173"]
    # Counts of the quoted names in the remarks, counted independently.
    assert e["former_names"].list.len().sum() == 52 and e["aliases"].list.len().sum() == 8
    assert ofac_2024.version == date(2024, 5, 3) and ofac_2024.version_source == "file name"


def test_ofac_2021_imo_that_fails_the_check_digit_is_kept_and_flagged(shared):
    e = ofac.read(shared / OFAC_2021).entries
    bad = e.filter(pl.col("imo").is_not_null() & ~pl.col("imo_valid"))
    assert bad.select("name", "imo").rows() == [("BONU 5", 15411)]


def test_un_csv_reads_the_1718_list(shared):
    e = un.read(shared / UN_CSV).entries
    assert e.height == 59
    assert e["imo"].is_not_null().sum() == 58
    assert (e["mmsis"].list.len() > 0).sum() == 26
    assert (e["call_signs"].list.len() > 0).sum() == 22
    saebyol = e.filter(pl.col("imo") == 8916293).row(0, named=True)
    assert saebyol["name"] == "Chong Rim 2" and saebyol["aliases"] == ["Saebyol"]
    assert saebyol["mmsis"] == [445175000, 445134000, 445143000]
    assert saebyol["listed_on"] == date(2017, 6, 21) and saebyol["program"] == "UN 1718 (DPRK)"
    # "1:445498000" is the extraction's remnant of the list's "MMSI: 1: 445498000" (checked
    # against the HTML of the list in ../shared); it must read as the MMSI.
    assert e.filter(pl.col("name") == "Mi Rim")["mmsis"].to_list() == [[445498000]]
    # HAO FAN 6 was designated twice; the first date counts.
    assert e.filter(pl.col("name") == "HAO FAN 6")["listed_on"].to_list() == [date(2017, 10, 3)]
    assert e.filter(pl.col("imo").is_null())["name"].to_list() == ["MIN NING DE YOU 078"]


def test_un_xml_layout(tmp_path):
    path = tmp_path / "consolidated.xml"
    path.write_text(UN_XML)
    assert lists.sniff_format(path) == "un"
    read = un.read(path)
    assert read.version == date(2024, 5, 2) and read.version_source == "dateGenerated"
    e = read.entries
    assert e["name"].to_list() == ["SAEBYOL"]  # not the company, person or corporation
    row = e.row(0, named=True)
    assert row["entry_id"] == "KPe.V08" and row["program"] == "DPRK"
    assert row["imo"] == 8916293 and row["imo_valid"]
    assert row["mmsis"] == [445175000, 445134000, 445143000]
    assert row["former_names"] == ["CHONG RIM 2"] and row["aliases"] == ["SAE BYOL"]
    assert row["flags"] == ["Democratic People's Republic of Korea"]
    assert row["call_signs"] == ["HMYF7"] and row["listed_on"] == date(2017, 6, 21)


def test_un_xml_that_is_not_the_consolidated_list(tmp_path):
    path = tmp_path / "other.xml"
    path.write_text("<?xml version='1.0'?><sdnList></sdnList>")
    with pytest.raises(InputError, match="CONSOLIDATED_LIST"):
        un.read(path)


def test_opensanctions_vessels(tmp_path):
    path = tmp_path / "entities.ftm.json"
    path.write_text("\n".join(json.dumps(e) for e in FTM_LINES) + "\n")
    assert lists.sniff_format(path) == "opensanctions"
    e = opensanctions.read(path).entries.sort("entry_id")
    assert e["entry_id"].to_list() == ["eu-vessel-2", "ofac-vessel-1", "x-vessel-3"]
    bakaev = e.row(1, named=True)
    assert (bakaev["imo"], bakaev["mmsis"], bakaev["flags"]) == (9610810, [636015565], ["lr"])
    assert bakaev["former_names"] == ["SCF SAKHALIN"] and bakaev["aliases"] == ["V. BAKAEV"]
    assert bakaev["former_flags"] == ["ru"] and bakaev["program"] == "RUSSIA-EO14024"
    assert e.row(0, named=True)["program"] == "eu_fsf; us_ofac_sdn"
    barge = e.row(2, named=True)
    assert barge["imo"] is None and barge["mmsis"] == [366000001, 366000002]
    assert barge["program"] == "Test programme"


def test_opensanctions_broken_line_names_the_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(FTM_LINES[0]) + '\n{"schema": "Vessel", broken\n')
    with pytest.raises(InputError, match="line 2"):
        opensanctions.read(path)


def test_plain_watchlist_any_subset_of_columns(tmp_path):
    path = tmp_path / "watch.csv"
    path.write_text(
        "imo,mmsi,name,note\n"
        "IMO 9610810,,Viktor Bakaev,tanker of interest\n"
        ",445175000|445134000,,DPRK MMSIs\n"
        "9339301,,,\n"
    )
    assert lists.sniff_format(path) == "csv"
    e = watchlist.read(path).entries
    assert e["name"].to_list() == ["Viktor Bakaev", "MMSI 445175000", "IMO 9339301"]
    assert e["imo"].to_list() == [9610810, None, 9339301]
    assert e["mmsis"].to_list() == [None, [445175000, 445134000], None]
    assert e["entry_id"].to_list() == ["1", "2", "3"]
    assert e["remarks"].to_list() == ["tanker of interest", "DPRK MMSIs", None]


def test_watchlist_without_known_columns(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("vessel_id,colour\n1,red\n")
    with pytest.raises(InputError, match="none of the columns imo, mmsi, name"):
        watchlist.read(path)
    with pytest.raises(InputError, match="Cannot tell which list format"):
        lists.sniff_format(path)


@pytest.mark.parametrize(
    ("name", "entries", "invalid"),
    [
        ("eu_designated_vessels_2026-08-22.csv", 597, 0),
        ("au_sanctioned_vessels.csv", 261, 1),  # VOKKI 9434980 fails the check digit
        ("nz_sanctioned_vessels.csv", 210, 0),
    ],
)
def test_eu_au_nz_lists_map_by_header(shared, name, entries, invalid):
    path = shared / AMMITTO / name
    assert lists.sniff_format(path) == "csv"
    e = watchlist.read(path).entries
    raw = pl.read_csv(path, infer_schema=False)
    assert e.height == entries == raw.height
    assert e["imo"].cast(pl.String).to_list() == raw["imo_number"].to_list()
    assert (~e["imo_valid"]).sum() == invalid
    assert e["listed_on"].null_count() == 0


def test_eu_former_names_written_into_the_name(shared):
    e = watchlist.read(shared / AMMITTO / "eu_designated_vessels_2026-08-22.csv").entries
    raw = pl.read_csv(shared / AMMITTO / "eu_designated_vessels_2026-08-22.csv")
    assert e["former_names"].is_not_null().sum() == raw["vessel_name"].str.contains(r"\(").sum()
    rows = {r["name"]: r["former_names"] for r in e.iter_rows(named=True) if r["former_names"]}
    assert rows["Noctis"] == ["Luna", "Asher"]
    assert rows["Quartanus"] == ["Morpheus"]  # the list lacks the closing parenthesis
    assert rows["Nova Crest"] == ["Hasan East"]  # "(Formerly ...)"


def test_formats_are_sniffed(shared):
    assert lists.sniff_format(shared / OFAC_2024) == "ofac"
    assert lists.sniff_format(shared / UN_CSV) == "un"
    assert lists.sniff_format(shared / AMMITTO / "nz_sanctioned_vessels.csv") == "csv"


def test_version_option_then_file_then_mtime(shared, tmp_path):
    _, _, v, src = lists.read_list(shared / OFAC_2024)
    assert (v, src) == (date(2024, 5, 3), "file name")
    _, _, v, src = lists.read_list(shared / OFAC_2024, version=date(2024, 5, 6))
    assert (v, src) == (date(2024, 5, 6), "option")
    path = tmp_path / "watch.csv"
    path.write_text("imo\n9610810\n")
    stamp = datetime(2023, 3, 4, 12, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    fmt, read, v, src = lists.read_list(path)
    assert (fmt, read.entries.height, v, src) == ("csv", 1, date(2023, 3, 4), "file mtime")


def test_registry_knows_the_builtin_formats_and_rejects_others(tmp_path):
    assert lists.formats()[:5] == ["auto", "un", "opensanctions", "ofac", "csv"]
    for name, module in lists.loaders().items():
        assert name == module.FORMAT and module.DEFAULT_NAME
        assert callable(module.sniff) and callable(module.read) and module.__doc__
    with pytest.raises(UsageError, match="not a list format"):
        lists.loader("xls")
    with pytest.raises(InputError, match="No list file"):
        lists.read_list(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    ("fmt", "words"),
    [("ofac", "could not be read with --format ofac"),
     ("opensanctions", "holds no vessel entries"),
     ("un", "has no list_no, names")],
)  # fmt: skip
def test_the_wrong_format_is_an_input_error_not_a_crash(shared, fmt, words):
    with pytest.raises(InputError, match=words):
        lists.read_list(shared / AMMITTO / "eu_designated_vessels_2026-08-22.csv", fmt)


def test_dates_in_a_watchlist_in_the_un_way(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("name,listed_on\nKOTI,30-Mar-18\nYUK TUNG,2018-03-30 | 2019-01-01\n")
    e = watchlist.read(path).entries
    assert e["listed_on"].to_list() == [date(2018, 3, 30), date(2018, 3, 30)]
