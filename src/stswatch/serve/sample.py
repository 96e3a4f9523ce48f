"""Stores to try and test the service on: one hand-made scenario, and bulk synthetic load.

``scenario(store)`` writes a small story a reviewer can check by eye (times UTC, 1 March
2024, Korea Bay; reports every 10 minutes):

* tanker OCEAN STAR (MMSI 352001234, IMO 9074729, on the watchlist) sails north-east from
  00:00; tanker SEA PEARL (477123456, IMO 9321483) sails south-west;
  # encounter starts 06:00 at 123.80E 38.50N: both drift side by side ...
  # encounter ends 10:00: they part, OCEAN STAR to the south-east, SEA PEARL to the west;
* OCEAN STAR goes dark after its 10:10 report until 13:40 (a gap right after the encounter);
* SEA PEARL renames itself PEARL 1 at 08:00, during the encounter (an identity change);
* fishing vessel LONE FISHER (412000001) loiters at 122.50E 37.20N from 02:00 to 08:00.

Events, a detection run, scores (with reasons) and the watchlist match are stored as the
pipeline would store them. ``synthetic(store, events, positions)`` adds many random vessels
and events (for the page's load test); the numbers mean nothing.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from stswatch import __version__, schema
from stswatch.screen import add_list
from stswatch.store import Store

T0 = datetime(2024, 3, 1, tzinfo=UTC)
STEP = timedelta(minutes=10)
RUN_ID = "run-sample-1"
OCEAN_STAR, SEA_PEARL, LONE_FISHER = 352001234, 477123456, 412000001
MEET = (123.80, 38.50)


def event_id(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]


def _leg(a: tuple[float, float], b: tuple[float, float], t_a: int, t_b: int) -> list[tuple]:
    """Positions from a to b, one per 10-minute step from step t_a to step t_b (exclusive)."""
    n = t_b - t_a
    out = []
    for i in range(n):
        f = i / n
        out.append((t_a + i, a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f))
    return out


def _positions(mmsi: int, pts: list[tuple], batch: str) -> list[dict[str, Any]]:
    rows = []
    for k, (step, lon, lat) in enumerate(pts):
        nxt = pts[min(k + 1, len(pts) - 1)]
        d_lon = (nxt[1] - lon) * np.cos(np.radians(lat))
        d_lat = nxt[2] - lat
        dist_nm = float(np.hypot(d_lon, d_lat) * 60)
        rows.append(
            {
                "mmsi": mmsi,
                "ts": T0 + step * STEP,
                "lon": round(lon, 6),
                "lat": round(lat, 6),
                "sog": round(dist_nm / (STEP.total_seconds() / 3600), 1),
                "cog": round(float(np.degrees(np.arctan2(d_lon, d_lat)) % 360), 1),
                "heading": None,
                "nav_status": 0,
                "msg_type": 1,
                "source": "sample",
                "station": None,
                "batch_id": batch,
            }
        )
    return rows


def _static(mmsi: int, ts: datetime, name: str, imo: int | None, cs: str, typ: int) -> dict:
    return {"mmsi": mmsi, "ts": ts, "msg_type": 5, "imo": imo, "name": name, "callsign": cs,
            "ship_type": typ, "source": "sample", "batch_id": "sample"}  # fmt: skip


def _insert(store: Store, table: str, rows: list[dict[str, Any]] | pa.Table) -> None:
    sch = pa.schema([pa.field(f.name, f.type) for f in schema.TABLES[table]])
    tbl = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=sch)
    cols = [
        tbl[f.name] if f.name in tbl.column_names else pa.nulls(tbl.num_rows, f.type) for f in sch
    ]
    store.con.register("sample_rows", pa.Table.from_arrays(cols, schema=sch))
    try:
        store.con.execute(f"INSERT INTO {table} SELECT * FROM sample_rows")  # constant names
    finally:
        store.con.unregister("sample_rows")


def _event(kind: str, sub: str | None, mmsi: int, other: int | None, s: int, e: int,
           lon: float | None, lat: float | None, evidence: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    start, end = T0 + s * STEP, T0 + e * STEP
    return {
        "event_id": event_id(kind, sub, mmsi, other, start.isoformat()),
        "type": kind,
        "subtype": sub,
        "mmsi": mmsi,
        "other_mmsi": other,
        "start": start,
        "end": end,
        "lon": lon,
        "lat": lat,
        "duration_h": (end - start).total_seconds() / 3600,
        "evidence": json.dumps(evidence),
        "run_id": RUN_ID,
    }


def _reason(
    factor: str, points: float, practice: str | None, mmsi: int | None, **detail: Any
) -> dict[str, Any]:
    """A score reason in the shape ``stswatch.score`` writes."""
    return {"factor": factor, "points": points, "weight": points, "strength": 1.0,
            "practice": practice, "mmsi": mmsi, "detail": detail}  # fmt: skip


def scenario(store: Store) -> dict[str, Any]:
    """Write the hand-made story of the module docstring; returns its event ids by name."""
    # OCEAN STAR: 00:00-06:00 to the meeting point, drifts to 10:00, leaves to the SE; no
    # reports from 10:20 to 13:30 (the gap: 10:10 to 13:40), then on to 16:00.
    star = (
        _leg((122.80, 38.00), MEET, 0, 36)  # 00:00-06:00
        + _leg(MEET, (MEET[0] + 0.004, MEET[1] - 0.002), 36, 60)  # encounter, drifting
        + _leg((MEET[0] + 0.004, MEET[1] - 0.002), (124.60, 37.60), 60, 97)  # 10:00-16:00
    )
    star = [p for p in star if not (62 <= p[0] <= 81)]  # steps 62-81: 10:20-13:30
    pearl = (
        _leg((124.90, 39.20), (MEET[0] + 0.0005, MEET[1] + 0.0003), 0, 36)
        + _leg((MEET[0] + 0.0005, MEET[1] + 0.0003), (MEET[0] + 0.0045, MEET[1] - 0.0017), 36, 60)
        + _leg((MEET[0] + 0.0045, MEET[1] - 0.0017), (122.90, 39.10), 60, 97)
    )
    fisher = _leg((122.30, 37.10), (122.50, 37.20), 0, 12) + [
        (s, 122.50 + 0.002 * np.sin(s), 37.20 + 0.002 * np.cos(s)) for s in range(12, 49)
    ] + _leg((122.50, 37.20), (122.10, 36.90), 49, 73)  # fmt: skip
    rows = (
        _positions(OCEAN_STAR, star, "sample")
        + _positions(SEA_PEARL, pearl, "sample")
        + _positions(LONE_FISHER, fisher, "sample")
    )
    _insert(store, "positions", rows)
    _insert(
        store,
        "statics",
        [
            _static(OCEAN_STAR, T0, "OCEAN STAR", 9074729, "3FAB5", 80),
            _static(SEA_PEARL, T0, "SEA PEARL", 9321483, "D5XY2", 80),
            _static(SEA_PEARL, T0 + 48 * STEP, "PEARL 1", 9321483, "D5XY2", 80),
            _static(LONE_FISHER, T0, "LONE FISHER", None, "BZAB1", 30),
        ],
    )
    events = {
        "encounter": _event("encounter", None, OCEAN_STAR, SEA_PEARL, 36, 60, *MEET,
                            {"median_distance_m": 38.0, "min_distance_m": 12.5,
                             "median_speed_kn": 0.3, "points": 25}),
        "gap": _event("gap", None, OCEAN_STAR, None, 61, 82, 123.95, 38.35,
                      {"gap_h": 3.5, "distance_m": 20500.0, "implied_speed_kn": 3.2}),
        "loitering": _event("loitering", None, LONE_FISHER, None, 12, 48, 122.50, 37.20,
                            {"median_speed_kn": 0.4, "distance_to_shore_m": 42000.0}),
        "identity_change": _event("identity_change", "name", SEA_PEARL, None, 48, 48, None,
                                  None, {"from": "SEA PEARL", "to": "PEARL 1"}),
    }  # fmt: skip
    _insert(store, "events", list(events.values()))
    _insert(store, "runs", [_run(len(events), len(rows))])
    # the list first: loading it re-scores with the real scorer; the hand-made scores below
    # (what a reviewer can check) replace those
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "watchlist.csv"
        path.write_text("imo,mmsi,name,note\n9074729,,OCEAN STAR,sample entry\n")
        add_list(store, path, name="watchlist", version=date(2024, 2, 1), now=T0)
    store.con.execute("DELETE FROM scores")
    sts, dark = "Ship-to-ship transfers", "Disabling or manipulating AIS"
    listed = {"list": "watchlist", "entry_name": "OCEAN STAR", "method": "imo", "confidence": 0.99}
    scores = [
        (events["encounter"], 87.5, [
            _reason("listed_party", 40.0, None, OCEAN_STAR, **listed),
            _reason("dark_near_encounter", 25.0, dark, OCEAN_STAR,
                    event_id=events["gap"]["event_id"], hours_apart=0.17),
            _reason("tanker", 12.5, sts, SEA_PEARL, ship_type=80),
            _reason("area_of_interest", 10.0, sts, None, areas=["yellow_sea_korea_bay"]),
        ]),
        (events["gap"], 55.0, [
            _reason("listed_party", 40.0, None, OCEAN_STAR, **listed),
            _reason("dark_near_encounter", 15.0, dark, OCEAN_STAR,
                    event_id=events["encounter"]["event_id"], hours_apart=0.17),
        ]),
        (events["loitering"], 20.0, [_reason("loitering", 20.0, sts, LONE_FISHER, hours=6.0)]),
    ]  # fmt: skip
    _insert(
        store,
        "scores",
        [
            {"event_id": ev["event_id"], "score": sc, "reasons": json.dumps(rs),
             "run_id": RUN_ID, "computed_at": T0 + timedelta(days=1)}
            for ev, sc, rs in scores
        ],
    )  # fmt: skip
    return {k: v["event_id"] for k, v in events.items()}


def _run(n_events: int, n_positions: int) -> dict[str, Any]:
    return {
        "run_id": RUN_ID, "started": T0 + timedelta(days=1), "finished": T0 + timedelta(days=1),
        "stswatch_version": __version__, "params": json.dumps({"encounter": {}}),
        "config_source": "defaults", "since": None, "until": None, "bbox": None,
        "positions": n_positions, "events": n_events, "batches": json.dumps(["sample"]),
    }  # fmt: skip


EVENT_TYPES = ("encounter", "loitering", "gap", "spoofing", "identity_change", "port_visit")


def synthetic(store: Store, events: int, positions: int, seed: int = 0) -> None:
    """Add ``events`` random events and ``positions`` random positions (100 per vessel) in
    the Yellow Sea, with scores, for load tests. Vessel MMSIs start at 413000000."""
    rng = np.random.default_rng(seed)
    per = 100
    n_vessels = max(1, positions // per)
    mmsi = 413_000_000 + np.arange(n_vessels, dtype=np.int64)
    t0_us = int(T0.timestamp() * 1e6)
    step_us = int(STEP.total_seconds() * 1e6)
    start_lon = rng.uniform(119.5, 125.5, n_vessels)
    start_lat = rng.uniform(32.0, 38.5, n_vessels)
    walk_lon = np.cumsum(rng.normal(0, 0.01, (n_vessels, per)), axis=1)
    walk_lat = np.cumsum(rng.normal(0, 0.01, (n_vessels, per)), axis=1)
    offset = rng.integers(0, 24 * 6, n_vessels)
    steps = offset[:, None] + np.arange(per)[None, :]
    n = n_vessels * per
    pos = pa.table(
        {
            "mmsi": np.repeat(mmsi, per),
            "ts": pa.array((t0_us + steps * step_us).ravel(), pa.timestamp("us", tz="UTC")),
            "lon": (start_lon[:, None] + walk_lon).ravel(),
            "lat": (start_lat[:, None] + walk_lat).ravel(),
            "sog": rng.uniform(0, 14, n).astype(np.float32),
            "cog": rng.uniform(0, 360, n).astype(np.float32),
            "heading": pa.nulls(n, pa.int16()),
            "nav_status": pa.nulls(n, pa.int8()),
            "msg_type": np.full(n, 1, np.int8),
            "source": pa.array(["synthetic"] * n),
            "station": pa.nulls(n, pa.string()),
            "batch_id": pa.array(["synthetic"] * n),
        }
    )
    _insert(store, "positions", pos.slice(0, positions))
    _insert(
        store,
        "statics",
        pa.table(
            {
                "mmsi": mmsi,
                "ts": pa.array([T0] * n_vessels, pa.timestamp("us", tz="UTC")),
                "msg_type": np.full(n_vessels, 5, np.int8),
                "name": pa.array([f"SYNTH {i:05d}" for i in range(n_vessels)]),
                "ship_type": np.full(n_vessels, 80, np.int16),
                "source": pa.array(["synthetic"] * n_vessels),
                "batch_id": pa.array(["synthetic"] * n_vessels),
            }
        ),  # fmt: skip
    )
    who = rng.integers(0, n_vessels, events)
    kinds = rng.choice(len(EVENT_TYPES), events)
    other = np.where(kinds == 0, mmsi[(who + 1) % n_vessels], -1)
    ev_step = offset[who] + rng.integers(0, per - 10, events)
    dur = rng.integers(1, 9, events)
    ids = [f"synthetic-{i:06d}" for i in range(events)]
    ev = pa.table(
        {
            "event_id": ids,
            "type": [EVENT_TYPES[k] for k in kinds],
            "subtype": pa.nulls(events, pa.string()),
            "mmsi": mmsi[who],
            "other_mmsi": pa.array(other, mask=other < 0),
            "start": pa.array(t0_us + ev_step * step_us, pa.timestamp("us", tz="UTC")),
            "end": pa.array(t0_us + (ev_step + dur) * step_us, pa.timestamp("us", tz="UTC")),
            "lon": start_lon[who] + walk_lon[who, ev_step - offset[who]],
            "lat": start_lat[who] + walk_lat[who, ev_step - offset[who]],
            "duration_h": dur * STEP.total_seconds() / 3600,
            "evidence": ["{}"] * events,
            "run_id": [RUN_ID] * events,
        }
    )
    _insert(store, "events", ev)
    score = np.round(rng.uniform(0, 100, events), 1)
    _insert(
        store,
        "scores",
        pa.table(
            {
                "event_id": ids, "score": score,
                "reasons": [
                    json.dumps([_reason("synthetic", float(s), None, None, random=True)])
                    for s in score
                ],
                "run_id": [RUN_ID] * events,
                "computed_at": pa.array([T0] * events, pa.timestamp("us", tz="UTC")),
            }
        ),
    )  # fmt: skip


def build(path: str | Path, events: int = 0, positions: int = 0) -> dict[str, Any]:
    """A new store at ``path`` with the scenario (and synthetic load if asked for)."""
    with Store(path) as store:
        ids = scenario(store)
        if events or positions:
            synthetic(store, events, positions)
    return ids


USERS = {"viewer": "vic", "analyst": "ana", "admin": "adam"}


def add_users(path: str | Path) -> dict[str, str]:
    """Add one user per role (``USERS``); returns their tokens by role."""
    from stswatch.serve.auth import add_user
    from stswatch.serve.db import Database

    db = Database(path)
    try:
        with db.write() as w:
            return {role: add_user(w, name, role, "sample")[1] for role, name in USERS.items()}
    finally:
        db.close()


if __name__ == "__main__":
    import sys

    target = sys.argv[1] if len(sys.argv) > 1 else "sample.duckdb"
    n_ev = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    n_pos = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    print(json.dumps({"events": build(target, n_ev, n_pos), "tokens": add_users(target)}, indent=2))
