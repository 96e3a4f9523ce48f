"""The fast NMEA decoder and the pyais reference give the same store and the same events.

Simulated traffic (every injected behaviour, several receivers, multipart type 5 and 24
statics) is ingested twice through the whole pipeline: once with the vectorized decoder,
once with pyais for every payload (``nmea.read(..., vectorized=False)``). Positions,
statics, rejects and then the detected events must be identical (issue 6).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import polars as pl
import pytest

from stswatch.config import load
from stswatch.detect.runner import Window, default_params, detect_store
from stswatch.geo import default_geo
from stswatch.ingest import ingest_paths, nmea
from stswatch.simulate import SimConfig, simulate
from stswatch.store import Store

ORDER = {
    "positions": "mmsi, ts, lon, lat, msg_type, station",
    "statics": "mmsi, ts, msg_type, name, imo",
    "rejects": "line_no, reason",
}


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("paths")
    cfg = SimConfig(seed=11, vessels=30, days=2.0, start=datetime(2024, 4, 2, tzinfo=UTC))
    simulate(cfg, tmp, nmea=True)
    return tmp


def _table(store: Store, name: str) -> pl.DataFrame:
    drop = "EXCLUDE (batch_id)" if name != "rejects" else "EXCLUDE (batch_id, file)"
    df = pl.from_arrow(store.query(f"SELECT * {drop} FROM {name} ORDER BY {ORDER[name]}"))
    assert isinstance(df, pl.DataFrame)
    return df


def test_fast_and_reference_decoders_give_the_same_store_and_events(sim, monkeypatch):
    geo = default_geo()
    cfg = load(None, default_params())
    results = {}
    original = nmea.read
    for label, vectorized in (("fast", True), ("reference", False)):
        monkeypatch.setattr(nmea, "read", partial(original, vectorized=vectorized))
        with Store(sim / f"{label}.duckdb") as store:
            (res,) = ingest_paths(store, [str(sim / "positions.nmea")], fmt="nmea")
            tables = {name: _table(store, name) for name in ORDER}
            events = detect_store(store, cfg, Window(), geo=geo, window_h=0).events
        results[label] = (res, tables, events.sort("event_id"))
    fast, ref = results["fast"], results["reference"]
    assert fast[0].positions_added == ref[0].positions_added > 30_000
    assert fast[1]["statics"].height > 1_000
    for name in ORDER:
        assert fast[1][name].equals(ref[1][name], null_equal=True), name
    assert fast[2].height > 20
    assert set(fast[2]["type"]) >= {"encounter", "gap", "spoofing", "identity_change"}
    assert fast[2].equals(ref[2], null_equal=True)
