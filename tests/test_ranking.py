"""End to end: injected STS events involving sanctioned tankers rank at the top."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from stswatch.config import load
from stswatch.detect.runner import Window, default_params, detect_store
from stswatch.geo import default_geo
from stswatch.ingest import ingest_paths
from stswatch.screen import add_list
from stswatch.simulate import SimConfig, simulate
from stswatch.store import Store

UN_LIST = "un_1718_designated_vessels_extracted.csv"


@pytest.mark.parametrize("seed", [7, 21])
def test_sts_with_sanctioned_tankers_tops_the_ranking(tmp_path, samples, seed):
    un = samples.parent / "lists" / UN_LIST
    cfg = SimConfig(
        seed=seed, vessels=40, days=2.0, start=datetime(2024, 3, 1, tzinfo=UTC), sanctioned_from=un
    )
    simulate(cfg, tmp_path / "sim", nmea=False)
    truth = json.loads((tmp_path / "sim" / "truth.json").read_text())
    listed = {v["mmsi"] for v in truth["vessels"] if v.get("sanctioned")}
    injected = [e for e in truth["events"] if e["type"] == "encounter" and not e.get("optional")]
    sts_listed = {
        frozenset((e["mmsi"], e["other_mmsi"]))
        for e in injected
        if {e["mmsi"], e["other_mmsi"]} & listed
    }
    assert sts_listed, "the scenario must put a UN-listed tanker in an injected STS"

    with Store(tmp_path / "s.duckdb") as store:
        ingest_paths(store, [str(tmp_path / "sim" / "positions.csv")])
        detect_store(store, load(None, default_params()), Window(), geo=default_geo())
        add_list(store, un, name="un-1718", version=date(2020, 6, 4))
        ranked = store.query(
            """SELECT e.type, e.mmsi, e.other_mmsi, s.score FROM events e
               JOIN scores s USING (event_id) ORDER BY s.score DESC, e.start"""
        ).to_pylist()
    top = ranked[: len(sts_listed)]
    assert {frozenset((r["mmsi"], r["other_mmsi"])) for r in top} == sts_listed
    assert all(r["type"] == "encounter" for r in top)
    # and they are clearly above every event that does not involve a listed vessel
    unlisted = [r for r in ranked if not ({r["mmsi"], r["other_mmsi"]} & listed)]
    assert min(r["score"] for r in top) > max(r["score"] for r in unlisted)
