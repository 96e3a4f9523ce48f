"""The truth file: injected events and decoys with times taken from what was actually heard.

Planned events (encounters, loitering) keep their planned times. Gaps run from the last
position report heard before AIS went off to the first heard after it came back;
identity changes from the last static report with the old value to the first with the new;
an impossible-speed jump from the last true report before the false positions to the first
true one after (out and back); a second transmitter from its first to its last report heard;
crossings over the time the two ships were within 1 nm, from their true tracks.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from stswatch.simulate.injection import Draft
from stswatch.simulate.motion import TrackArrays
from stswatch.simulate.ports import PORTS
from stswatch.simulate.scenarios import iso
from stswatch.simulate.simulator import World
from stswatch.units import METERS_PER_NM, haversine_m

SCORED_TYPES = ("encounter", "loitering", "gap", "spoofing", "identity_change", "port_visit")


def _clean(x: Any) -> Any:
    """JSON-ready values: NumPy scalars to Python, floats rounded, times kept as given."""
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return round(float(x), 6)
    return x


def _gap(world: World, d: Draft) -> bool:
    i = d.ref["vessel"]
    a, b = d.ref["window"]
    r = world.reports
    mine = r.tx == i
    before = np.nonzero(mine & (r.ts <= a))[0]
    after = np.nonzero(mine & (r.ts >= b))[0]
    if before.size == 0 or after.size == 0:
        return False
    j, k = before[-1], after[0]
    rec = d.record
    rec["start"], rec["end"] = float(r.ts[j]), float(r.ts[k])
    rec["lon"] = (float(r.lon[j]) + float(r.lon[k])) / 2
    rec["lat"] = (float(r.lat[j]) + float(r.lat[k])) / 2
    rec["details"].update(
        {
            "ais_off": [iso(a), iso(b)],
            "start_lonlat": [float(r.lon[j]), float(r.lat[j])],
            "end_lonlat": [float(r.lon[k]), float(r.lat[k])],
            "moved_km": float(haversine_m(r.lon[j], r.lat[j], r.lon[k], r.lat[k])) / 1000,
        }
    )
    return True


def _identity(world: World, d: Draft) -> bool:
    i, t, fld = d.ref["vessel"], d.ref["t"], d.ref["field"]
    s = world.statics
    mine = s.vessel == i
    before = np.nonzero(mine & (s.ts < t))[0]
    after = np.nonzero(mine & (s.ts >= t))[0]
    if after.size == 0:
        return False
    rec = d.record
    rec["start"] = float(s.ts[before[-1]]) if before.size else t
    rec["end"] = float(s.ts[after[0]])
    pos = world.schedules[i].track.arrays().sample(np.array([t], dtype=np.float64))
    rec["lon"], rec["lat"] = float(pos.lon[0]), float(pos.lat[0])
    rec["details"]["field"] = fld
    return True


def _jump(world: World, d: Draft) -> bool:
    """From the last true report before the false ones to the first true one after."""
    ts = d.ref["ts"]
    if not ts:
        return False
    r = world.reports
    mine = r.ts[r.tx == d.ref["vessel"]]
    before, after = mine[mine < min(ts)], mine[mine > max(ts)]
    rec = d.record
    rec["start"] = float(before.max()) if before.size else float(min(ts))
    rec["end"] = float(after.min()) if after.size else float(max(ts))
    det = rec["details"]
    rec["lon"], rec["lat"] = det["reported_lon"], det["reported_lat"]
    pos = world.schedules[d.ref["vessel"]].track.arrays().sample(np.array([float(min(ts))]))
    det["false_reports"] = [iso(t) for t in ts]
    det["true_lonlat"] = [float(pos.lon[0]), float(pos.lat[0])]
    det["jump_km"] = float(haversine_m(pos.lon[0], pos.lat[0], rec["lon"], rec["lat"])) / 1000
    return True


def _ghost(world: World, d: Draft) -> bool:
    g = d.ref["ghost"]
    r = world.reports
    mine = np.nonzero(r.tx == len(world.fleet) + g)[0]
    if mine.size == 0:
        return False
    rec = d.record
    rec["start"], rec["end"] = float(r.ts[mine].min()), float(r.ts[mine].max())
    rec["lon"], rec["lat"] = float(r.lon[mine].mean()), float(r.lat[mine].mean())
    rec["details"]["reports"] = int(mine.size)
    return True


def _crossing(world: World, d: Draft) -> bool:
    a, b = d.ref["vessels"]
    t = d.ref["t"]
    ts = np.arange(t - 3600.0, t + 3600.0, 10.0)
    ta: TrackArrays = world.schedules[a].track.arrays()
    tb: TrackArrays = world.schedules[b].track.arrays()
    sa, sb = ta.sample(ts), tb.sample(ts)
    dist = haversine_m(sa.lon, sa.lat, sb.lon, sb.lat)
    near = np.nonzero(dist < METERS_PER_NM)[0]
    if near.size == 0:
        return False
    k = int(np.argmin(dist))
    rec = d.record
    rec["start"], rec["end"] = float(ts[near[0]]), float(ts[near[-1]])
    rec["details"].update(
        {
            "min_distance_m": float(dist[k]),
            "sog_at_closest_kn": [float(sa.sog_kn[k]), float(sb.sog_kn[k])],
        }
    )
    return True


FINISH = {"gap": _gap, "identity": _identity, "jump": _jump, "ghost": _ghost, "crossing": _crossing}


def _port_visits(world: World) -> list[dict[str, Any]]:
    t0, t1 = world.config.t0, world.config.t1
    out = []
    for v, sched in zip(world.fleet, world.schedules, strict=True):
        # A wait at a port's anchorage followed by its berth is one visit to that port, as in
        # GFW's port-visit definition (anchorage points of one port count as the port).
        calls: list[tuple[str, float, float]] = []
        for port, arr, dep in sched.calls:
            if calls and calls[-1][0] == port and arr - calls[-1][2] < 3600.0:
                calls[-1] = (port, calls[-1][1], dep)
            else:
                calls.append((port, arr, dep))
        for port, arr, dep in calls:
            a, b = max(arr, t0), min(dep, t1)
            if b - a < 3600.0:
                continue
            p = PORTS[port]
            out.append(
                {
                    "type": "port_visit",
                    "subtype": None,
                    "mmsi": v.mmsi,
                    "other_mmsi": None,
                    "start": a,
                    "end": b,
                    "lon": p.berth[0],
                    "lat": p.berth[1],
                    "details": {
                        "port": port,
                        "wpi_label": p.wpi_label,
                        "arrived": iso(arr),
                        "departed": iso(dep),
                    },
                }
            )
    return out


def truth(world: World) -> dict[str, Any]:
    """The content of ``truth.json``."""
    events: list[dict[str, Any]] = []
    decoys: list[dict[str, Any]] = []
    dropped = 0
    for d in world.injection.drafts:
        if d.how != "planned" and not FINISH[d.how](world, d):
            dropped += 1  # nothing heard to pin it on (rare: tiny runs)
            continue
        (decoys if d.decoy else events).append(d.record)
    events += _port_visits(world)
    key = ("type", "subtype", "mmsi", "other_mmsi", "start", "end", "lon", "lat")

    def finish(recs: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
        recs.sort(key=lambda r: (r["start"], r["type"], r["mmsi"]))
        out = []
        for n, r in enumerate(recs, 1):
            o: dict[str, Any] = {"id": f"{prefix}{n:04d}"}
            if "kind" in r:
                o["kind"] = r["kind"]
            o.update({k: r.get(k) for k in key})
            # whole seconds inside the true interval, so a report at "end" is still in it
            start, end = math.ceil(r["start"]), math.floor(r["end"])
            end = max(start, end)
            o["start"], o["end"] = iso(start), iso(end)
            o["duration_h"] = round((end - start) / 3600.0, 3)
            o["optional"] = bool(r.get("optional", False))
            o["details"] = r.get("details", {})
            out.append(_clean(o))
        return out

    cfg = world.config
    return {
        "simulated": True,
        "seed": cfg.seed,
        "params": cfg.params() | {"event_types": list(SCORED_TYPES), "dropped_drafts": dropped},
        "matching": "same type (and subtype when both give one); same vessels (unordered pair "
        "when either gives other_mmsi); intervals overlap by at least half the shorter",
        "events": finish(events, "E"),
        "decoys": finish(decoys, "D"),
        "vessels": [_clean(v.truth()) for v in world.fleet],
    }
