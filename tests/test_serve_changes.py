"""Changes through the API: triage with optimistic concurrency, lists and areas, and the
audit log that records each one (who, when, what, old and new value)."""

from __future__ import annotations

import shutil
import threading

import pytest
from fastapi.testclient import TestClient

from stswatch.serve import create_app, sample
from stswatch.serve.sample import OCEAN_STAR, SEA_PEARL


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "template.duckdb"
    ids = sample.build(path)
    return path, ids, sample.add_users(path)


@pytest.fixture
def client(template, tmp_path):
    dst = tmp_path / "s.duckdb"
    shutil.copy(template[0], dst)
    app = create_app(dst)
    yield TestClient(app)
    app.state.db.close()


@pytest.fixture(scope="module")
def ids(template):
    return template[1]


@pytest.fixture(scope="module")
def h(template):
    return {role: {"Authorization": f"Bearer {t}"} for role, t in template[2].items()}


def audit(client, h, **params):
    r = client.get("/api/audit", headers=h["admin"], params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


# --- triage ---------------------------------------------------------------------------------


def test_triage_update_bumps_the_version_and_is_audited(client, h, ids):
    url = f"/api/events/{ids['encounter']}/triage"
    r = client.put(url, headers=h["analyst"],
                   json={"status": "under_review", "note": "check the draught", "version": 0})  # fmt: skip
    assert r.status_code == 200, r.text
    rec = r.json()
    assert (rec["status"], rec["note"], rec["version"], rec["updated_by"]) == (
        "under_review", "check the draught", 1, "ana",
    )  # fmt: skip
    assert client.get(url, headers=h["viewer"]).json() == rec
    r = client.put(url, headers=h["admin"],
                   json={"status": "confirmed", "note": "draught rose 2.1 m", "version": 1})  # fmt: skip
    assert r.json()["version"] == 2 and r.json()["updated_by"] == "adam"
    # the list and the event show it
    listed = client.get("/api/events", headers=h["viewer"], params={"status": "confirmed"})
    assert [e["event_id"] for e in listed.json()["items"]] == [ids["encounter"]]
    assert listed.json()["items"][0]["triage_version"] == 2
    detail = client.get(f"/api/events/{ids['encounter']}", headers=h["viewer"]).json()
    assert detail["triage"]["status"] == "confirmed" and detail["event"]["status"] == "confirmed"
    log = audit(client, h, target=ids["encounter"])
    assert [(e["user"], e["action"]) for e in log] == [
        ("adam", "triage.update"), ("ana", "triage.update"),
    ]  # fmt: skip
    assert log[1]["old"] == {"status": "new", "note": None, "version": 0}
    assert log[1]["new"] == {"status": "under_review", "note": "check the draught", "version": 1}
    assert log[0]["old"] == log[1]["new"]
    assert log[0]["new"] == {"status": "confirmed", "note": "draught rose 2.1 m", "version": 2}


def test_stale_version_is_409_with_the_current_record_and_changes_nothing(client, h, ids):
    url = f"/api/events/{ids['gap']}/triage"
    first = client.put(url, headers=h["analyst"],
                       json={"status": "confirmed", "note": "went dark", "version": 0})  # fmt: skip
    assert first.status_code == 200
    # someone else read version 0 before that update and now saves
    late = client.put(url, headers=h["admin"],
                      json={"status": "dismissed", "note": "receiver outage", "version": 0})  # fmt: skip
    assert late.status_code == 409
    body = late.json()
    assert body["error"]["code"] == "conflict" and "version 1" in body["error"]["message"]
    assert "ana" in body["error"]["message"]
    assert body["current"] == first.json()
    assert client.get(url, headers=h["viewer"]).json() == first.json()
    assert len(audit(client, h, target=ids["gap"])) == 1
    # sending the current version replaces it (a deliberate overwrite)
    again = client.put(url, headers=h["admin"],
                       json={"status": "dismissed", "note": "receiver outage", "version": 1})  # fmt: skip
    assert again.status_code == 200 and again.json()["version"] == 2
    # a version from the future is stale too
    ahead = client.put(url, headers=h["admin"],
                       json={"status": "new", "note": None, "version": 7})  # fmt: skip
    assert ahead.status_code == 409 and ahead.json()["current"]["version"] == 2


def test_an_update_that_changes_nothing_keeps_the_version(client, h, ids):
    url = f"/api/events/{ids['loitering']}/triage"
    same = client.put(url, headers=h["analyst"], json={"status": "new", "note": "", "version": 0})
    assert same.status_code == 200 and same.json()["version"] == 0
    assert audit(client, h, target=ids["loitering"]) == []


def test_concurrent_updates_of_one_version_let_exactly_one_through(client, h, ids):
    url = f"/api/events/{ids['encounter']}/triage"
    results: list[int] = []
    barrier = threading.Barrier(8)

    def save(i: int) -> None:
        barrier.wait()
        r = client.put(url, headers=h["analyst"],
                       json={"status": "under_review", "note": f"analyst {i}", "version": 0})  # fmt: skip
        results.append(r.status_code)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [409] * 7
    final = client.get(url, headers=h["viewer"]).json()
    assert final["version"] == 1
    assert len(audit(client, h, target=ids["encounter"])) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"status": "closed", "version": 0},
        {"status": "confirmed"},  # no version
        {"status": "confirmed", "version": -1},
        {"status": "confirmed", "version": "one"},
        {"status": "confirmed", "version": 0, "owner": "me"},
        {"status": "confirmed", "version": 0, "note": "x" * 10_001},
    ],
)
def test_malformed_triage_is_422(client, h, ids, body):
    r = client.put(f"/api/events/{ids['gap']}/triage", headers=h["analyst"], json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"]


def test_triage_of_an_unknown_event_is_404(client, h):
    r = client.put("/api/events/nope/triage", headers=h["analyst"],
                   json={"status": "confirmed", "version": 0})  # fmt: skip
    assert r.status_code == 404


# --- lists --------------------------------------------------------------------------------

WATCHLIST_2 = b"imo,mmsi,name,note\n9074729,,OCEAN STAR,\n9321483,,SEA PEARL,added\n"


def test_admin_uploads_a_list_which_rescreens_and_is_audited(client, h):
    r = client.post(
        "/api/lists",
        headers=h["admin"] | {"Content-Type": "application/octet-stream"},
        params={"filename": "watchlist.csv", "name": "watchlist", "version": "2024-03-01"},
        content=WATCHLIST_2,
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["list"]["version"] == "2024-03-01" and out["list"]["entries"] == 2
    assert out["replaced_version"] == "2024-02-01" and out["gained"] == 1 and out["lost"] == 0
    assert out["list"]["source_file"] == "upload:watchlist.csv"
    pearl = client.get(f"/api/vessels/{SEA_PEARL}", headers=h["viewer"]).json()
    assert pearl["vessel"]["sanctioned"] is True
    stored = client.get("/api/lists", headers=h["viewer"]).json()[0]
    assert stored["source_file"] == "upload:watchlist.csv"
    (entry,) = audit(client, h, action="list.add")
    assert entry["user"] == "adam" and entry["target"] == "watchlist"
    assert entry["old"]["version"] == "2024-02-01" and entry["new"]["version"] == "2024-03-01"
    assert entry["new"]["gained"] == 1


def test_an_older_list_version_needs_force(client, h):
    params = {"filename": "w.csv", "name": "watchlist", "version": "2023-01-01"}
    r = client.post("/api/lists", headers=h["admin"], params=params, content=WATCHLIST_2)
    assert r.status_code == 422 and "force" in r.json()["error"]["message"]
    r = client.post("/api/lists", headers=h["admin"], params=params | {"force": "true"},
                    content=WATCHLIST_2)  # fmt: skip
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("params", "content", "status"),
    [
        ({"filename": "w.csv"}, b"", 422),  # empty body
        ({}, WATCHLIST_2, 422),  # no filename
        ({"filename": "w.csv", "format": "excel"}, WATCHLIST_2, 422),
        ({"filename": "w.csv", "version": "March"}, WATCHLIST_2, 422),
        ({"filename": "w.csv", "format": "csv"}, b"colour,size\nred,3\n", 422),  # unreadable
    ],
)
def test_bad_list_uploads_are_refused_and_change_nothing(client, h, params, content, status):
    r = client.post("/api/lists", headers=h["admin"], params=params, content=content)
    assert r.status_code == status, r.text
    assert r.json()["error"]["message"]
    assert [x["name"] for x in client.get("/api/lists", headers=h["viewer"]).json()] == [
        "watchlist"
    ]
    assert audit(client, h, action="list.add") == []


def test_admin_removes_a_list_which_rescreens_and_is_audited(client, h):
    r = client.delete("/api/lists/watchlist", headers=h["admin"])
    assert r.status_code == 200, r.text
    assert r.json()["lost"] == 1 and r.json()["matches"] == 0
    star = client.get(f"/api/vessels/{OCEAN_STAR}", headers=h["viewer"]).json()
    assert star["vessel"]["sanctioned"] is False and star["matches"] == []
    (entry,) = audit(client, h, action="list.remove")
    assert entry["old"]["name"] == "watchlist" and entry["new"] is None
    assert client.delete("/api/lists/watchlist", headers=h["admin"]).status_code == 404


# --- areas --------------------------------------------------------------------------------

BOX = {
    "type": "Feature",
    "properties": {"name": "meeting_box", "weight": 0.5, "source": "test"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [
            [[123.7, 38.4], [123.9, 38.4], [123.9, 38.6], [123.7, 38.6], [123.7, 38.4]]
        ],
    },
}


def test_admin_adds_and_removes_an_area_with_audit(client, h, ids):
    r = client.post("/api/areas", headers=h["admin"], json=BOX)
    assert r.status_code == 201, r.text
    assert r.json() == {"added": ["meeting_box"], "rescored": True}
    fc = client.get("/api/areas", headers=h["viewer"]).json()
    mine = [f for f in fc["features"] if f["properties"]["name"] == "meeting_box"]
    assert mine[0]["properties"]["origin"] == "user" and mine[0]["properties"]["weight"] == 0.5
    inside = client.get("/api/events", headers=h["viewer"], params={"area": "meeting_box"})
    assert [e["event_id"] for e in inside.json()["items"]] == [ids["encounter"]]
    (added,) = audit(client, h, action="area.add")
    assert added["old"] is None and added["new"]["geometry"]["type"] == "Polygon"
    r = client.delete("/api/areas/meeting_box", headers=h["admin"])
    assert r.status_code == 200 and r.json()["removed"] == "meeting_box"
    (removed,) = audit(client, h, action="area.remove")
    assert removed["old"]["weight"] == 0.5 and removed["new"] is None
    assert client.delete("/api/areas/meeting_box", headers=h["admin"]).status_code == 404


def test_builtin_areas_cannot_be_removed(client, h):
    r = client.delete("/api/areas/yellow_sea_korea_bay", headers=h["admin"])
    assert r.status_code == 409 and "built-in" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"type": "Point", "coordinates": [1, 2]},
        {"type": "Feature", "properties": {}, "geometry": BOX["geometry"]},  # no name
        {"type": "Feature", "properties": {"name": "x", "weight": 3}, "geometry": BOX["geometry"]},
        {"hello": "world"},
    ],
)
def test_bad_areas_are_422(client, h, body):
    r = client.post("/api/areas", headers=h["admin"], json=body)
    assert r.status_code == 422, r.text
    assert audit(client, h, action="area.add") == []


def test_audit_pages_and_filters(client, h, ids):
    for version, status in enumerate(["under_review", "confirmed", "dismissed"]):
        client.put(f"/api/events/{ids['gap']}/triage", headers=h["analyst"],
                   json={"status": status, "version": version})  # fmt: skip
    r = client.get("/api/audit", headers=h["admin"],
                   params={"action": "triage.update", "limit": 2})  # fmt: skip
    page = r.json()
    assert page["total"] == 3 and len(page["items"]) == 2
    assert page["items"][0]["new"]["status"] == "dismissed"  # newest first
    rest = client.get("/api/audit", headers=h["admin"],
                      params={"action": "triage.update", "limit": 2, "offset": 2}).json()  # fmt: skip
    assert [e["new"]["status"] for e in rest["items"]] == ["under_review"]
    assert (
        client.get("/api/audit", headers=h["admin"], params={"user": "nobody"}).json()["total"] == 0
    )
    assert client.get("/api/audit", headers=h["admin"], params={"limit": 0}).status_code == 422
