"""Real-data checks of the detection pipeline with the shipped geography."""

from __future__ import annotations

import polars as pl
import pytest

from stswatch import tracks
from stswatch.detect import encounter
from stswatch.detect.base import DetectContext
from stswatch.geo import default_geo
from stswatch.ingest import ingest_paths
from stswatch.store import Store


@pytest.fixture(scope="module")
def noaa(tmp_path_factory, samples) -> pl.DataFrame:
    db = tmp_path_factory.mktemp("noaa") / "s.duckdb"
    with Store(db) as store:
        ingest_paths(store, [str(samples / "AIS_2022_01_03_first99999.csv.gz")])
        pos = pl.DataFrame(store.query("SELECT * FROM positions ORDER BY mmsi, ts"))
    return tracks.segment(pos, tracks.Params())


def test_moored_and_rafted_pairs_in_the_noaa_sample_are_not_encounters(noaa):
    ctx = DetectContext(geo=default_geo())
    assert encounter.detect(noaa, encounter.Params(), ctx).height == 0
    # The sample spans 25 minutes, so the 2 h rule alone would hide everything: relax it to
    # 10 minutes so that only the place rules (port/anchorage distance, inland water) can
    # keep the thousands of slow pairs at berth, at anchor and on rivers out.
    short = {"min_duration_h": 0.15}
    anywhere = encounter.detect(
        noaa, encounter.Params(**short, min_port_distance_m=0.0, exclude_inland=False), ctx
    )
    away_from_port = encounter.detect(noaa, encounter.Params(**short, exclude_inland=False), ctx)
    at_sea = encounter.detect(noaa, encounter.Params(**short), ctx)
    assert anywhere.height > 10_000
    assert away_from_port.height < 0.2 * anywhere.height  # the 10 km port rule
    assert at_sea.height < 0.05 * anywhere.height  # and the inland-water rule
    # what is left is at sea and away from ports: e.g. supply vessels at offshore platforms
    geo = default_geo()
    lon, lat = at_sea["lon"].to_numpy(), at_sea["lat"].to_numpy()
    assert not geo.on_land(lon, lat).any()
    assert (geo.distance_to_port_m(lon, lat) >= 10_000).all()
