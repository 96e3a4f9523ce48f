"""Identity history, flag and IMO tables, and the identity-change detector."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgpack
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stswatch import identity, schema
from stswatch.clean import clean_statics
from stswatch.detect import identity_change
from stswatch.detect.base import DetectContext
from stswatch.ingest.base import STATIC_CANDIDATES, ReadOptions

T0 = datetime(2019, 3, 1, tzinfo=UTC)


def statics(rows: list[dict]) -> pl.DataFrame:
    """Statics from dicts with ``h`` (hours after T0), mmsi and any identity fields."""
    cols: dict[str, list[object]] = {f.name: [] for f in schema.STATICS}
    for r in rows:
        for name in cols:
            if name == "ts":
                cols[name].append(T0 + timedelta(hours=r["h"]))
            elif name in ("source", "batch_id"):
                cols[name].append("test")
            else:
                cols[name].append(r.get(name))
    return pl.DataFrame(pa.table(cols, schema=schema.STATICS))


def positions_for(mmsis: list[int], hours: float = 100) -> pl.DataFrame:
    """One report per MMSI per hour at a fixed place, so events get a position."""
    rows: dict[str, list[object]] = {f.name: [] for f in schema.POSITIONS}
    for k, m in enumerate(mmsis):
        for h in range(int(hours) + 1):
            vals = {
                "mmsi": m,
                "ts": T0 + timedelta(hours=h),
                "lon": 124.0 + k,
                "lat": 31.0,
                "source": "test",
                "batch_id": "b",
            }
            for name in rows:
                rows[name].append(vals.get(name))
    return pl.DataFrame(pa.table(rows, schema=schema.POSITIONS))


def run(st_rows: list[dict], **kw) -> pl.DataFrame:
    s = statics(st_rows)
    pos = positions_for(sorted(set(s["mmsi"])))
    return identity_change.detect(pos, identity_change.Params(**kw), DetectContext(statics=s))


def named(mmsi: int, name: str, hours: list[float], **fields) -> list[dict]:
    return [{"mmsi": mmsi, "h": h, "name": name, **fields} for h in hours]


# --- IMO check digit, MID and call sign tables --------------------------------------------


def test_imo_check_digit_known_numbers():
    # 9074729: 9*7 + 0*6 + 7*5 + 4*4 + 7*3 + 2*2 = 139 -> check digit 9.
    # 9610810 (VIKTOR BAKAEV) and 9187629 appear with these IMOs on the OFAC list.
    got = identity.imo_valid([9074729, 9610810, 9187629, 9074728, 907472, 900000024, None])
    assert got.to_list() == [True, True, True, False, False, False, None]


@settings(max_examples=50, deadline=None)
@given(prefix=st.integers(100_000, 999_999))
def test_exactly_one_check_digit_is_valid(prefix: int):
    candidates = [prefix * 10 + d for d in range(10)]
    assert identity.imo_valid(candidates).sum() == 1


def test_mid_table_covers_the_itu_list():
    mids = identity.mid_table()
    assert mids.height == 292  # distinct MIDs in the source table
    assert mids["mid"].is_unique().all()
    flags = identity.flags([416000000, 445123456, 636015565, 111240123, 992401234, 970123456])
    assert flags["flag_iso3"].to_list() == ["TWN", "PRK", "LBR", "GRC", "GRC", None]
    # Taiwan's MID belongs to China's administration in the ITU table.
    assert flags["flag_administration"][0] == "China (People's Republic of)"


def test_callsign_series_lookup():
    df = identity.callsign_lookup(
        pl.DataFrame({"callsign": ["HMAB", "3FXX9", "D5AB1", "WU.", "P\\0000", "ZCAB2", None]})
    )
    assert df["callsign_administration"].to_list() == [
        "Democratic People's Republic of Korea",
        "Panama (Republic of)",
        "Liberia (Republic of)",
        None,  # not a call sign
        None,
        "United Kingdom of Great Britain and Northern Ireland",
        None,
    ]


# --- history ------------------------------------------------------------------------------


def test_history_runs_ignore_interleaved_type24_parts():
    rows = [
        {"mmsi": 412000001, "h": 0, "name": "RYE SONG GANG 1"},  # type 24 part A
        {"mmsi": 412000001, "h": 0.1, "callsign": "HMAB", "ship_type": 80},  # part B
        {"mmsi": 412000001, "h": 1, "name": "RYE SONG GANG 1"},
        {"mmsi": 412000001, "h": 1.1, "callsign": "HMAB", "ship_type": 80},
        {"mmsi": 412000001, "h": 5, "name": "Rye  Song gang 1"},  # same name, sloppier
        {"mmsi": 412000001, "h": 9, "name": "KUM UN SAN 3"},  # renamed
    ]
    h = identity.history(statics(rows))
    assert h["run"].to_list() == [0, 1, 2]
    assert h["name"].to_list() == ["RYE SONG GANG 1", "RYE SONG GANG 1", "KUM UN SAN 3"]
    assert h["callsign"].to_list() == [None, "HMAB", "HMAB"]
    assert h["n_reports"].to_list() == [1, 4, 1]
    assert h["flag_iso3"].unique().to_list() == ["CHN"]


def test_history_ignores_row_order():
    rows = (
        named(412000001, "A", [0, 1, 2])
        + named(412000001, "B", [3, 4])
        + [{"mmsi": 445000001, "h": 1, "imo": 9074729}]
    )
    s = statics(rows)
    assert identity.history(s).equals(identity.history(s.reverse()))


# --- detector: changes under one MMSI -----------------------------------------------------


def test_rename_is_one_event_from_last_old_to_first_new():
    ev = run(named(412000001, "YU JONG 2", [0, 6, 12]) + named(412000001, "KOTI", [30, 36]))
    assert ev["subtype"].to_list() == ["name"]
    e = ev.row(0, named=True)
    assert e["start"] == T0 + timedelta(hours=12)  # last report as YU JONG 2
    assert e["end"] == T0 + timedelta(hours=30)  # first report as KOTI
    assert (e["lon"], e["lat"]) == (124.0, 31.0)
    evidence = json.loads(e["evidence"])
    assert (evidence["old"], evidence["new"]) == ("YU JONG 2", "KOTI")
    assert evidence["n_times"] == 1 and evidence["alternating"] is False


def test_one_garbled_report_is_not_a_change():
    rows = named(412000001, "YU JONG 2", [0, 6]) + named(412000001, "YU JONG Z", [7])
    rows += named(412000001, "YU JONG 2", [8, 9])
    assert run(rows).height == 0
    assert run(rows, min_reports=1)["subtype"].to_list() == ["name", "name"]


def test_alternating_names_are_two_events_with_counts():
    rows = []
    for i in range(4):  # two ships on one MMSI take turns
        rows += named(240000000, "IMPALA MAGDALENA", [10 * i, 10 * i + 1])
        rows += named(240000000, "WARSHIP M71", [10 * i + 5, 10 * i + 6])
    ev = run(rows).filter(subtype="name")
    assert ev.height == 2
    by_new = {json.loads(e)["new"]: json.loads(e) for e in ev["evidence"]}
    assert by_new["WARSHIP M71"]["n_times"] == 4
    assert by_new["IMPALA MAGDALENA"]["n_times"] == 3
    assert by_new["WARSHIP M71"]["alternating"] is True


def test_callsign_imo_and_ship_type_changes():
    rows = [
        {"mmsi": 636000001, "h": h, "callsign": "D5AB1", "imo": 9074729, "ship_type": 80}
        for h in (0, 1)
    ] + [
        {"mmsi": 636000001, "h": h, "callsign": "D5ZZ9", "imo": 9610810, "ship_type": 70}
        for h in (5, 6)
    ]
    assert sorted(run(rows)["subtype"]) == ["callsign", "imo", "ship_type"]


# --- detector: IMO across MMSIs -----------------------------------------------------------


def test_flag_hopping_same_imo_new_mmsi_new_flag():
    # IMO 9187629 under a DPRK MMSI, then (after it went quiet) under a Sierra Leone MMSI.
    rows = [{"mmsi": 445100001, "h": h, "imo": 9187629, "name": "CHON MA SAN"} for h in (0, 5)]
    rows += [{"mmsi": 667100001, "h": h, "imo": 9187629, "name": "CHON MA SAN"} for h in (40, 45)]
    ev = run(rows).filter(subtype="flag")
    assert ev.height == 1
    e = ev.row(0, named=True)
    assert (e["mmsi"], e["other_mmsi"]) == (667100001, 445100001)
    assert e["start"] == T0 + timedelta(hours=5) and e["end"] == T0 + timedelta(hours=40)
    evidence = json.loads(e["evidence"])
    assert (evidence["old_flag"], evidence["new_flag"]) == ("PRK", "SLE")
    assert run(rows).filter(subtype="imo_clone").height == 0


def test_imo_clone_two_mmsis_at_once():
    rows = [{"mmsi": 351000001, "h": h, "imo": 9074729} for h in (0, 10, 20)]
    rows += [{"mmsi": 352000001, "h": h, "imo": 9074729} for h in (5, 15)]  # both Panama
    ev = run(rows)
    assert ev["subtype"].to_list() == ["imo_clone"]  # same flag: no flag event
    e = ev.row(0, named=True)
    assert (e["mmsi"], e["other_mmsi"]) == (351000001, 352000001)
    assert e["start"] == T0 + timedelta(hours=5) and e["end"] == T0 + timedelta(hours=15)


def test_bad_imo_check_digit():
    rows = [{"mmsi": 636000001, "h": h, "imo": 9074728} for h in (0, 1)]
    ev = run(rows)
    assert ev["subtype"].to_list() == ["imo_check_digit"]
    assert json.loads(ev["evidence"][0])["expected_check_digit"] == 9


def test_mid_flag_mismatch_at_administration_level():
    dprk_mmsi_panama_cs = [{"mmsi": 445100001, "h": h, "callsign": "3FXX9"} for h in (0, 1)]
    ev = run(dprk_mmsi_panama_cs)
    assert ev["subtype"].to_list() == ["mid_flag_mismatch"]
    evidence = json.loads(ev["evidence"][0])
    assert evidence["callsign_administration"] == "Panama (Republic of)"
    assert evidence["mid_country"] == "Democratic People's Republic of Korea"
    # Bermuda MID with a UK call sign and Hong Kong MID with a VR call sign are consistent.
    ok = [{"mmsi": 310100001, "h": h, "callsign": "ZCAB2"} for h in (0, 1)]
    ok += [{"mmsi": 477100001, "h": h, "callsign": "VRAB2"} for h in (0, 1)]
    assert run(ok).height == 0


def test_statics_of_other_mmsis_are_ignored_and_no_statics_no_events():
    s = statics(named(412000001, "A", [0, 1]) + named(412000001, "B", [2, 3]))
    elsewhere = positions_for([311000001])
    assert identity_change.detect(elsewhere, ctx=DetectContext(statics=s)).height == 0
    assert identity_change.detect(elsewhere, ctx=DetectContext()).height == 0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_row_order_changes_nothing(seed: int):
    rows = named(412000001, "YU JONG 2", [0, 6, 12]) + named(412000001, "KOTI", [30, 36])
    rows += [{"mmsi": 445100001, "h": h, "imo": 9187629, "callsign": "3FXX9"} for h in (0, 5)]
    rows += [{"mmsi": 667100001, "h": h, "imo": 9187629} for h in (3, 45)]
    s = statics(rows)
    pos = positions_for(sorted(set(s["mmsi"])))
    want = identity_change.detect(pos, ctx=DetectContext(statics=s))
    got = identity_change.detect(
        pos.sample(fraction=1.0, shuffle=True, seed=seed),
        ctx=DetectContext(statics=s.sample(fraction=1.0, shuffle=True, seed=seed + 1)),
    )
    assert sorted(want["subtype"]) == ["flag", "imo_clone", "mid_flag_mismatch", "name"]
    assert want.sort("event_id").equals(got.sort("event_id"))


# --- real data: placeholder MMSI 240000000 ------------------------------------------------


def gpsdio_statics(path: Path) -> pl.DataFrame:
    """Type 5 messages of a gpsdio msgpack file through the real clean stage."""
    with gzip.open(path) as f:
        msgs = [m for m in msgpack.Unpacker(f, raw=False, strict_map_key=False)]
    t5 = [m for m in msgs if m.get("type") == 5]
    fields: dict[str, list[object]] = {f.name: [] for f in STATIC_CANDIDATES}
    for i, m in enumerate(t5):
        vals = {
            "mmsi": m["mmsi"],
            "ts": datetime.fromisoformat(m["timestamp"].replace("Z", "+00:00")),
            "msg_type": 5,
            "imo": m.get("imo"),
            "name": m.get("shipname"),
            "callsign": m.get("callsign"),
            "ship_type": int(m.get("shiptype") or 0),
            "draught_m": m.get("draught"),
            "destination": m.get("destination"),
            "source": "gfw",
            "station": m.get("tagblock_station"),
            "batch_id": "b",
            "line_no": i + 1,
            "raw": "",
        }
        for name in fields:
            fields[name].append(vals.get(name))
    opts = ReadOptions(
        file=str(path), source="gfw", batch_id="b", now=datetime(2026, 1, 1, tzinfo=UTC)
    )
    stored, rejects = clean_statics(pa.table(fields, schema=STATIC_CANDIDATES), opts)
    assert rejects.num_rows == 0
    df = pl.from_arrow(stored)
    assert isinstance(df, pl.DataFrame)
    return df


def test_placeholder_240000000_has_two_identities(shared: Path):
    s = gpsdio_statics(shared / "gfw-gpsdio-segment" / "point-pair" / "240000000.msg.gz")
    assert s.height == 1228
    h = identity.history(s)
    assert set(h["name"]) == {"IMPALA MAGDALENA", "WARSHIP M71"}
    assert h.height >= 40  # they take turns all month (measured: 47 runs)
    pos = positions_for([240000000], hours=31 * 24)
    ev = identity_change.detect(pos, ctx=DetectContext(statics=s))
    names = {
        (d["old"], d["new"]): d
        for d in (json.loads(e) for e in ev.filter(subtype="name")["evidence"])
    }
    assert set(names) == {
        ("IMPALA MAGDALENA", "WARSHIP M71"),
        ("WARSHIP M71", "IMPALA MAGDALENA"),
    }
    assert names[("IMPALA MAGDALENA", "WARSHIP M71")]["n_times"] >= 20  # measured: 23
    assert names[("IMPALA MAGDALENA", "WARSHIP M71")]["alternating"] is True
    first = ev.filter(subtype="name").sort("start").row(0, named=True)
    assert first["start"] == datetime(2015, 1, 3, 5, 25, 14, tzinfo=UTC)
    assert first["end"] == datetime(2015, 1, 3, 5, 40, 44, tzinfo=UTC)
    # WARSHIP M71 broadcasts IMO 900000024: nine digits, not an IMO number.
    bad = ev.filter(subtype="imo_check_digit")
    assert json.loads(bad["evidence"][0])["imo"] == 900000024
    # ... and the call sign "WARSHIP", whose W series is the USA's, on a Greek MID.
    mismatch = json.loads(ev.filter(subtype="mid_flag_mismatch")["evidence"][0])
    assert mismatch["callsign"] == "WARSHIP"
    assert mismatch["callsign_administration"] == "United States of America"


def test_honest_vessel_224051350_has_one_identity(shared: Path):
    s = gpsdio_statics(shared / "gfw-gpsdio-segment" / "point-pair" / "224051350.msg.gz")
    h = identity.history(s)
    assert h.height == 1 and h["name"][0] == "BALUEIRO SEGUNDO" and h["flag_iso3"][0] == "ESP"
    pos = positions_for([224051350])
    assert identity_change.detect(pos, ctx=DetectContext(statics=s)).height == 0


@pytest.mark.parametrize("module", [identity_change])
def test_params_are_documented(module):
    import dataclasses

    for f in dataclasses.fields(module.Params):
        assert f.metadata.get("help"), f.name
