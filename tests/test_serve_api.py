"""The analyst API, read side: events (filters, sorting, paging, one event in context, map
points, exports), vessels, lists, areas, summary, runs, the error shape and the page's files.

The store is the hand-made scenario of ``stswatch.serve.sample`` (Korea Bay, 1 March 2024):
tanker OCEAN STAR (352001234, on the watchlist) meets tanker SEA PEARL (477123456) from
06:00 to 10:00, then goes dark; SEA PEARL renames itself PEARL 1; LONE FISHER loiters.
"""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
from fastapi.testclient import TestClient

from stswatch.serve import create_app, sample
from stswatch.serve.app import api_routes
from stswatch.serve.sample import LONE_FISHER, OCEAN_STAR, SEA_PEARL


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "template.duckdb"
    ids = sample.build(path)
    tokens = sample.add_users(path)
    return path, ids, tokens


@pytest.fixture(scope="module")
def client(template, tmp_path_factory):
    """One app for the whole module: these tests only read."""
    src, _, _ = template
    dst = tmp_path_factory.mktemp("serve-read") / "s.duckdb"
    shutil.copy(src, dst)
    app = create_app(dst)
    yield TestClient(app)
    app.state.db.close()


@pytest.fixture(scope="module")
def ids(template):
    return template[1]


@pytest.fixture(scope="module")
def h(template):
    tokens = template[2]
    return {role: {"Authorization": f"Bearer {t}"} for role, t in tokens.items()}


def get(client, h, url, role="viewer", **params):
    r = client.get(url, headers=h[role], params=params)
    return r


def ok(client, h, url, **params):
    r = get(client, h, url, **params)
    assert r.status_code == 200, r.text
    return r.json()


def error_of(r, status):
    """The one error shape: {"error": {status, code, message, details}}."""
    assert r.status_code == status, r.text
    e = r.json()["error"]
    assert e["status"] == status and e["code"] and e["message"]
    assert isinstance(e["details"], list)
    return e


# --- events ------------------------------------------------------------------------------


def test_events_are_ranked_by_score_with_names_status_and_sanctions(client, h, ids):
    page = ok(client, h, "/api/events")
    assert page["total"] == 4 and page["sort"] == "-score"
    got = [e["event_id"] for e in page["items"]]
    # 87.5 encounter, 55 gap, 20 loitering, then the unscored identity change
    assert got == [ids["encounter"], ids["gap"], ids["loitering"], ids["identity_change"]]
    enc = page["items"][0]
    assert enc["score"] == 87.5 and enc["status"] == "new" and enc["triage_version"] == 0
    assert enc["name"] == "OCEAN STAR" and enc["other_name"] == "PEARL 1"  # latest name
    assert enc["sanctioned"] is True and enc["other_sanctioned"] is False
    assert page["items"][3]["score"] is None


def test_events_sort_by_start_and_duration(client, h, ids):
    by_start = ok(client, h, "/api/events", sort="start")["items"]
    assert [e["start"] for e in by_start] == sorted(e["start"] for e in by_start)
    newest = ok(client, h, "/api/events", sort="-start")["items"]
    assert newest[0]["event_id"] == ids["gap"]  # 10:10, the latest start
    longest = ok(client, h, "/api/events", sort="-duration")["items"][0]
    assert longest["event_id"] == ids["loitering"]  # 6 h
    lowest = ok(client, h, "/api/events", sort="score")["items"]
    assert lowest[0]["event_id"] == ids["loitering"] and lowest[-1]["score"] is None


def test_events_paginate_with_total(client, h, ids):
    first = ok(client, h, "/api/events", limit=2)
    second = ok(client, h, "/api/events", limit=2, offset=2)
    beyond = ok(client, h, "/api/events", limit=2, offset=10)
    assert first["total"] == second["total"] == beyond["total"] == 4
    assert len(first["items"]) == len(second["items"]) == 2 and beyond["items"] == []
    assert {e["event_id"] for e in first["items"] + second["items"]} == set(ids.values())


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "encounter"}, {"encounter"}),
        ({"type": ["gap", "loitering"]}, {"gap", "loitering"}),
        ({"min_score": 50}, {"encounter", "gap"}),
        ({"sanctioned": "true"}, {"encounter", "gap"}),
        ({"sanctioned": "false"}, {"loitering", "identity_change"}),
        ({"since": "2024-03-01T09:00:00Z"}, {"encounter", "gap"}),  # still running at 09:00
        ({"until": "2024-03-01T05:00"}, {"loitering"}),  # naive times are UTC
        ({"since": "2024-03-01", "until": "2024-03-01T02:00:00Z"}, {"loitering"}),
        ({"bbox": "123.5,38.3,124,38.7"}, {"encounter", "gap"}),
        ({"bbox": "170,-10,-170,10"}, set()),  # across the antimeridian: nothing there
        ({"mmsi": SEA_PEARL}, {"encounter", "identity_change"}),
        ({"status": "new"}, {"encounter", "gap", "loitering", "identity_change"}),
        ({"status": ["confirmed", "dismissed"]}, set()),
        ({"area": "yellow_sea_korea_bay", "type": "encounter"}, {"encounter"}),
        ({"type": "encounter", "min_score": 90}, set()),
    ],
)
def test_event_filters(client, h, ids, params, expected):
    names = {v: k for k, v in ids.items()}
    page = ok(client, h, "/api/events", **params)
    assert {names[e["event_id"]] for e in page["items"]} == expected
    assert page["total"] == len(expected)


def test_one_event_with_evidence_reasons_parties_tracks_and_run(client, h, ids):
    d = ok(client, h, f"/api/events/{ids['encounter']}", hours=2)
    assert d["event"]["type"] == "encounter" and d["hours"] == 2
    assert d["evidence"]["median_distance_m"] == 38.0
    assert [r["factor"] for r in d["reasons"]][:2] == ["listed_party", "dark_near_encounter"]
    assert d["triage"] == {"event_id": ids["encounter"], "status": "new", "note": None,
                           "version": 0, "updated_by": None, "updated_at": None}  # fmt: skip
    star, pearl = d["parties"]
    assert (star["mmsi"], star["name"], star["imo"]) == (OCEAN_STAR, "OCEAN STAR", 9074729)
    assert star["flag_iso3"] == "PAN"  # MID 352
    assert [(m["list_name"], m["method"]) for m in star["matches"]] == [("watchlist", "imo")]
    assert pearl["mmsi"] == SEA_PEARL and pearl["matches"] == []
    a, b = d["tracks"]
    assert (a["mmsi"], b["mmsi"]) == (OCEAN_STAR, SEA_PEARL)
    # 04:00 to 12:00 = 48 steps of 10 min; OCEAN STAR is dark after 10:10
    assert a["ts"][0] == "2024-03-01T04:00:00Z" and a["ts"][-1] == "2024-03-01T10:10:00Z"
    assert b["points"] == b["returned"] == 49 and b["ts"][-1] == "2024-03-01T12:00:00Z"
    assert len(b["lon"]) == len(b["lat"]) == len(b["sog"]) == len(b["cog"]) == 49
    assert d["run"]["run_id"] == sample.RUN_ID and d["run"]["params"] is None


def test_one_event_tracks_thin_to_max_points_keeping_both_ends(client, h, ids):
    d = ok(client, h, f"/api/events/{ids['encounter']}", hours=12, max_points=10)
    pearl = d["tracks"][1]
    assert pearl["points"] == 97 and pearl["returned"] <= 12
    assert pearl["ts"][0] == "2024-03-01T00:00:00Z" and pearl["ts"][-1] == "2024-03-01T16:00:00Z"


def test_single_vessel_event_has_one_party_and_track(client, h, ids):
    d = ok(client, h, f"/api/events/{ids['loitering']}")
    assert [p["mmsi"] for p in d["parties"]] == [LONE_FISHER]
    assert len(d["tracks"]) == 1 and d["reasons"][0]["factor"] == "loitering"


def test_map_points_are_compact_geojson_best_first(client, h, ids):
    r = get(client, h, "/api/map/events")
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    # the identity change has no position: counted, not drawn
    assert fc["total"] == 4 and fc["without_position"] == 1 and len(fc["features"]) == 3
    assert fc["truncated"] is False
    first = fc["features"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": [123.8, 38.5]}
    assert first["properties"] == {"id": ids["encounter"], "type": "encounter",
                                   "score": 87.5, "status": "new", "s": True}  # fmt: skip
    one = ok(client, h, "/api/map/events", limit=1)
    assert len(one["features"]) == 1 and one["truncated"] is True
    assert ok(client, h, "/api/map/events", type="loitering")["total"] == 1


def test_export_geojson_as_the_cli_writes_it(client, h, ids):
    r = get(client, h, "/api/export/events", format="geojson", sanctioned="true")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    assert 'filename="events.geojson"' in r.headers["content-disposition"]
    fc = json.loads(r.content)
    assert [f["properties"]["event_id"] for f in fc["features"]] == [ids["encounter"], ids["gap"]]
    enc = fc["features"][0]
    assert enc["geometry"]["coordinates"] == [123.8, 38.5]
    assert enc["properties"]["evidence"]["min_distance_m"] == 12.5  # parsed, as in the CLI
    assert enc["properties"]["score"] == 87.5


def test_export_csv_kml_and_parquet(client, h, ids):
    r = get(client, h, "/api/export/events", format="csv", sort="-score")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["event_id"] for row in rows][0] == ids["encounter"] and len(rows) == 4
    assert rows[0]["start"] == "2024-03-01T06:00:00Z"
    kml = get(client, h, "/api/export/events", format="kml", type="gap")
    assert b"<Placemark" in kml.content and kml.content.count(b"<Placemark") == 1
    pq = get(client, h, "/api/export/events", format="parquet")
    assert pq.status_code == 200 and pq.content[:4] == b"PAR1"


# --- vessels ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ocean", [OCEAN_STAR]),  # part of a name, any case
        ("IMO9074729", [OCEAN_STAR]),
        ("9321483", [SEA_PEARL]),  # IMO without the prefix
        ("4771", [SEA_PEARL]),  # start of an MMSI
        ("BZAB1", [LONE_FISHER]),  # call sign
        ("nothing like it", []),
    ],
)
def test_vessel_search(client, h, q, expected):
    page = ok(client, h, "/api/vessels", q=q)
    assert [v["mmsi"] for v in page["items"]] == expected and page["total"] == len(expected)


def test_vessel_list_pages_most_positions_first(client, h):
    page = ok(client, h, "/api/vessels", limit=2)
    assert page["total"] == 3 and [v["mmsi"] for v in page["items"]] == [SEA_PEARL, OCEAN_STAR]
    assert page["items"][1]["sanctioned"] is True


def test_vessel_identity_history_matches_and_event_counts(client, h):
    v = ok(client, h, f"/api/vessels/{SEA_PEARL}")
    assert v["vessel"]["name"] == "PEARL 1"
    assert [(r["name"], r["first_ts"], r["last_ts"]) for r in v["history"]] == [
        ("SEA PEARL", "2024-03-01T00:00:00Z", "2024-03-01T00:00:00Z"),
        ("PEARL 1", "2024-03-01T08:00:00Z", "2024-03-01T08:00:00Z"),
    ]
    assert v["history"][0]["imo_valid"] is True
    assert v["events_by_type"] == {"encounter": 1, "identity_change": 1}
    star = ok(client, h, f"/api/vessels/{OCEAN_STAR}")
    assert star["matches"][0]["entry_name"] == "OCEAN STAR"


def test_vessel_events_and_track_over_a_time_range(client, h, ids):
    evs = ok(client, h, f"/api/vessels/{OCEAN_STAR}/events")
    assert [e["event_id"] for e in evs["items"]] == [ids["encounter"], ids["gap"]]
    late = ok(client, h, f"/api/vessels/{OCEAN_STAR}/events", since="2024-03-01T10:15:00Z")
    assert [e["event_id"] for e in late["items"]] == [ids["gap"]]
    tr = ok(
        client, h, f"/api/vessels/{OCEAN_STAR}/track",
        since="2024-03-01T10:00:00Z", until="2024-03-01T14:00:00Z",
    )  # fmt: skip
    # 10:00 and 10:10, then silent until 13:40
    assert tr["ts"] == ["2024-03-01T10:00:00Z", "2024-03-01T10:10:00Z", "2024-03-01T13:40:00Z",
                        "2024-03-01T13:50:00Z", "2024-03-01T14:00:00Z"]  # fmt: skip
    whole = ok(client, h, f"/api/vessels/{OCEAN_STAR}/track")
    assert whole["points"] == whole["returned"] == 77


# --- lists, areas, summary, runs -------------------------------------------------------


def test_lists_and_entries(client, h):
    lists = ok(client, h, "/api/lists")
    assert [(x["name"], x["format"], x["version"], x["entries"]) for x in lists] == [
        ("watchlist", "csv", "2024-02-01", 1)
    ]
    entries = ok(client, h, "/api/lists/watchlist/entries")
    assert entries["total"] == 1 and entries["items"][0]["imo"] == 9074729


def test_areas_are_geojson_with_the_builtin_hotspots(client, h):
    fc = ok(client, h, "/api/areas")
    assert fc["type"] == "FeatureCollection"
    props = {f["properties"]["name"]: f["properties"] for f in fc["features"]}
    assert props["yellow_sea_korea_bay"]["origin"] == "builtin"
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in fc["features"])


def test_summary_me_and_run(client, h):
    s = ok(client, h, "/api/summary")
    assert s["events"] == 4 and s["vessels"] == 3 and s["lists"] == 1 and s["runs"] == 1
    assert s["events_by_status"] == {"new": 4} and s["scored"] is True
    assert s["first"] == "2024-03-01T00:00:00Z"
    assert ok(client, h, "/api/me") == {"name": "vic", "role": "viewer"}
    run = ok(client, h, f"/api/runs/{sample.RUN_ID}")
    assert run["params"] == {"encounter": {}} and run["config_source"] == "defaults"


def test_openapi_documents_every_api_route(client, h):
    spec = ok(client, h, "/api/openapi.json")
    documented = {(m.upper(), path) for path, ops in spec["paths"].items() for m in ops}
    assert documented == set(api_routes())
    assert "bearer" in json.dumps(spec["components"]["securitySchemes"]).lower()
    events = spec["paths"]["/api/events"]["get"]
    assert {p["name"] for p in events["parameters"]} >= {
        "type", "since", "until", "bbox", "min_score", "sanctioned", "status", "sort", "limit",
        "offset", "area", "mmsi",
    }  # fmt: skip


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "params", "name"),
    [
        ("/api/events", {"limit": 0}, "limit"),
        ("/api/events", {"limit": 1001}, "limit"),
        ("/api/events", {"limit": "ten"}, "limit"),
        ("/api/events", {"offset": -1}, "offset"),
        ("/api/events", {"sort": "name"}, "sort"),
        ("/api/events", {"status": "closed"}, "status.0"),
        ("/api/events", {"since": "yesterday"}, "since"),
        ("/api/events", {"since": "2024-03-02", "until": "2024-03-01"}, "until"),
        ("/api/events", {"bbox": "1,2,3"}, "bbox"),
        ("/api/events", {"bbox": "0,50,10,40"}, "bbox"),  # S > N
        ("/api/events", {"bbox": "0,0,200,10"}, "bbox"),
        ("/api/events", {"min_score": "high"}, "min_score"),
        ("/api/events", {"sanctioned": "maybe"}, "sanctioned"),
        ("/api/events", {"mmsi": "abc"}, "mmsi"),
        ("/api/events", {"area": "atlantis"}, "area"),
        ("/api/map/events", {"limit": 0}, "limit"),
        ("/api/export/events", {"format": "xlsx"}, "format"),
        ("/api/vessels", {"q": "x" * 101}, "q"),
        ("/api/vessels/-5", {}, "mmsi"),
        ("/api/vessels/abc", {}, "mmsi"),
        ("/api/vessels/1000000000/track", {}, "mmsi"),
        (f"/api/vessels/{OCEAN_STAR}/track", {"max_points": 1}, "max_points"),
        (f"/api/vessels/{OCEAN_STAR}/track", {"until": "2024-13-01"}, "until"),
        (f"/api/vessels/{OCEAN_STAR}/events", {"sort": "x"}, "sort"),
        ("/api/events/x", {"hours": -1}, "hours"),
        ("/api/events/x", {"hours": 1000}, "hours"),
        ("/api/lists/watchlist/entries", {"limit": -3}, "limit"),
    ],
)
def test_malformed_parameters_are_422_naming_the_parameter(client, h, url, params, name):
    e = error_of(get(client, h, url, **params), 422)
    assert name in [d["name"] for d in e["details"]], e
    assert name.split(".")[0] in e["message"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/events/0000000000000000",
        "/api/events/0000000000000000/triage",
        "/api/vessels/123456789",
        "/api/vessels/123456789/events",
        "/api/vessels/123456789/track",
        "/api/lists/nope/entries",
        "/api/runs/no-such-run",
        "/api/no-such-endpoint",
    ],
)
def test_unknown_ids_are_404(client, h, url):
    e = error_of(get(client, h, url), 404)
    assert "Hint" in e["message"]


# --- the page's files ----------------------------------------------------------------------


def test_page_login_and_assets_need_no_token_and_load_nothing_from_elsewhere(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert client.get("/login").status_code == 200
    for asset in ("app.js", "app.css", "login.js", "vendor/maplibre-gl-csp.js",
                  "vendor/maplibre-gl-csp-worker.js", "vendor/maplibre-gl.css"):  # fmt: skip
        r = client.get(f"/static/{asset}")
        assert r.status_code == 200, asset
    for html in (page.text, client.get("/login").text):
        assert "http://" not in html and "https://" not in html  # no CDN
    js = client.get("/static/app.js").text
    assert "https://" not in js and "innerHTML" not in js


def test_basemap_is_land_where_land_is(client):
    import shapely
    from shapely.geometry import shape

    for name in ("land.geojson", "land-coarse.geojson"):
        r = client.get(f"/static/{name}", headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200
        fc = r.json()
        land = shapely.union_all([shape(f["geometry"]) for f in fc["features"]])
        assert land.contains(shapely.Point(126.98, 37.57)), name  # Seoul
        assert land.contains(shapely.Point(-98.0, 39.0)), name  # Kansas
        assert not land.contains(shapely.Point(*sample.MEET)), name  # the encounter, at sea
        assert not land.contains(shapely.Point(-30.0, 30.0)), name  # mid-Atlantic
