"""Injected events and decoys that pin part of a schedule: where and when ships meet or wait.

Events (recorded in ``truth.json`` under ``events``):

* ``encounter``: two ships drift together 40-120 m apart at under 1 kn for 3-8 h, at least
  30 km from any port, starting in the local evening (10-15 UTC); half of the time the
  receiving tanker's draught in its type 5 reports rises 2-4 m afterwards. Each ship alone
  also looks like loitering: recorded as *optional* loitering (a detector may report it).
* ``loitering``: one ship drifts at 0.3-1.0 kn for 5-10 h far from shore.
* ``gap``: a ship switches AIS off for 14-40 h more than 60 nm from shore and moves on at
  3-8 kn meanwhile. A *dark STS* is a gap that brackets an encounter: the partner stays
  visible, waiting, and is recorded as loitering; the hidden meeting is optional.

Decoys (under ``decoys``, with the event ``type`` they could be mistaken for): ``crossing``
(two ships pass 150-400 m apart at 11+ kn), ``short_meeting`` (slow and close for 25-35
min), ``port_pair`` with ``port_wait`` (two ships at anchor 80-180 m apart for 6-20 h within
3 km of a WPI port) and ``gap_near_shore`` (AIS off for 14-30 h while moored in port).
``overlays`` adds spoofing, identity changes and short gaps to the planned tracks.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from stswatch.simulate.identities import Vessel
from stswatch.simulate.injection import Draft, Injection, event
from stswatch.simulate.lanes import (
    NODES,
    ZONES,
    Zone,
    approach_length_m,
    graph,
    polyline_length_m,
    route_from_point,
    route_length_m,
    route_to_point,
)
from stswatch.simulate.motion import (
    ANCHORED,
    DRIFTING,
    MOORED,
    UNDERWAY,
    LonLat,
    bearing_deg,
    drift_path,
    offset,
)
from stswatch.simulate.ports import PORTS
from stswatch.simulate.traffic import HOUR_S, Fixed, Via
from stswatch.units import KNOTS_TO_MPS, haversine_m

F64 = npt.NDArray[np.float64]
Frames = list[tuple[float, LonLat, int, int]]

ENCOUNTER_ZONES = {"ECS_STS": 0.4, "ECS_OPEN": 0.2, "YS_OPEN": 0.25, "KOREA_BAY": 0.15}
GAP_ZONES = ("ECS_OPEN", "YS_OPEN")  # more than 60 nm from land
LOITER_ZONES = ("ECS_STS", "ECS_OPEN", "YS_OPEN")
CROSSING_NODES = (
    "YS_CENTRAL",
    "YS_NORTH",
    "NYS_CENTRAL",
    "ECS_NORTH",
    "YS_WEST",
    "JIANGSU_OFF",
    "YS_SOUTH",
    "ECS_CENTRAL",
    "SHANDONG_CAPE",
)
STS_STATUS = (0, 0, 3, 1)  # under way, restricted manoeuvrability, at anchor


def iso(t: float) -> str:
    return datetime.fromtimestamp(round(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _between(rng: np.random.Generator, lo: float, hi: float) -> float | None:
    return None if hi < lo else float(rng.uniform(lo, hi))


def _evening_start(rng: np.random.Generator, lo: float, hi: float) -> float | None:
    """A time in [lo, hi], in the local evening (10-15 UTC) when the window has one."""
    if hi < lo:
        return None
    options = []
    day = np.floor(lo / 86_400.0) * 86_400.0
    while day <= hi:
        a, b = max(lo, day + 10 * HOUR_S), min(hi, day + 15 * HOUR_S)
        if b >= a:
            options.append((a, b))
        day += 86_400.0
    if not options:
        return float(rng.uniform(lo, hi))
    a, b = options[int(rng.integers(len(options)))]
    return float(rng.uniform(a, b))


def zone_point(zone: Zone, rng: np.random.Generator, margin_m: float) -> LonLat:
    """A random point of the zone at least ``margin_m`` inside its edges."""
    steps = ((margin_m, 0.0), (-margin_m, 0.0), (0.0, margin_m), (0.0, -margin_m))
    while True:
        lon, lat = zone.random_point(rng)
        if all(bool(zone.contains(*offset(lon, lat, dx, dy))) for dx, dy in steps):
            return lon, lat


def _frames(t: F64, lon: F64, lat: F64, mode: int, status: int) -> Frames:
    return [
        (float(a), (float(b), float(c)), mode, status) for a, b, c in zip(t, lon, lat, strict=True)
    ]


def _alongside(t: F64, lon: F64, lat: F64, rng: np.random.Generator) -> tuple[F64, F64, float]:
    """The partner's positions: 40-120 m off, the bearing wandering a little."""
    sep = float(rng.uniform(40.0, 120.0))
    ang = np.radians(rng.uniform(0, 360) + np.cumsum(rng.normal(0, 3.0, t.size)))
    r = sep + rng.normal(0, 5.0, t.size)
    east, north = r * np.sin(ang), r * np.cos(ang)
    return lon + east / (111_320.0 * np.cos(np.radians(lat))), lat + north / 110_574.0, sep


def _timed(pts: list[LonLat], ta: float, tb: float) -> Frames:
    """Keyframes through ``pts`` at constant speed from ``ta`` to ``tb``."""
    a = np.asarray(pts)
    legs = haversine_m(a[:-1, 0], a[:-1, 1], a[1:, 0], a[1:, 1])
    frac = np.r_[0.0, np.cumsum(legs)] / max(float(legs.sum()), 1e-9)
    return [(ta + f * (tb - ta), p, UNDERWAY, 0) for f, p in zip(frac, pts, strict=True)]


class Scenarios:
    """Pins the schedules of the vessels of an ``Injection`` for a window [t0, t1]."""

    def __init__(self, fleet: list[Vessel], t0: float, t1: float, inj: Injection) -> None:
        self.fleet = fleet
        self.t0 = t0
        self.t1 = t1
        self.inj = inj

    def pin(self, rng: np.random.Generator) -> None:
        for kind, vessels in self.inj.tasks:
            method = getattr(self, f"_pin_{kind}", None)
            if method is not None:
                method(vessels, rng)

    def _draft(
        self, rec: dict[str, Any], how: str = "planned", decoy: bool = False, **ref: Any
    ) -> None:
        self.inj.drafts.append(Draft(rec, how, ref, decoy))

    def _gap_length_s(self, rng: np.random.Generator, lo_h: float, hi_h: float) -> float:
        room_h = (self.t1 - self.t0) / HOUR_S - 8.0
        return float(rng.uniform(lo_h, max(lo_h, min(hi_h, room_h)))) * HOUR_S

    # --- meetings ---------------------------------------------------------------------

    def _meet(
        self, vessels: list[int], zone: Zone, t0: float, t1: float, rng: np.random.Generator
    ) -> tuple[LonLat, float, float]:
        """Both ships drift together over [t0, t1]; returns mean position, gap, drift."""
        drift_kn = float(rng.uniform(0.2, 0.6))
        t, lon, lat = drift_path(t0, t1, zone_point(zone, rng, 20_000.0), drift_kn, rng)
        blon, blat, sep = _alongside(t, lon, lat, rng)
        for i, (xs, ys) in zip(vessels, ((lon, lat), (blon, blat)), strict=True):
            frames = _frames(t, xs, ys, DRIFTING, int(rng.choice(STS_STATUS)))
            self.inj.fixed[i] = Fixed(t0, frames[0][1], Via(zone.nodes), Via(zone.nodes), frames)
        mean = (float(np.r_[lon, blon].mean()), float(np.r_[lat, blat].mean()))
        return mean, sep, drift_kn

    def _pin_encounter(self, vessels: list[int], rng: np.random.Generator) -> None:
        zone = ZONES[str(rng.choice(list(ENCOUNTER_ZONES), p=list(ENCOUNTER_ZONES.values())))]
        dur = rng.uniform(3.0, 8.0) * HOUR_S
        t0 = _evening_start(rng, self.t0 + 6 * HOUR_S, self.t1 - 3 * HOUR_S - dur)
        if t0 is None:
            return
        (lon, lat), sep, drift_kn = self._meet(vessels, zone, t0, t0 + dur, rng)
        a, b = (self.fleet[i] for i in vessels)
        details: dict[str, Any] = {
            "zone": zone.key,
            "drift_kn": round(drift_kn, 2),
            "separation_m": round(sep),
        }
        if rng.random() < 0.5:  # the receiving ship reports a deeper draught afterwards
            ident = a.identity
            deeper = round(min(ident.draught_m + rng.uniform(2.0, 4.0), 25.0), 1)
            t_change = t0 + dur + rng.uniform(0.5, 3.0) * HOUR_S
            self.inj.id_changes.setdefault(vessels[0], []).append(
                (t_change, replace(ident, draught_m=deeper))
            )
            details["draught_change"] = {
                "mmsi": a.mmsi,
                "before_m": ident.draught_m,
                "after_m": deeper,
                "at": iso(t_change),
            }
        lo, hi = _pair(a.mmsi, b.mmsi)
        common = {"start": t0, "end": t0 + dur, "lon": lon, "lat": lat}
        self._draft(event("encounter", mmsi=lo, other_mmsi=hi, details=details, **common))
        for v, other in ((a, b), (b, a)):
            part = {"part_of": "encounter", "with": other.mmsi}
            self._draft(event("loitering", mmsi=v.mmsi, optional=True, details=part, **common))

    def _pin_short_meeting(self, vessels: list[int], rng: np.random.Generator) -> None:
        zone = ZONES[str(rng.choice(list(ENCOUNTER_ZONES)))]
        dur = rng.uniform(25.0, 35.0) * 60.0
        t0 = _between(rng, self.t0 + 6 * HOUR_S, self.t1 - 4 * HOUR_S)
        if t0 is None:
            return
        (lon, lat), sep, _ = self._meet(vessels, zone, t0, t0 + dur, rng)
        lo, hi = _pair(*(self.fleet[i].mmsi for i in vessels))
        details = {"zone": zone.key, "separation_m": round(sep)}
        rec = event(
            "encounter",
            kind="short_meeting",
            mmsi=lo,
            other_mmsi=hi,
            start=t0,
            end=t0 + dur,
            lon=lon,
            lat=lat,
            details=details,
        )
        self._draft(rec, decoy=True)

    def _pin_loitering(self, vessels: list[int], rng: np.random.Generator) -> None:
        zone = ZONES[str(rng.choice(LOITER_ZONES))]
        dur = rng.uniform(5.0, 10.0) * HOUR_S
        t0 = _between(rng, self.t0 + 5 * HOUR_S, self.t1 - 3 * HOUR_S - dur)
        if t0 is None:
            return
        drift_kn = float(rng.uniform(0.3, 1.0))
        t, lon, lat = drift_path(t0, t0 + dur, zone_point(zone, rng, 20_000.0), drift_kn, rng)
        frames = _frames(t, lon, lat, DRIFTING, 0)
        i = vessels[0]
        self.inj.fixed[i] = Fixed(t0, frames[0][1], Via(zone.nodes), Via(zone.nodes), frames)
        details = {"zone": zone.key, "drift_kn": round(drift_kn, 2)}
        self._draft(
            event(
                "loitering",
                mmsi=self.fleet[i].mmsi,
                start=t0,
                end=t0 + dur,
                lon=float(lon.mean()),
                lat=float(lat.mean()),
                details=details,
            )
        )

    # --- going dark --------------------------------------------------------------------

    def _dark_route(
        self, zone: Zone, start: LonLat, dur_s: float, rng: np.random.Generator
    ) -> list[LonLat]:
        """Waypoints inside ``zone`` from ``start`` that take ``dur_s`` at 3-8 kn."""
        for _ in range(500):
            k = int(rng.integers(1, 5))
            pts = [start] + [zone_point(zone, rng, 10_000.0) for _ in range(k)]
            if 3.0 <= polyline_length_m(pts) / dur_s / KNOTS_TO_MPS <= 8.0:
                return pts
        return [start, zone_point(zone, rng, 10_000.0)]

    def _dark_leg(self, zone: Zone, p: LonLat, dt_s: float, rng: np.random.Generator) -> LonLat:
        """A point of the zone that a dark ship covers to or from ``p`` in dt_s at 1-6 kn."""
        for top_kn in (6.0, 4.5, 3.0, 2.0):
            for _ in range(60):
                d = rng.uniform(1.0, top_kn) * KNOTS_TO_MPS * dt_s
                ang = rng.uniform(0, 2 * np.pi)
                q = offset(p[0], p[1], d * np.sin(ang), d * np.cos(ang))
                if zone.contains(*q):
                    return q
        return p

    def _pin_gap(self, vessels: list[int], rng: np.random.Generator) -> None:
        zone = ZONES[str(rng.choice(GAP_ZONES))]
        g = self._gap_length_s(rng, 14.0, 40.0)
        g0 = _between(rng, self.t0 + 4 * HOUR_S, self.t1 - 4 * HOUR_S - g)
        if g0 is None:
            return
        pts = self._dark_route(zone, zone_point(zone, rng, 10_000.0), g, rng)
        i = vessels[0]
        self.inj.fixed[i] = Fixed(
            g0, pts[0], Via(zone.nodes), Via(zone.nodes), _timed(pts, g0, g0 + g)
        )
        self.inj.off.setdefault(i, []).append((g0, g0 + g))
        rec = event("gap", mmsi=self.fleet[i].mmsi, details={"zone": zone.key})
        self._draft(rec, "gap", vessel=i, window=(g0, g0 + g))

    def _pin_dark_sts(self, vessels: list[int], rng: np.random.Generator) -> None:
        a, b = vessels
        zone = ZONES[str(rng.choice(GAP_ZONES))]
        g = self._gap_length_s(rng, 14.0, 40.0)
        enc = rng.uniform(3.0, 6.0) * HOUR_S
        x = rng.uniform(0.3, 0.6) * (g - enc)  # dark before the meeting
        y = g - enc - x  # and after
        t0 = _evening_start(rng, self.t0 + 4 * HOUR_S + x, self.t1 - 4 * HOUR_S - enc - y)
        if t0 is None:
            return
        t1 = t0 + enc
        # the partner waits from tb0 to tb1, visible; the dark tanker is alongside in [t0, t1]
        tb0, tb1 = t0 - rng.uniform(1.0, 2.5) * HOUR_S, t1 + rng.uniform(0.5, 1.5) * HOUR_S
        tb, blon, blat = drift_path(tb0, tb1, zone_point(zone, rng, 30_000.0), 0.4, rng)
        tt = np.unique(np.r_[tb, t0, t1])
        blon, blat = np.interp(tt, tb, blon), np.interp(tt, tb, blat)
        alon, alat, sep = _alongside(tt, blon, blat, rng)
        b_frames = _frames(tt, blon, blat, DRIFTING, int(rng.choice(STS_STATUS)))
        self.inj.fixed[b] = Fixed(tb0, b_frames[0][1], Via(zone.nodes), Via(zone.nodes), b_frames)
        on = (tt >= t0) & (tt <= t1)
        meet = (float(alon[on][0]), float(alat[on][0]))
        leave = (float(alon[on][-1]), float(alat[on][-1]))
        w0, w1 = self._dark_leg(zone, meet, x, rng), self._dark_leg(zone, leave, y, rng)
        a_frames = [
            (t0 - x, w0, UNDERWAY, 0),
            *_frames(tt[on], alon[on], alat[on], DRIFTING, 0),
            (t1, leave, UNDERWAY, 0),
            (t1 + y, w1, UNDERWAY, 0),
        ]
        self.inj.fixed[a] = Fixed(t0 - x, w0, Via(zone.nodes), Via(zone.nodes), a_frames)
        self.inj.off.setdefault(a, []).append((t0 - x, t1 + y))
        va, vb = self.fleet[a], self.fleet[b]
        gap = event("gap", mmsi=va.mmsi, details={"zone": zone.key, "dark_sts_with": vb.mmsi})
        self._draft(gap, "gap", vessel=a, window=(t0 - x, t1 + y))
        self._draft(
            event(
                "loitering",
                mmsi=vb.mmsi,
                start=tb0,
                end=tb1,
                lon=float(blon.mean()),
                lat=float(blat.mean()),
                details={"zone": zone.key, "dark_sts_with": va.mmsi},
            )
        )
        lo, hi = _pair(va.mmsi, vb.mmsi)
        details = {"zone": zone.key, "hidden": f"{va.mmsi} had AIS off", "separation_m": round(sep)}
        self._draft(
            event(
                "encounter",
                mmsi=lo,
                other_mmsi=hi,
                start=t0,
                end=t1,
                lon=float(alon[on].mean()),
                lat=float(alat[on].mean()),
                optional=True,
                details=details,
            )
        )

    # --- in port -----------------------------------------------------------------------

    def _pin_port_pair(self, vessels: list[int], rng: np.random.Generator) -> None:
        near = [k for k, p in PORTS.items() if p.berth_to_wpi_m <= 3_000.0]
        port = PORTS[str(rng.choice(near))]
        dur = rng.uniform(6.0, 20.0) * HOUR_S
        t0 = _between(rng, self.t0 + 4 * HOUR_S, self.t1 - 2 * HOUR_S - dur)
        if t0 is None:
            return
        ang, r = rng.uniform(0, 2 * np.pi), rng.uniform(0, 150.0)
        spot = offset(*port.berth, r * np.sin(ang), r * np.cos(ang))
        ang, sep = rng.uniform(0, 2 * np.pi), float(rng.uniform(80.0, 180.0))
        other = offset(*spot, sep * np.sin(ang), sep * np.cos(ang))
        for i, p in zip(vessels, (spot, other), strict=True):
            frames = [(t0, p, ANCHORED, 1), (t0 + dur, p, ANCHORED, 1)]
            self.inj.fixed[i] = Fixed(t0, p, Via(port=port.key), Via(port=port.key), frames)
        lo, hi = _pair(*(self.fleet[i].mmsi for i in vessels))
        lon, lat = (spot[0] + other[0]) / 2, (spot[1] + other[1]) / 2
        to_wpi = float(haversine_m(lon, lat, port.wpi_lon, port.wpi_lat))
        details = {"port": port.key, "separation_m": round(sep), "to_wpi_port_m": round(to_wpi)}
        common = {"start": t0, "end": t0 + dur, "lon": lon, "lat": lat, "details": details}
        self._draft(
            event("encounter", kind="port_pair", mmsi=lo, other_mmsi=hi, **common), decoy=True
        )
        for m in (lo, hi):
            self._draft(event("loitering", kind="port_wait", mmsi=m, **common), decoy=True)

    def _pin_gap_near_shore(self, vessels: list[int], rng: np.random.Generator) -> None:
        port = PORTS[str(rng.choice(list(PORTS)))]
        g = self._gap_length_s(rng, 14.0, 30.0)
        g0 = _between(rng, self.t0 + 4 * HOUR_S, self.t1 - 4 * HOUR_S - g)
        if g0 is None:
            return
        a, b = g0 - rng.uniform(1.0, 3.0) * HOUR_S, g0 + g + rng.uniform(1.0, 3.0) * HOUR_S
        i = vessels[0]
        frames = [(a, port.berth, MOORED, 5), (b, port.berth, MOORED, 5)]
        self.inj.fixed[i] = Fixed(a, port.berth, Via(port=port.key), Via(port=port.key), frames)
        self.inj.off.setdefault(i, []).append((g0, g0 + g))
        rec = event(
            "gap", kind="gap_near_shore", mmsi=self.fleet[i].mmsi, details={"port": port.key}
        )
        self._draft(rec, "gap", decoy=True, vessel=i, window=(g0, g0 + g))

    # --- passing at speed --------------------------------------------------------------

    def _through(self, node: str) -> list[tuple[str, str]]:
        """Port pairs whose route passes ``node`` with at most 15 % detour."""
        g = graph()

        def via(p: str) -> float:
            return approach_length_m(p) + g.distance_m(PORTS[p].node, node)

        return [
            (o, d)
            for o in PORTS
            for d in PORTS
            if o != d
            and via(o) > 60_000.0
            and via(d) > 60_000.0
            and via(o) + via(d) <= 1.15 * route_length_m(PORTS[o], PORTS[d])
        ]

    def _pin_crossing(self, vessels: list[int], rng: np.random.Generator) -> None:
        node = str(rng.choice(CROSSING_NODES))
        n_pt = NODES[node]
        tx = _between(rng, self.t0 + 6 * HOUR_S, self.t1 - 6 * HOUR_S)
        pairs = self._through(node)
        if tx is None or len(pairs) < 2:
            return

        def heading(o: str) -> float:
            prev = route_to_point(PORTS[o], (node,), n_pt)[-2]
            return float(bearing_deg(prev[0], prev[1], n_pt[0], n_pt[1]))

        o1, d1 = pairs[int(rng.integers(len(pairs)))]
        hc = heading(o1)
        cands = [
            (o, d)
            for o, d in pairs
            if (o, d) != (o1, d1) and abs((heading(o) - hc + 180.0) % 360.0 - 180.0) >= 30.0
        ]
        if not cands:
            return
        o2, d2 = cands[int(rng.integers(len(cands)))]
        hd = heading(o2)
        sc = max(self.fleet[vessels[0]].speed_kn, 11.0)
        sd = max(self.fleet[vessels[1]].speed_kn, 11.0)
        # pass each other 150-400 m apart: offset the second ship across the relative motion
        rel = np.array(
            [
                sd * np.sin(np.radians(hd)) - sc * np.sin(np.radians(hc)),
                sd * np.cos(np.radians(hd)) - sc * np.cos(np.radians(hc)),
            ]
        )
        across = np.array([rel[1], -rel[0]]) / max(float(np.hypot(*rel)), 1e-9)
        miss = float(rng.uniform(150.0, 400.0))
        d_pt = offset(*n_pt, miss * across[0], miss * across[1])
        legs = ((o1, d1, n_pt, sc), (o2, d2, d_pt, sd))
        for i, (o, d, pt, s) in zip(vessels, legs, strict=True):
            self.inj.fixed[i] = Fixed(
                tx,
                pt,
                Via((node,)),
                Via((node,)),
                origin=o,
                dest=d,
                speed_kn=s,
                path_in=route_to_point(PORTS[o], (node,), pt, rng),
                path_out=route_from_point(pt, (node,), PORTS[d], rng),
            )
        lo, hi = _pair(*(self.fleet[i].mmsi for i in vessels))
        details = {"node": node, "speeds_kn": [round(sc, 1), round(sd, 1)]}
        rec = event(
            "encounter",
            kind="crossing",
            mmsi=lo,
            other_mmsi=hi,
            lon=n_pt[0],
            lat=n_pt[1],
            details=details,
        )
        self._draft(rec, "crossing", decoy=True, vessels=vessels, t=tx)
