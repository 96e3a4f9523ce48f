"""Lists in the store and the commands: lists add/show/remove, screen, vessels_sanctioned."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import stswatch.cli.data  # noqa: F401  (registers ingest)
import stswatch.cli.screen  # noqa: F401  (registers lists and screen)
from stswatch import schema
from stswatch.cli import app
from stswatch.errors import UsageError
from stswatch.screen import add_list, lists_table, remove_list, screen_store, vessels_sanctioned
from stswatch.store import Store

T0 = datetime(2024, 6, 1, tzinfo=UTC)
OFAC_2021 = "ofac-sdn/sdn_2021-08-20.csv"
OFAC_2024 = "ofac-sdn/sdn_2024-05-03.csv"
UN_CSV = "un-1718-vessels/un_1718_designated_vessels_extracted.csv"
MC = "marinecadastre-vesselsummaryais/AIS_2022_01_03_first99999.csv.gz"


def _check_digit_ok(imo: str) -> bool:
    """IMO check digit, written out independently of stswatch.identity."""
    if not re.fullmatch(r"\d{7}", imo):
        return False
    return sum(int(d) * w for d, w in zip(imo[:6], range(7, 1, -1), strict=True)) % 10 == int(
        imo[6]
    )


def _ofac_imo_entries(path: Path) -> dict[int, str]:
    """IMO -> ent_num of the vessel rows, read with the csv module."""
    text = path.read_bytes().decode("latin-1").rstrip("\x1a")
    out = {}
    for row in csv.reader(io.StringIO(text)):
        m = re.search(r"\bIMO\s+(\d+)", row[11]) if row[2:3] == ["vessel"] else None
        if m and _check_digit_ok(m[1]):
            out[int(m[1])] = row[0]
    return out


def add_statics(store: Store, rows: list[dict]) -> None:
    base = {f.name: None for f in schema.STATIC_FIELDS}
    full = [
        {**base, "ts": T0 + timedelta(minutes=i), "source": "test", "batch_id": "b", **r}
        for i, r in enumerate(rows)
    ]
    store.add_statics(pl.DataFrame(full).to_arrow().cast(schema.STATICS))


def test_replacing_ofac_2021_with_2024_changes_the_matches(shared, tmp_path):
    old = _ofac_imo_entries(shared / OFAC_2021)
    new = _ofac_imo_entries(shared / OFAC_2024)
    assert (len(old), len(new)) == (400, 844)
    imos = sorted(set(old) | set(new))
    mmsi_of = {imo: 100_000_000 + i for i, imo in enumerate(imos)}  # no listed MMSI is here
    with Store(tmp_path / "s.duckdb") as store:
        add_statics(store, [{"mmsi": m, "imo": imo} for imo, m in mmsi_of.items()])
        first = add_list(store, shared / OFAC_2021, now=T0)
        assert first.replaced_version is None
        assert set(first.screening.matches.select("mmsi", "entry_id").iter_rows()) == {
            (mmsi_of[i], e) for i, e in old.items()
        }
        second = add_list(store, shared / OFAC_2024, now=T0 + timedelta(days=1))
        assert second.replaced_version == date(2021, 8, 20)
        before = {(mmsi_of[i], e) for i, e in old.items()}
        after = {(mmsi_of[i], e) for i, e in new.items()}
        assert set(second.gained.select("mmsi", "entry_id").iter_rows()) == after - before
        assert set(second.lost.select("mmsi", "entry_id").iter_rows()) == before - after
        assert len(after - before) > 400 and len(before - after) > 0  # delistings happen
        stored = store.query("SELECT mmsi, entry_id, list_version FROM matches").to_pylist()
        assert {(r["mmsi"], r["entry_id"]) for r in stored} == after
        assert {r["list_version"] for r in stored} == {date(2024, 5, 3)}
        shown = lists_table(store).to_pylist()
        assert [(r["name"], r["version"], r["entries"], r["with_imo"]) for r in shown] == [
            ("ofac-sdn", date(2024, 5, 3), 851, 844),
        ]  # fmt: skip
        # Going back to the older version needs force.
        with pytest.raises(UsageError, match="--force"):
            add_list(store, shared / OFAC_2021)
        back = add_list(store, shared / OFAC_2021, force=True)
        assert set(back.gained.select("mmsi", "entry_id").iter_rows()) == before - after


def test_lists_combine_and_removing_one_recomputes(shared, tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        add_statics(
            store,
            [
                {"mmsi": 412000011, "imo": 8791667, "name": "WAN HENG 11"},  # UN only
                {"mmsi": 445000013, "imo": 7389704, "name": "RYE SONG GANG 1"},  # both
                {"mmsi": 636015565, "imo": 9610810, "name": "VIKTOR BAKAEV", "ship_type": 80},
            ],
        )
        add_list(store, shared / OFAC_2024)
        add_list(store, shared / UN_CSV)
        sanctioned = {r["mmsi"]: r for r in vessels_sanctioned(store).to_pylist()}
        assert set(sanctioned) == {412000011, 445000013, 636015565}
        assert sanctioned[412000011]["lists"] == "un-1718"
        assert sanctioned[445000013]["lists"] == "ofac-sdn, un-1718"
        assert sanctioned[445000013]["matches"] == 2
        assert sanctioned[636015565]["method"] == "imo"
        change = remove_list(store, "un-1718")
        assert set(change.lost["mmsi"]) == {412000011, 445000013}
        assert {r["mmsi"] for r in vessels_sanctioned(store).to_pylist()} == {445000013, 636015565}
        with pytest.raises(UsageError, match="No list named 'un-1718'"):
            remove_list(store, "un-1718")
        # Screening again without changes gives the same matches.
        again = screen_store(store)
        assert again.matches.height == store.query("SELECT count(*) n FROM matches")["n"][0].as_py()


def test_positions_only_vessel_matches_by_mmsi(shared, tmp_path):
    # SAEBYOL's third listed MMSI heard only in position reports, no static data.
    with Store(tmp_path / "s.duckdb") as store:
        base = {f.name: None for f in schema.POSITION_FIELDS}
        row = {**base, "mmsi": 445143000, "ts": T0, "lon": 124.0, "lat": 30.0, "source": "t",
               "batch_id": "b"}  # fmt: skip
        store.add_positions(pl.DataFrame([row]).to_arrow().cast(schema.POSITIONS))
        change = add_list(store, shared / UN_CSV)
        (m,) = change.screening.matches.to_dicts()
        assert (m["mmsi"], m["method"], m["entry_name"], m["needs_review"]) == (
            445143000, "mmsi", "Chong Rim 2", True,
        )  # fmt: skip


runner = CliRunner()


def test_cli_lists_and_screen_on_the_ingested_sample(shared, tmp_path):
    db = str(tmp_path / "c.duckdb")
    r = runner.invoke(app, ["ingest", str(shared / MC), "--db", db, "-q"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["lists", "add", str(shared / OFAC_2024), "--db", db])
    assert r.exit_code == 0, r.output
    assert "851 entries, 844 with IMO, 154 with MMSI" in r.output
    assert "version 2024-05-03 from file name" in r.output
    assert "Matches by list and method" in r.output
    assert "fail the check digit" in r.output
    r = runner.invoke(
        app, ["lists", "add", str(shared / UN_CSV), "--db", db, "--version", "2020-06-04", "-q"]
    )
    assert r.exit_code == 0 and r.output == ""
    r = runner.invoke(app, ["lists", "show", "--db", db, "--format", "json"])
    shown = {x["name"]: x for x in json.loads(r.output)}
    assert shown["un-1718"]["version"] == "2020-06-04"
    assert shown["un-1718"]["version_source"] == "option"
    assert (shown["un-1718"]["entries"], shown["un-1718"]["with_mmsi"]) == (59, 26)
    r = runner.invoke(app, ["screen", "--db", db, "--format", "json", "--min-confidence", "0.9"])
    assert r.exit_code == 0, r.output
    strong = {(x["mmsi"], x["entry_name"], x["method"]) for x in json.loads(r.output)}
    assert strong == {(636015565, "VIKTOR BAKAEV", "imo"), (374208000, "FREEDOM", "imo")}
    r = runner.invoke(app, ["lists", "remove", "ofac-sdn", "--db", db])
    assert r.exit_code == 0 and "Removed list ofac-sdn" in r.output
    r = runner.invoke(app, ["screen", "--db", db, "--format", "json", "--min-confidence", "0"])
    assert json.loads(r.output) == []  # the sample has no UN 1718 vessel


def test_cli_errors_say_what_to_do(shared, tmp_path):
    db = str(tmp_path / "e.duckdb")
    # Through main(), as installed: one line on stderr, exit 1 for an unreadable input.
    code = "import stswatch.cli.screen; from stswatch.cli import main; main()"
    r = subprocess.run(
        [sys.executable, "-c", code, "lists", "add", str(tmp_path / "nope.csv"), "--db", db],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert r.returncode == 1 and "No list file" in r.stderr and "Hint:" in r.stderr
    # Usage errors (exit code 2) raised to main() by the commands.
    for args, words in [
        (["lists", "add", str(shared / OFAC_2024), "--format", "xls"],
         "not one of auto, un, opensanctions, ofac, csv"),
        (["lists", "add", str(shared / OFAC_2024), "--version", "May 2024"], "YYYY-MM-DD"),
        (["lists", "remove", "ofac-sdn"], "lists show"),
    ]:  # fmt: skip
        r = runner.invoke(app, [*args, "--db", db])
        assert isinstance(r.exception, UsageError), r.output
        assert r.exception.exit_code == 2 and words in str(r.exception)


def test_a_database_from_before_screening_reads_as_empty(tmp_path):
    import duckdb

    path = tmp_path / "old.duckdb"
    duckdb.connect(str(path)).execute("CREATE TABLE statics (mmsi BIGINT)").close()
    with Store(path, read_only=True) as store:
        assert lists_table(store).num_rows == 0
        assert vessels_sanctioned(store).num_rows == 0
    r = runner.invoke(app, ["lists", "show", "--db", str(path)])
    assert r.exit_code == 0 and "No lists loaded" in r.output
