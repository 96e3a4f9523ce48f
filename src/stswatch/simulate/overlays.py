"""Events laid over planned tracks: spoofing, identity changes and short gaps.

* ``spoofing`` / ``impossible_speed``: 3-8 consecutive reports of a ship under way are
  placed at a lane node 300+ km away (a deliberate false position held for a while; a
  single stray report is what satellite bit errors look like and is not called spoofing), then the reports come back to the true track (the
  event runs from the last true report before to the first true report after).
* ``spoofing`` / ``mmsi_collision``: for 2-8 h a second transmitter uses the ship's MMSI,
  sailing a lane 200+ km from the ship the whole time.
* ``identity_change`` / ``name``, ``callsign`` or ``imo``: while under way, the ship starts
  broadcasting a different value in its type 5 reports (and keeps it).
* ``short_gap`` decoy: AIS off for 1-5.5 h while under way.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from stswatch.simulate.identities import (
    CLASS_A,
    FLAGS,
    Vessel,
    random_callsign,
    random_imo,
    random_name,
)
from stswatch.simulate.injection import NEEDS_CLASS_A, Draft, Ghost, Injection, Jump, event
from stswatch.simulate.lanes import NODES, TIGHT_NODES, graph, polyline_length_m
from stswatch.simulate.motion import UNDERWAY, LonLat, Track, TrackArrays, offset
from stswatch.simulate.traffic import HOUR_S, Schedule
from stswatch.units import KNOTS_TO_MPS, haversine_m

OPEN_NODES = tuple(n for n in NODES if n not in TIGHT_NODES)
OVERLAY_KINDS = (
    "identity_name",
    "identity_callsign",
    "identity_imo",
    "impossible_speed",
    "mmsi_collision",
    "short_gap",
)


class Overlays:
    """Adds the overlay tasks of an ``Injection`` once every track is planned."""

    def __init__(self, fleet: list[Vessel], t0: float, t1: float, inj: Injection) -> None:
        self.fleet = fleet
        self.t0 = t0
        self.t1 = t1
        self.inj = inj

    def apply(self, schedules: list[Schedule], rng: np.random.Generator) -> None:
        for n, (kind, vessels) in enumerate(self.inj.tasks):
            if kind not in OVERLAY_KINDS:
                continue
            lo, hi = (0.25, 0.85) if kind.startswith("identity_") else (0.1, 0.85)
            for i in [vessels[0], *self.inj.spare]:  # a spare ship if this one never sails
                arrays = schedules[i].track.arrays()
                t = self._underway_time(arrays, rng, lo, hi)
                if t is not None and (kind not in NEEDS_CLASS_A or self.fleet[i].klass == CLASS_A):
                    break
            else:
                continue
            if i != vessels[0]:
                self.inj.spare.remove(i)
                self.inj.spare.append(vessels[0])
                self.fleet[vessels[0]].uses.remove(kind)
                self.fleet[i].uses.append(kind)
                self.inj.tasks[n] = (kind, [i])
            self._apply(kind, i, arrays, t, rng)

    def _apply(
        self, kind: str, i: int, arrays: TrackArrays, t: float, rng: np.random.Generator
    ) -> None:
        if kind.startswith("identity_"):
            self._identity_change(i, t, kind.removeprefix("identity_"), rng)
        elif kind == "impossible_speed":
            far = self._far_point(arrays, t, rng)
            self.inj.jumps.append(Jump(i, t, int(rng.integers(3, 9)), far))
        elif kind == "mmsi_collision":
            self._ghost(i, arrays, rng)
        elif kind == "short_gap":
            w = (t, t + rng.uniform(1.0, 5.5) * HOUR_S)
            self.inj.off.setdefault(i, []).append(w)
            rec = event("gap", kind="short_gap", mmsi=self.fleet[i].mmsi, details={})
            self.inj.drafts.append(Draft(rec, "gap", {"vessel": i, "window": w}, True))

    def _underway_time(
        self, arrays: TrackArrays, rng: np.random.Generator, lo: float, hi: float
    ) -> float | None:
        """A time in the given share of the window when the ship sails at over 5 kn."""
        span = self.t1 - self.t0
        ts = np.arange(self.t0 + lo * span, self.t0 + hi * span, 600.0)
        s = arrays.sample(ts)
        ok = ts[(s.mode == UNDERWAY) & (s.sog_kn > 5.0)]
        return None if ok.size == 0 else float(rng.choice(ok))

    def _identity_change(self, i: int, t: float, field: str, rng: np.random.Generator) -> None:
        v = self.fleet[i]
        old = v.identity
        if field == "name":
            new = replace(old, name=random_name(rng, v.flag, old.ship_type))
        elif field == "callsign":
            new = replace(old, callsign=random_callsign(rng, FLAGS[v.flag]))
        else:
            new = replace(old, imo=random_imo(rng))
        self.inj.id_changes.setdefault(i, []).append((t, new))
        details = {"before": getattr(old, field), "after": getattr(new, field)}
        rec = event("identity_change", subtype=field, mmsi=v.mmsi, details=details)
        self.inj.drafts.append(Draft(rec, "identity", {"vessel": i, "t": t, "field": field}))

    def _far_point(self, arrays: TrackArrays, t: float, rng: np.random.Generator) -> LonLat:
        s = arrays.sample(np.array([t]))
        far = [NODES[n] for n in OPEN_NODES if haversine_m(s.lon[0], s.lat[0], *NODES[n]) > 300e3]
        lon, lat = far[int(rng.integers(len(far)))]
        dx, dy = rng.uniform(-1000.0, 1000.0, 2)
        return offset(lon, lat, float(dx), float(dy))

    def _ghost(self, i: int, arrays: TrackArrays, rng: np.random.Generator) -> None:
        dur = rng.uniform(2.0, 8.0) * HOUR_S
        span = self.t1 - self.t0
        if 0.6 * span < dur:
            return
        c0 = float(rng.uniform(self.t0 + 0.2 * span, self.t1 - 0.2 * span - dur))
        ts = np.arange(c0, c0 + dur, 300.0)
        s = arrays.sample(ts)
        g = graph()
        for _ in range(200):
            a, b = (str(n) for n in rng.choice(OPEN_NODES, 2, replace=False))
            if haversine_m(s.lon, s.lat, *NODES[a]).min() < 250_000.0:
                continue
            path = [NODES[n] for n in g.node_path(a, b)]
            speed = float(rng.uniform(8.0, 11.0))
            if polyline_length_m(path) < speed * KNOTS_TO_MPS * dur:
                continue
            tr = Track()
            tr.start(c0, path[0], UNDERWAY)
            tr.go(path, speed)
            ghost = _clip(tr.arrays(), c0 + dur)
            gs = ghost.sample(ts)
            if haversine_m(s.lon, s.lat, gs.lon, gs.lat).min() < 200_000.0:
                continue
            self.inj.ghosts.append(Ghost(i, ghost))
            details = {"second_transmitter_from": a, "towards": b}
            rec = event(
                "spoofing", subtype="mmsi_collision", mmsi=self.fleet[i].mmsi, details=details
            )
            self.inj.drafts.append(Draft(rec, "ghost", {"ghost": len(self.inj.ghosts) - 1}))
            return


def _clip(a: TrackArrays, t_end: float) -> TrackArrays:
    """The track cut at ``t_end`` (the second transmitter falls silent)."""
    k = int(np.searchsorted(a.t, t_end))
    t = np.r_[a.t[:k], t_end]
    lon = np.r_[a.lon[:k], np.interp(t_end, a.t, a.lon)]
    lat = np.r_[a.lat[:k], np.interp(t_end, a.t, a.lat)]
    n = t.size - 1
    return TrackArrays(t, lon, lat, a.mode[: n + 1], a.status[: n + 1], a.sog_kn[:n], a.cog_deg[:n])
