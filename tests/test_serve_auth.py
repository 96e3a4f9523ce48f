"""Users, tokens and roles: who may call which endpoint, hashed tokens, the users API and CLI.

Every API endpoint is in ``REQUIRED``; a new endpoint fails
``test_every_endpoint_has_a_required_role`` until it is added here, so each one is tested
for 401 without a valid token and 403 for each role below the one it needs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import duckdb
import pytest
from fastapi.testclient import TestClient

from stswatch.serve import auth, create_app, sample
from stswatch.serve.app import api_routes
from stswatch.serve.sample import OCEAN_STAR

ROLES = ("viewer", "analyst", "admin")

REQUIRED = {
    ("GET", "/api/me"): "viewer",
    ("GET", "/api/summary"): "viewer",
    ("GET", "/api/runs/{run_id}"): "viewer",
    ("GET", "/api/audit"): "admin",
    ("GET", "/api/events"): "viewer",
    ("GET", "/api/map/events"): "viewer",
    ("GET", "/api/export/events"): "viewer",
    ("GET", "/api/events/{event_id}"): "viewer",
    ("GET", "/api/events/{event_id}/triage"): "viewer",
    ("PUT", "/api/events/{event_id}/triage"): "analyst",
    ("GET", "/api/vessels"): "viewer",
    ("GET", "/api/vessels/{mmsi}"): "viewer",
    ("GET", "/api/vessels/{mmsi}/events"): "viewer",
    ("GET", "/api/vessels/{mmsi}/track"): "viewer",
    ("GET", "/api/lists"): "viewer",
    ("GET", "/api/lists/{name}/entries"): "viewer",
    ("POST", "/api/lists"): "admin",
    ("DELETE", "/api/lists/{name}"): "admin",
    ("GET", "/api/areas"): "viewer",
    ("POST", "/api/areas"): "admin",
    ("DELETE", "/api/areas/{name}"): "admin",
    ("GET", "/api/users"): "admin",
    ("POST", "/api/users"): "admin",
    ("DELETE", "/api/users/{name}"): "admin",
}
PATH_VALUES = {
    "{run_id}": sample.RUN_ID,
    "{event_id}": "0000000000000000",
    "{mmsi}": str(OCEAN_STAR),
    "{name}": "watchlist",
}


def concrete(path: str) -> str:
    for k, v in PATH_VALUES.items():
        path = path.replace(k, v)
    return path


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "template.duckdb"
    sample.build(path)
    return path, sample.add_users(path)


@pytest.fixture
def store(template, tmp_path):
    """A fresh copy of the scenario store (these tests change users)."""
    dst = tmp_path / "s.duckdb"
    shutil.copy(template[0], dst)
    return dst


@pytest.fixture
def client(store):
    app = create_app(store)
    yield TestClient(app)
    app.state.db.close()


@pytest.fixture(scope="module")
def tokens(template):
    return template[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def call(client, method: str, path: str, headers: dict[str, str] | None = None):
    return client.request(method, concrete(path), headers=headers or {})


def test_every_endpoint_has_a_required_role():
    assert set(REQUIRED) == set(api_routes())


@pytest.mark.parametrize(("method", "path"), sorted(REQUIRED))
def test_no_token_or_a_bad_one_is_401_for_every_endpoint(client, tokens, method, path):
    for headers in (
        {},
        bearer("stsw_000000000000_not-a-real-secret"),
        bearer("just-garbage"),
        bearer(tokens["admin"] + "x"),  # right id, wrong secret
        {"Authorization": f"Basic {tokens['admin']}"},  # wrong scheme
    ):
        r = call(client, method, path, headers)
        assert r.status_code == 401, (headers, r.text)
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), sorted(REQUIRED))
def test_each_role_below_the_one_required_is_403(client, tokens, method, path):
    needed = REQUIRED[(method, path)]
    for role in ROLES[: ROLES.index(needed)]:
        r = call(client, method, path, bearer(tokens[role]))
        assert r.status_code == 403, (role, r.text)
        e = r.json()["error"]
        assert e["code"] == "forbidden" and needed in e["message"] and role in e["message"]


@pytest.mark.parametrize(("method", "path"), sorted(REQUIRED))
def test_the_required_role_and_above_get_past_the_check(client, tokens, method, path):
    needed = REQUIRED[(method, path)]
    for role in ROLES[ROLES.index(needed) :]:
        r = call(client, method, path, bearer(tokens[role]))
        # past authorization, the request may still be incomplete (422) or name nothing (404)
        assert r.status_code not in (401, 403), (role, r.text)


def test_openapi_needs_a_token(client, tokens):
    assert client.get("/api/openapi.json").status_code == 401
    assert client.get("/api/openapi.json", headers=bearer(tokens["viewer"])).status_code == 200
    assert client.get("/docs").status_code == 404  # Swagger would load from a CDN


def test_tokens_are_stored_only_as_salted_scrypt_hashes(store, client, tokens):
    client.app.state.db.close()
    con = duckdb.connect(str(store), read_only=True)
    users = con.execute("SELECT name, token_id, token_hash, salt FROM users").fetchall()
    everything = json.dumps(
        [con.execute(f"SELECT * FROM {t}").fetchall() for t in ("users", "audit")], default=str
    )
    con.close()
    for token in tokens.values():
        secret = token.split("_", 2)[2]
        assert secret not in everything
    assert len({u[3] for u in users}) == 3  # one salt per user
    for _, token_id, token_hash, salt in users:
        assert len(token_hash) == 64 and len(salt) == 32
        token = next(t for t in tokens.values() if t.split("_")[1] == token_id)
        assert auth.hash_secret(token.split("_", 2)[2], bytes.fromhex(salt)) == token_hash


def test_hash_depends_on_the_salt():
    a, b = auth.hash_secret("s", b"1" * 16), auth.hash_secret("s", b"2" * 16)
    assert a != b and a == auth.hash_secret("s", b"1" * 16)


def test_removed_user_is_locked_out_at_once(client, tokens):
    admin, viewer = bearer(tokens["admin"]), bearer(tokens["viewer"])
    assert client.get("/api/me", headers=viewer).status_code == 200  # verified and remembered
    r = client.delete("/api/users/vic", headers=admin)
    assert r.status_code == 200 and r.json()["name"] == "vic"
    assert client.get("/api/me", headers=viewer).status_code == 401


def test_users_api_add_list_remove_with_audit(client, tokens):
    admin = bearer(tokens["admin"])
    r = client.post("/api/users", headers=admin, json={"name": "zoe", "role": "analyst"})
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert token.startswith("stsw_") and r.json()["user"]["role"] == "analyst"
    assert client.get("/api/me", headers=bearer(token)).json() == {"name": "zoe", "role": "analyst"}
    listed = client.get("/api/users", headers=admin).json()
    assert [u["name"] for u in listed] == ["adam", "ana", "vic", "zoe"]
    assert all(set(u) == {"name", "role", "token_id", "created"} for u in listed)
    assert client.delete("/api/users/zoe", headers=admin).status_code == 200
    log = client.get("/api/audit", headers=admin, params={"target": "zoe"}).json()
    assert [(e["action"], e["user"]) for e in log["items"]] == [
        ("user.remove", "adam"), ("user.add", "adam"),
    ]  # fmt: skip
    removed, added = log["items"]
    assert added["old"] is None and added["new"]["role"] == "analyst"
    assert removed["old"]["name"] == "zoe" and removed["new"] is None
    assert "token_hash" not in json.dumps(log)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "ana", "role": "viewer"}, 409),  # exists
        ({"name": "bob", "role": "root"}, 422),
        ({"name": "bad name", "role": "viewer"}, 422),
        ({"name": "", "role": "viewer"}, 422),
        ({"name": "bob"}, 422),
        ({"name": "bob", "role": "viewer", "token": "mine"}, 422),  # no choosing tokens
    ],
)
def test_users_api_refusals(client, tokens, body, status):
    r = client.post("/api/users", headers=bearer(tokens["admin"]), json=body)
    assert r.status_code == status, r.text


def test_unknown_user_is_404_and_the_last_admin_stays(client, tokens):
    admin = bearer(tokens["admin"])
    assert client.delete("/api/users/nobody", headers=admin).status_code == 404
    r = client.delete("/api/users/adam", headers=admin)
    assert r.status_code == 409 and "last admin" in r.json()["error"]["message"]
    assert client.get("/api/me", headers=admin).status_code == 200


# --- the command line ----------------------------------------------------------------------

CLI = "import stswatch.cli.serve; from stswatch.cli import main; main()"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], capture_output=True, text=True, check=False
    )


def test_cli_users_add_prints_the_token_once_and_list_remove(tmp_path):
    db = str(tmp_path / "u.duckdb")
    r = run("users", "add", "root", "--role", "admin", "--db", db)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert token.startswith("stsw_") and "shown only now" in r.stderr
    assert run("users", "add", "eve", "--db", db).returncode == 0  # viewer by default
    listed = json.loads(run("users", "list", "--db", db, "--format", "json").stdout)
    assert [(u["name"], u["role"]) for u in listed] == [("eve", "viewer"), ("root", "admin")]
    assert "token_hash" not in json.dumps(listed)
    dup = run("users", "add", "eve", "--db", db)
    assert dup.returncode == 2 and "exists" in dup.stderr
    last = run("users", "remove", "root", "--db", db)
    assert last.returncode == 2 and "last admin" in last.stderr
    assert run("users", "remove", "eve", "--db", db).returncode == 0
    app = create_app(db)
    try:
        assert TestClient(app).get("/api/me", headers=bearer(token)).json()["role"] == "admin"
        log = TestClient(app).get("/api/audit", headers=bearer(token)).json()["items"]
        assert {e["action"] for e in log} == {"user.add", "user.remove"}
        assert all(e["user"].startswith("cli") for e in log)
    finally:
        app.state.db.close()
